"""The Kafka wire contract: how domain objects are written to and read from topics.

JSON (orjson) with a schema version per message; timestamps as ISO 8601 UTC; money as
integer minor units. Producers and consumers in every role use these functions only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import orjson

from domain.companies import ApiKey, KeyMode
from domain.events import OrderEvent
from domain.intake import Admission, IntakeEntry
from domain.money import Money
from domain.orders import (
    BatchLineRef,
    EndUser,
    Order,
    OrderRequest,
    OrderStatus,
    Recipient,
    RecipientKind,
    StatusChange,
)

SCHEMA_VERSION = 1
# How every message `dumps` writes begins (orjson: compact, "v" first).
JSON_PREFIX = b'{"v":%d,' % SCHEMA_VERSION


T = TypeVar("T")


class MessageError(ValueError):
    """A message that cannot be decoded: it is logged and skipped, never crashes an agent."""


@dataclass(frozen=True, slots=True)
class IntakeReply:
    request_id: str
    admission: Admission
    order: Order | None


@dataclass(frozen=True, slots=True)
class RequestLogRecord:
    """One inbound (or, later, outbound) HTTP exchange, already sanitized."""

    request_id: str
    direction: str  # "inbound" | "outbound"
    at: datetime
    company_id: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: int
    client_ip: str
    correlation_id: str
    idempotency_key: str
    request_headers: str
    request_body: str
    response_body: str
    error_type: str


def decoded(what: str, build: Callable[[], T]) -> T:
    """`build()`, with any malformed field turned into a MessageError naming `what`."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MessageError(f"bad {what}: {exc!r}") from exc


def dumps(payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"v": SCHEMA_VERSION, **payload})


def loads(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise MessageError("empty message")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MessageError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("v") != SCHEMA_VERSION:
        raise MessageError("unknown message schema")
    return data


def _ts(value: datetime) -> str:
    return value.isoformat()


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _recipient_to_dict(r: Recipient) -> dict[str, Any]:
    return {
        "kind": r.kind.value,
        "phone": r.phone,
        "email": r.email,
        "card_token": r.card_token,
        "card_bin": r.card_bin,
        "card_last4": r.card_last4,
        "card_ciphertext": r.card_ciphertext,
    }


def _recipient_from_dict(d: dict[str, Any]) -> Recipient:
    return Recipient(
        kind=RecipientKind(d["kind"]),
        phone=d.get("phone"),
        email=d.get("email"),
        card_token=d.get("card_token"),
        card_bin=d.get("card_bin"),
        card_last4=d.get("card_last4"),
        card_ciphertext=d.get("card_ciphertext"),
    )


def _end_user_to_dict(u: EndUser) -> dict[str, Any]:
    return {"id": u.id, "ip": u.ip, "device_id": u.device_id, "email": u.email}


def _end_user_from_dict(d: dict[str, Any]) -> EndUser:
    return EndUser(id=d["id"], ip=d.get("ip"), device_id=d.get("device_id"), email=d.get("email"))


def _fee(d: dict[str, Any]) -> int:
    fee = d.get("fee", 0)
    if type(fee) is not int or fee < 0:
        raise ValueError(f"fee must be a non-negative integer, not {fee!r}")
    return fee


def _text(d: dict[str, Any], name: str) -> str:
    """An optional text field: records written before it existed decode as ''."""
    value = d.get(name) or ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {value!r}")
    return value


def _batch_fields(batch: BatchLineRef | None) -> dict[str, Any]:
    """Only on batch orders, last: every other message is written byte for byte as before
    (the sink's SQL twin rebuilds the text, analytics/order_json_rows.py)."""
    return {} if batch is None else {"batch_id": batch.batch_id, "batch_line": batch.line}


def _batch(d: dict[str, Any]) -> BatchLineRef | None:
    """Messages written before batches (and every non-batch order) have neither field."""
    batch_id, line = d.get("batch_id"), d.get("batch_line")
    if batch_id is None and line is None:
        return None
    if not isinstance(batch_id, str) or type(line) is not int:
        raise ValueError(f"batch_id and batch_line go together, not {batch_id!r}, {line!r}")
    return BatchLineRef(batch_id, line)


def order_request_to_dict(r: OrderRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id,
        "company_id": r.company_id,
        "idempotency_key": r.idempotency_key,
        "body_hash": r.body_hash,
        "product_id": r.product_id,
        "amount": {"value": r.amount.value, "currency": r.amount.currency},
        "recipient": _recipient_to_dict(r.recipient),
        "end_user": _end_user_to_dict(r.end_user),
        "received_at": _ts(r.received_at),
        "external_id": r.external_id,
        "metadata": r.metadata,
        "sandbox": r.sandbox,
        "fee": r.fee,
        "product_type": r.product_type,
        **_batch_fields(r.batch),
    }


def order_request_from_dict(d: dict[str, Any]) -> OrderRequest:
    try:
        return OrderRequest(
            request_id=d["request_id"],
            company_id=d["company_id"],
            idempotency_key=d["idempotency_key"],
            body_hash=d["body_hash"],
            product_id=d["product_id"],
            amount=Money(d["amount"]["value"], d["amount"]["currency"]),
            recipient=_recipient_from_dict(d["recipient"]),
            end_user=_end_user_from_dict(d["end_user"]),
            received_at=_dt(d["received_at"]),
            external_id=d.get("external_id"),
            metadata=d.get("metadata") or {},
            sandbox=bool(d.get("sandbox", True)),
            fee=_fee(d),
            product_type=_text(d, "product_type"),
            batch=_batch(d),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad order request: {exc!r}") from exc


def order_to_dict(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "company_id": o.company_id,
        "idempotency_key": o.idempotency_key,
        "product_id": o.product_id,
        "amount": {"value": o.amount.value, "currency": o.amount.currency},
        "recipient": _recipient_to_dict(o.recipient),
        "end_user": _end_user_to_dict(o.end_user),
        "created_at": _ts(o.created_at),
        "history": [
            {"status": h.status.value, "reason": h.reason, "at": _ts(h.at)} for h in o.history
        ],
        "external_id": o.external_id,
        "metadata": o.metadata,
        "sandbox": o.sandbox,
        "fee": o.fee,
        "delivery": o.delivery,
        "product_type": o.product_type,
        "provider": o.provider,
        **_batch_fields(o.batch),
    }


def order_from_dict(d: dict[str, Any]) -> Order:
    try:
        return Order(
            id=d["id"],
            company_id=d["company_id"],
            idempotency_key=d["idempotency_key"],
            product_id=d["product_id"],
            amount=Money(d["amount"]["value"], d["amount"]["currency"]),
            recipient=_recipient_from_dict(d["recipient"]),
            end_user=_end_user_from_dict(d["end_user"]),
            created_at=_dt(d["created_at"]),
            history=tuple(
                StatusChange(OrderStatus(h["status"]), h["reason"], _dt(h["at"]))
                for h in d["history"]
            ),
            external_id=d.get("external_id"),
            metadata=d.get("metadata") or {},
            sandbox=bool(d.get("sandbox", True)),
            fee=_fee(d),
            delivery=d.get("delivery"),
            product_type=_text(d, "product_type"),
            provider=_text(d, "provider") or None,
            batch=_batch(d),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad order: {exc!r}") from exc


def encode_order_request(r: OrderRequest) -> bytes:
    return dumps(order_request_to_dict(r))


def decode_order_request(raw: bytes | None) -> OrderRequest:
    return order_request_from_dict(loads(raw))


def encode_order_event(e: OrderEvent) -> bytes:
    return dumps({"event_id": e.event_id, "sequence": e.sequence, "order": order_to_dict(e.order)})


def decode_order_event(raw: bytes | None) -> OrderEvent:
    d = loads(raw)
    try:
        return OrderEvent(d["event_id"], int(d["sequence"]), order_from_dict(d["order"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad order event: {exc!r}") from exc


def encode_intake_reply(r: IntakeReply) -> bytes:
    return dumps(
        {
            "request_id": r.request_id,
            "admission": r.admission.value,
            "order": order_to_dict(r.order) if r.order else None,
        }
    )


def decode_intake_reply(raw: bytes | None) -> IntakeReply:
    d = loads(raw)
    try:
        order = order_from_dict(d["order"]) if d.get("order") else None
        return IntakeReply(d["request_id"], Admission(d["admission"]), order)
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad intake reply: {exc!r}") from exc


def encode_request_log(r: RequestLogRecord) -> bytes:
    fields = {name: getattr(r, name) for name in RequestLogRecord.__slots__}
    fields["at"] = _ts(r.at)
    return dumps(fields)


def decode_request_log(raw: bytes | None) -> RequestLogRecord:
    d = loads(raw)
    try:
        d["at"] = _dt(d["at"])
        return RequestLogRecord(**{name: d[name] for name in RequestLogRecord.__slots__})
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad request log record: {exc!r}") from exc


def api_key_to_dict(k: ApiKey) -> dict[str, Any]:
    return {
        "key_hash": k.key_hash,
        "key_prefix": k.key_prefix,
        "company_id": k.company_id,
        "company_name": k.company_name,
        "mode": k.mode.value,
        "revoked": k.revoked,
        "created_at": _ts(k.created_at) if k.created_at else None,
        "revoked_at": _ts(k.revoked_at) if k.revoked_at else None,
        "last_used_at": _ts(k.last_used_at) if k.last_used_at else None,
        "version": k.version,
    }


def api_key_from_dict(d: dict[str, Any]) -> ApiKey:
    """Records written before the registry lack the timestamps and version: they default."""
    try:
        return ApiKey(
            d["key_hash"],
            d["key_prefix"],
            d["company_id"],
            d["company_name"],
            KeyMode(d["mode"]),
            bool(d["revoked"]),
            created_at=_dt(d["created_at"]) if d.get("created_at") else None,
            revoked_at=_dt(d["revoked_at"]) if d.get("revoked_at") else None,
            last_used_at=_dt(d["last_used_at"]) if d.get("last_used_at") else None,
            version=int(d.get("version", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad api key record: {exc!r}") from exc


def encode_api_key(k: ApiKey) -> bytes:
    return dumps(api_key_to_dict(k))


def decode_api_key(raw: bytes | None) -> ApiKey:
    return api_key_from_dict(loads(raw))


def encode_intake_entry(e: IntakeEntry) -> bytes:
    return dumps(
        {"request_id": e.request_id, "body_hash": e.body_hash, "order": order_to_dict(e.order)}
    )


def decode_intake_entry(raw: bytes | None) -> IntakeEntry:
    d = loads(raw)
    try:
        return IntakeEntry(d["request_id"], d["body_hash"], order_from_dict(d["order"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad intake entry: {exc!r}") from exc
