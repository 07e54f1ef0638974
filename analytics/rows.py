"""Storage rows: how decoded Kafka messages become ClickHouse rows (one function per table)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from domain.audit_chain import AuditRecord, canonical_json
from domain.events import OrderEvent
from domain.orders import Order
from streams.messages import RequestLogRecord, order_to_dict

ORDER_COLUMNS = (
    "order_id", "company_id", "idempotency_key", "product_id", "product_type", "provider",
    "amount_value", "fee_value", "currency", "status", "status_reason", "recipient_kind",
    "card_bin", "card_last4", "card_token", "end_user_id", "external_id", "sandbox",
    "created_at", "updated_at", "version", "batch_id", "batch_line", "snapshot",
)  # fmt: skip

ORDER_EVENT_COLUMNS = (
    "event_id", "order_id", "company_id", "sequence", "status", "reason", "at",
    "amount_value", "currency",
)  # fmt: skip

REQUEST_LOG_COLUMNS = RequestLogRecord.__slots__


def stored_snapshot(order: Order) -> str:
    """The order as JSON for reads, without the card ciphertext (never stored in ClickHouse).

    The delivery (gift code, virtual card details) stays, but only as the vault's ciphertext:
    the API reads old orders back from here and reveals it to the owning partner alone.
    """
    safe = replace(order, recipient=replace(order.recipient, card_ciphertext=None))
    return orjson.dumps(order_to_dict(safe)).decode()


def order_row(order: Order) -> tuple[Any, ...]:
    r = order.recipient
    return (
        order.id, order.company_id, order.idempotency_key, order.product_id, order.product_type,
        order.provider or "", order.amount.value, order.fee, order.amount.currency,
        order.status.value, order.history[-1].reason, r.kind.value, r.card_bin or "",
        r.card_last4 or "", r.card_token or "", order.end_user.id, order.external_id or "",
        int(order.sandbox), order.created_at, order.updated_at, order.version,
        order.batch.batch_id if order.batch else "", order.batch.line if order.batch else 0,
        stored_snapshot(order),
    )  # fmt: skip


def order_event_row(event: OrderEvent) -> tuple[Any, ...]:
    o = event.order
    last = o.history[-1]
    return (
        event.event_id, o.id, o.company_id, event.sequence, last.status.value, last.reason,
        last.at, o.amount.value, o.amount.currency,
    )  # fmt: skip


def request_log_row(record: RequestLogRecord) -> tuple[Any, ...]:
    return tuple(getattr(record, name) for name in REQUEST_LOG_COLUMNS)


AUDIT_LOG_COLUMNS = (
    "chain", "seq", "hash", "prev_hash", "event_id", "at", "actor_kind", "actor_id",
    "company_id", "action", "target", "request_id", "ip", "details",
)  # fmt: skip


def audit_log_row(record: AuditRecord) -> tuple[Any, ...]:
    e = record.event
    # details in canonical JSON: read back and re-hashed by `quadra audit verify`.
    return (
        record.chain, record.seq, record.hash, record.prev_hash, e.event_id, e.at,
        e.actor_kind.value, e.actor_id, e.company_id, e.action, e.target, e.request_id, e.ip,
        canonical_json(e.details),
    )  # fmt: skip
