"""Delivery-log rows: one `webhooks.attempts` message becomes an attempt row and the
delivery's latest-state row."""

from __future__ import annotations

from typing import Any

from domain.webhooks import AttemptRecord

WEBHOOK_ATTEMPT_COLUMNS = (
    "attempt_id", "message_id", "company_id", "event_type", "round", "attempt", "status", "at",
    "url", "response_status", "duration_ms", "error", "next_attempt_at", "occurred_at",
)  # fmt: skip

WEBHOOK_DELIVERY_COLUMNS = (
    "message_id", "company_id", "event_type", "lane", "position", "occurred_at", "status",
    "attempts", "round", "enqueued_at", "last_attempt_at", "last_response_status", "last_error",
    "next_attempt_at", "url", "body", "updated_at",
)  # fmt: skip


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
