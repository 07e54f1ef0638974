"""Wire encodings for webhooks: deliveries (the notify agent's state), the delivery log,
staff replay requests, and the partner events the ledger publishes (`balance.low`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.fraud import FraudReport
from domain.ledger import LowBalance
from domain.webhooks import AttemptRecord, Delivery, DeliveryStatus, WebhookEventType, WebhookMessage
from streams.fraud_messages import FRAUD_SUSPECTED, decode_fraud_report
from streams.messages import decoded, dumps, loads



def _ts(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _dt(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def _optional_text(raw: Any) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise ValueError("sealed_delivery must be a string")


def message_to_dict(m: WebhookMessage) -> dict[str, Any]:
    return {
        "id": m.id, "company_id": m.company_id, "event_type": m.event_type.value,
        "occurred_at": m.occurred_at.isoformat(), "body": m.body, "lane": m.lane,
        "position": m.position, "sealed_delivery": m.sealed_delivery,
    }  # fmt: skip


def message_from_dict(d: dict[str, Any]) -> WebhookMessage:
    return WebhookMessage(
        id=str(d["id"]), company_id=str(d["company_id"]),
        event_type=WebhookEventType(d["event_type"]),
        occurred_at=datetime.fromisoformat(d["occurred_at"]), body=str(d["body"]),
        lane=str(d["lane"]), position=int(d["position"]),
        sealed_delivery=_optional_text(d.get("sealed_delivery")),
    )  # fmt: skip


def delivery_to_dict(d: Delivery) -> dict[str, Any]:
    return {
        "message": message_to_dict(d.message), "enqueued_at": d.enqueued_at.isoformat(),
        "next_attempt_at": _ts(d.next_attempt_at), "status": d.status.value,
        "attempts": d.attempts, "round": d.round,
    }  # fmt: skip


def delivery_from_dict(d: dict[str, Any]) -> Delivery:
    return Delivery(
        message=message_from_dict(d["message"]),
        enqueued_at=datetime.fromisoformat(d["enqueued_at"]),
        next_attempt_at=_dt(d.get("next_attempt_at")),
        status=DeliveryStatus(d["status"]),
        attempts=int(d["attempts"]),
        round=str(d.get("round", "")),
    )


def encode_delivery(d: Delivery) -> bytes:
    return dumps(delivery_to_dict(d))


def decode_delivery(raw: bytes | None) -> Delivery:
    return decoded("webhook delivery", lambda: delivery_from_dict(loads(raw)))


def encode_attempt(r: AttemptRecord) -> bytes:
    return dumps({
        "attempt_id": r.attempt_id, "delivery": delivery_to_dict(r.delivery), "at": r.at.isoformat(),
        "url": r.url, "response_status": r.response_status, "duration_ms": r.duration_ms,
        "error": r.error,
    })  # fmt: skip


def _attempt(d: dict[str, Any]) -> AttemptRecord:
    return AttemptRecord(
        delivery=delivery_from_dict(d["delivery"]), at=datetime.fromisoformat(d["at"]),
        url=str(d["url"]), response_status=int(d["response_status"]),
        duration_ms=int(d["duration_ms"]), error=str(d["error"]),
    )  # fmt: skip


def decode_attempt(raw: bytes | None) -> AttemptRecord:
    return decoded("webhook attempt", lambda: _attempt(loads(raw)))


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    """Staff asked to send a message again (same `webhook-id`, a new round of attempts)."""

    replay_id: str
    message: WebhookMessage
    requested_by: str
    at: datetime


def encode_replay(r: ReplayRequest) -> bytes:
    return dumps({
        "type": "webhook.replay", "replay_id": r.replay_id, "message": message_to_dict(r.message),
        "requested_by": r.requested_by, "at": r.at.isoformat(),
    })  # fmt: skip


def _replay(d: dict[str, Any]) -> ReplayRequest:
    return ReplayRequest(
        str(d["replay_id"]), message_from_dict(d["message"]), str(d["requested_by"]),
        datetime.fromisoformat(d["at"]),
    )  # fmt: skip


def decode_replay(raw: bytes | None) -> ReplayRequest:
    return decoded("webhook replay", lambda: _replay(loads(raw)))


def decode_partner_event(raw: bytes | None) -> LowBalance | FraudReport | None:
    """A `partner.events` message: `balance.low` (as the ledger encodes it), `fraud.suspected`
    (as the intake's review desk does), or None for a type this version does not turn into
    webhooks."""
    d = loads(raw)
    if d.get("type") == FRAUD_SUSPECTED:
        return decode_fraud_report(d)
    if d.get("type") != "balance.low":
        return None
    return decoded("balance.low event", lambda: LowBalance(
        str(d["company_id"]), str(d["currency"]), int(d["available"]), int(d["threshold"]),
        datetime.fromisoformat(d["at"]),
    ))  # fmt: skip
