"""What partners are told: order and balance events turned into webhook messages.

The body is built once, when the event is turned into a message, and never again: every
attempt and every replay sends the same bytes under the same `webhook-id`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from domain.events import OrderEvent
from domain.fraud import FraudReport
from domain.ledger import LowBalance
from domain.orders import Order, OrderStatus
from domain.webhooks import WebhookEventType, WebhookMessage

# Statuses partners hear about; the others (received, approved, reserved, dispatched) are
# steps on the way, and `rejected` is not among the events of the v1 contract.
ORDER_EVENT_TYPES: dict[OrderStatus, WebhookEventType] = {
    OrderStatus.COMPLETED: WebhookEventType.ORDER_COMPLETED,
    OrderStatus.FAILED: WebhookEventType.ORDER_FAILED,
    OrderStatus.DECLINED: WebhookEventType.ORDER_DECLINED,
    OrderStatus.IN_REVIEW: WebhookEventType.ORDER_IN_REVIEW,
}


def message_id_for(company_id: str, event_key: str) -> str:
    """Deterministic per event: `msg_` and 32 hex digits (safe in headers and URLs)."""
    digest = hashlib.sha256(f"{company_id}\x1f{event_key}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def envelope(event_type: WebhookEventType, at: datetime, data: dict[str, Any]) -> str:
    payload = {"type": event_type.value, "timestamp": iso(at), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def public_order(order: Order) -> dict[str, Any]:
    """The partner's view of an order: no card data beyond what the partner API shows."""
    last = order.history[-1]
    r = order.recipient
    return {
        "object": "order",
        "id": order.id,
        "status": last.status.value,
        "reason": last.reason,
        "amount": {"value": order.amount.value, "currency": order.amount.currency},
        "fee": {"value": order.fee, "currency": order.amount.currency},
        "product_id": order.product_id,
        "external_id": order.external_id,
        "end_user": {"id": order.end_user.id},
        "recipient": {"type": r.kind.value, "card_last4": r.card_last4},
        "metadata": order.metadata,
        "sandbox": order.sandbox,
        "created_at": iso(order.created_at),
        "updated_at": iso(last.at),
    }


def order_message(event: OrderEvent) -> WebhookMessage | None:
    """The message for an order event, or None when partners are not told about its status."""
    order = event.order
    last = order.history[-1]
    event_type = ORDER_EVENT_TYPES.get(last.status)
    if event_type is None:
        return None
    return WebhookMessage(
        id=message_id_for(order.company_id, event.event_id),
        company_id=order.company_id,
        event_type=event_type,
        occurred_at=last.at,
        body=envelope(event_type, last.at, public_order(order)),
        lane=order.id,
        position=event.sequence,
        sealed_delivery=order.delivery if last.status is OrderStatus.COMPLETED else None,
    )


def low_balance_message(event: LowBalance) -> WebhookMessage:
    event_key = f"balance.low:{event.currency}:{event.at.isoformat()}"
    data = {
        "object": "balance",
        "currency": event.currency,
        "available": event.available,
        "threshold": event.threshold,
    }
    return WebhookMessage(
        id=message_id_for(event.company_id, event_key),
        company_id=event.company_id,
        event_type=WebhookEventType.BALANCE_LOW,
        occurred_at=event.at,
        body=envelope(WebhookEventType.BALANCE_LOW, event.at, data),
        lane=f"balance:{event.currency}",
        position=int(event.at.timestamp() * 1000),
    )


def fraud_report_message(report: FraudReport) -> WebhookMessage:
    """`fraud.suspected`: one of the partner's orders was confirmed fraudulent."""
    data = {
        "object": "fraud_report",
        "id": report.report_id,
        "order_id": report.order_id,
        "external_id": report.external_id,
        "end_user": {"id": report.end_user_id},
        "reason": report.reason,
        "end_user_blocked": report.blocked,
        "created_at": iso(report.reported_at),
    }
    return WebhookMessage(
        id=message_id_for(report.company_id, f"fraud.suspected:{report.report_id}"),
        company_id=report.company_id,
        event_type=WebhookEventType.FRAUD_SUSPECTED,
        occurred_at=report.reported_at,
        body=envelope(WebhookEventType.FRAUD_SUSPECTED, report.reported_at, data),
        # After the order's own events: a partner sees order.declined, then fraud.suspected.
        lane=report.order_id,
        position=1_000_000,
    )
