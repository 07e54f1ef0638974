"""Wire schemas of the staff order detail (latest state and timeline) and request viewer.

Timeline items share `at`, `kind` and `id`; `kind` says which other fields an item has."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, Field

from api.staff.fraud_schemas import DecisionOut
from api.staff.order_timeline_service import OrderDetail, RequestView, WebhookAttemptItem
from api.staff.report_schemas import AmountOut, TransactionOut
from api.staff.webhook_schemas import DeliveryOut
from domain.fraud import CaseEvent
from domain.fraud_views import DecisionView
from domain.order_timeline import LedgerEntryView, StatusEventView, TimelineEntry, TimelineKind
from domain.webhook_log import DeliveryView


class OrderStateOut(TransactionOut):
    idempotency_key: str
    version: int = Field(description="Status changes so far")
    metadata: dict[str, Any]


class HeaderOut(BaseModel):
    name: str
    value: str


class _Item(BaseModel):
    at: datetime
    id: str = Field(description="The source row's id (event, entry, request or attempt id; the order id for its decision)")


class StatusItem(_Item):
    kind: Literal["status"] = "status"
    sequence: int
    status: str
    reason: str
    amount: AmountOut

    @classmethod
    def of(cls, e: StatusEventView) -> StatusItem:
        return cls(at=e.at, id=e.event_id, sequence=e.sequence, status=e.status, reason=e.reason,
                   amount=AmountOut(value=e.amount_value, currency=e.currency))  # fmt: skip


class FeatureValueOut(BaseModel):
    name: str
    value: float | None = Field(description="The feature's value for this order; null if not stored")


class DecisionItem(_Item):
    kind: Literal["decision"] = "decision"
    outcome: str
    score: float | None
    points: int
    fired_rules: list[str]
    shadow_rules: list[str]
    reasons: list[str]
    model: str
    top_features: list[FeatureValueOut] = Field(description="What drove the model's score most, with values")

    @classmethod
    def of(cls, d: DecisionView) -> DecisionItem:
        return cls(
            at=d.at, id=d.order_id, outcome=d.outcome, score=d.score, points=d.points, fired_rules=list(d.fired_rules),
            shadow_rules=list(d.shadow_rules), reasons=list(d.reasons), model=d.model,
            top_features=[FeatureValueOut(name=n, value=d.features.get(n)) for n in d.top_features],
        )  # fmt: skip


class _Exchange(BaseModel):
    request_id: str
    direction: str
    method: str
    path: str
    query: str
    status: int = Field(description="0: no response came (timeout, connection error)")
    duration_ms: int
    correlation_id: str
    idempotency_key: str
    error_type: str
    request_headers: list[HeaderOut]
    request_body: str
    response_body: str

    @staticmethod
    def fields(v: RequestView) -> dict[str, Any]:
        r = v.request
        return dict(
            request_id=r.request_id, direction=r.direction, method=r.method, path=r.path, query=r.query,
            status=r.status, duration_ms=r.duration_ms, correlation_id=r.correlation_id,
            idempotency_key=r.idempotency_key, error_type=r.error_type,
            request_headers=[HeaderOut(name=n, value=val) for n, val in v.request_headers],
            request_body=r.request_body, response_body=r.response_body,
        )  # fmt: skip


class ExchangeItem(_Item, _Exchange):
    kind: Literal["partner_request", "provider_call"]

    @classmethod
    def of(cls, kind: TimelineKind, v: RequestView) -> ExchangeItem:
        return cls(at=v.request.at, id=v.request.request_id, kind=kind.value, **_Exchange.fields(v))


class LedgerItem(_Item):
    kind: Literal["ledger_entry"] = "ledger_entry"
    entry_kind: str = Field(description="reserve, capture, release, fee, …")
    amount: AmountOut
    source: str
    target: str
    command_id: str
    reason: str
    actor: str
    available_after: int
    reserved_after: int

    @classmethod
    def of(cls, e: LedgerEntryView) -> LedgerItem:
        return cls(
            at=e.at, id=e.entry_id, entry_kind=e.kind, amount=AmountOut(value=e.amount, currency=e.currency),
            source=e.source, target=e.target, command_id=e.command_id, reason=e.reason, actor=e.actor,
            available_after=e.available_after, reserved_after=e.reserved_after,
        )  # fmt: skip


class CaseItem(_Item):
    kind: Literal["case_event"] = "case_event"
    case_id: str
    event_kind: str = Field(description="opened, assigned, note, resolved")
    actor: str
    text: str

    @classmethod
    def of(cls, e: CaseEvent) -> CaseItem:
        return cls(at=e.at, id=e.event_id, case_id=e.case_id, event_kind=e.kind.value, actor=e.actor, text=e.text)


class WebhookAttemptOut(_Item):
    kind: Literal["webhook_attempt"] = "webhook_attempt"
    message_id: str
    event_type: str
    round: str = Field(description="'' for the first delivery, the replay id for a replay")
    attempt: int = Field(description="0: queued; 1…: HTTP attempts of this round")
    status: str
    url: str
    response_status: int | None
    duration_ms: int
    error: str

    @classmethod
    def of(cls, item: WebhookAttemptItem) -> WebhookAttemptOut:
        a, m = item.attempt, item.delivery.message
        return cls(
            at=a.at, id=a.attempt_id, message_id=m.id, event_type=m.event_type.value, round=a.round, attempt=a.attempt,
            status=a.status.value, url=a.url, response_status=a.response_status or None, duration_ms=a.duration_ms,
            error=a.error,
        )  # fmt: skip


TimelineItemOut = Annotated[
    StatusItem | DecisionItem | ExchangeItem | LedgerItem | CaseItem | WebhookAttemptOut, Field(discriminator="kind")
]


def timeline_item(e: TimelineEntry) -> TimelineItemOut:
    item: Any = e.item
    match e.kind:
        case TimelineKind.STATUS:
            return StatusItem.of(item)
        case TimelineKind.DECISION:
            return DecisionItem.of(item)
        case TimelineKind.PARTNER_REQUEST | TimelineKind.PROVIDER_CALL:
            return ExchangeItem.of(e.kind, item)
        case TimelineKind.LEDGER_ENTRY:
            return LedgerItem.of(item)
        case TimelineKind.CASE_EVENT:
            return CaseItem.of(item)
        case TimelineKind.WEBHOOK_ATTEMPT:
            return WebhookAttemptOut.of(item)
    raise AssertionError(f"unknown timeline kind {e.kind}")


def _webhook(v: DeliveryView) -> DeliveryOut:
    try:
        return DeliveryOut.from_view(v)
    except orjson.JSONDecodeError:  # a body that is not JSON (any more): shown as text
        text = orjson.dumps({"unparsed": v.message.body}).decode()
        return DeliveryOut.from_view(replace(v, message=replace(v.message, body=text)))


class OrderDetailOut(BaseModel):
    object: Literal["order_detail"] = "order_detail"
    order: OrderStateOut
    decision: DecisionOut | None = Field(description="null until the decision is stored")
    webhooks: list[DeliveryOut] = Field(description="The order's webhook messages, each as of its latest attempt")
    timeline: list[TimelineItemOut] = Field(description="Oldest first")

    @classmethod
    def from_detail(cls, d: OrderDetail) -> OrderDetailOut:
        o = d.order
        state = OrderStateOut(**TransactionOut.from_row(o.transaction).model_dump(), idempotency_key=o.idempotency_key,
                              version=o.transaction.version, metadata=o.metadata)  # fmt: skip
        return cls(
            order=state, decision=DecisionOut.from_view(d.decision) if d.decision else None,
            webhooks=[_webhook(v) for v in d.webhooks], timeline=[timeline_item(e) for e in d.timeline],
        )  # fmt: skip


class StoredParts(BaseModel):
    request_headers: bool
    request_body: bool
    response_body: bool
    response_headers: Literal[False] = Field(False, description="Response headers are never logged")


class LoggedRequestDetailOut(_Exchange):
    object: Literal["logged_request"] = "logged_request"
    at: datetime
    company_id: str | None
    client_ip: str
    stored: StoredParts = Field(description="Which parts the log keeps for an exchange of this direction")
    notes: list[str]

    @classmethod
    def from_view(cls, v: RequestView) -> LoggedRequestDetailOut:
        r = v.request
        stored, notes = _stored(r.direction)
        return cls(**_Exchange.fields(v), at=r.at, company_id=r.company_id or None, client_ip=r.client_ip,
                   stored=stored, notes=notes)  # fmt: skip


_CAPPED = "Bodies are sanitized (card numbers masked, secrets redacted) and capped at 4096 characters."


def _stored(direction: str) -> tuple[StoredParts, list[str]]:
    if direction == "outbound":
        return StoredParts(request_headers=False, request_body=True, response_body=True), [
            "Provider calls log no request headers: they carry only the bearer token and the order id "
            "(as the idempotency key).", _CAPPED,
        ]  # fmt: skip
    if direction == "webhook":
        return StoredParts(request_headers=False, request_body=False, response_body=False), [
            "Webhook attempts log no headers (they carry the signature) and no bodies: the signed body is "
            "in the delivery log, GET /staff/v1/webhooks/deliveries/{message_id} (the correlation id).",
            "The URL is shown without query, fragment or credentials.",
        ]  # fmt: skip
    return StoredParts(request_headers=True, request_body=True, response_body=True), [
        "Secret headers (Authorization, cookies, API keys, CSRF tokens) are redacted.", _CAPPED,
    ]  # fmt: skip
