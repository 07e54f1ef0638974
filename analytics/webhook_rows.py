"""Delivery-log rows: one `webhooks.attempts` message becomes an attempt row and the
delivery's latest-state row."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from analytics.rows import request_log_row
from domain.webhooks import AttemptRecord
from streams.messages import RequestLogRecord

WEBHOOK_ATTEMPT_COLUMNS = (
    "attempt_id", "message_id", "company_id", "event_type", "round", "attempt", "status", "at",
    "url", "response_status", "duration_ms", "error", "next_attempt_at", "occurred_at",
)  # fmt: skip

WEBHOOK_DELIVERY_COLUMNS = (
    "message_id", "company_id", "event_type", "lane", "position", "occurred_at", "status",
    "attempts", "round", "enqueued_at", "last_attempt_at", "last_response_status", "last_error",
    "next_attempt_at", "url", "body", "updated_at",
)  # fmt: skip

WEBHOOK_DIRECTION = "webhook"  # request_log.direction of what we sent partners


def webhook_attempt_row(record: AttemptRecord) -> tuple[Any, ...]:
    d = record.delivery
    m = d.message
    return (
        record.attempt_id, m.id, m.company_id, m.event_type.value, d.round, d.attempts,
        d.status.value, record.at, record.url, record.response_status, record.duration_ms,
        record.error, d.next_attempt_at, m.occurred_at,
    )  # fmt: skip


def webhook_delivery_row(record: AttemptRecord) -> tuple[Any, ...]:
    d = record.delivery
    m = d.message
    attempted = d.attempts > 0
    return (
        m.id, m.company_id, m.event_type.value, m.lane, m.position, m.occurred_at, d.status.value,
        d.attempts, d.round, d.enqueued_at, record.at if attempted else None,
        record.response_status, record.error, d.next_attempt_at, record.url, m.body, record.at,
    )  # fmt: skip


def webhook_request_row(record: AttemptRecord) -> tuple[Any, ...] | None:
    """An attempt as a `request_log` row (direction `webhook`), so request-log search covers
    what we sent partners too. Attempt 0 (queued) and attempts with no endpoint made no call:
    no row. Sanitized by construction: no headers (they carry the signature), no bodies (the
    delivery log keeps the signed body), and the URL without query, fragment or credentials,
    where partners put tokens."""
    if record.attempt == 0 or not record.url:
        return None
    m = record.delivery.message
    return request_log_row(RequestLogRecord(
        request_id=record.attempt_id, direction=WEBHOOK_DIRECTION, at=record.at,
        company_id=m.company_id, method="POST", path=bare_url(record.url), query="",
        status=record.response_status, duration_ms=record.duration_ms, client_ip="",
        correlation_id=m.id, idempotency_key=m.id,  # the `webhook-id` partners dedupe by
        request_headers="", request_body="", response_body="", error_type=_error_type(record.error),
    ))  # fmt: skip


def bare_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _error_type(error: str) -> str:
    """The error's class (`ConnectTimeout: …` → `ConnectTimeout`): a low-cardinality column."""
    return error.split(":", 1)[0][:64]
