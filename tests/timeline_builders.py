"""One order's whole story, built with the domain's own functions as the writers make it:
status events, the decision, its review case, ledger entries, the partner's request and
the provider calls (request-log records), and two webhook messages with their attempts.

Some stored texts hold clear card numbers and secrets on purpose (`CLEAR_PAN`, `SECRET`), as
rows from an older or careless writer would: every reader must show them sanitized."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.events import OrderEvent, event_id_for
from domain.fraud import CaseEvent, CaseEventKind, opened_for_review
from domain.ledger import Entry, EntryKind, LedgerAccount
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from domain.webhook_events import order_message
from domain.webhooks import AttemptRecord, AttemptResult, RetrySchedule, enqueue, record_attempt
from providers.base import CallRecord
from streams.messages import RequestLogRecord
from streams.outbound_calls import outbound_record
from tests.builders import T0
from tests.fraud_builders import assessment, decision

S = timedelta(seconds=1)
COMPANY = "cmp_a"
REQUEST_ID = f"{int(T0.timestamp() * 1000):012x}" + "ab" * 10  # as new_request_id makes them
ORDER_ID = f"ord_{REQUEST_ID}"
CLEAR_PAN = "4111111111111111"
SECRET = "qk_live_supersecretkey123"
SCHEDULE = RetrySchedule()


@dataclass
class OrderStory:
    order: Order
    events: list[OrderEvent]
    decision: dict[str, Any]
    case_events: list[CaseEvent]
    ledger: list[Entry]
    requests: list[RequestLogRecord]  # the partner's request, then the provider calls
    webhook_records: list[AttemptRecord]
    other_orders: list[Order] = field(default_factory=list)


def _order(order_id: str = ORDER_ID, company: str = COMPANY) -> Order:
    return Order(
        id=order_id, company_id=company, idempotency_key="idem-story", product_id="card-transfer-eur",
        amount=Money(2500, "EUR"), recipient=Recipient(RecipientKind.CARD, card_token="tok", card_bin="411111",
                                                       card_last4="1111"),
        end_user=EndUser("user-story"), created_at=T0, history=(StatusChange(OrderStatus.RECEIVED, "received", T0),),
        external_id="ext-story", metadata={"campaign": "spring"}, fee=50, product_type="card_transfer",
    )  # fmt: skip


def _steps(order: Order) -> tuple[Order, list[OrderEvent]]:
    steps = [(OrderStatus.IN_REVIEW, "velocity", 0), (OrderStatus.APPROVED, "by analyst", 60),
             (OrderStatus.RESERVED, "reserved", 61), (OrderStatus.DISPATCHED, "bank-a", 62),
             (OrderStatus.COMPLETED, "paid", 64)]  # fmt: skip
    events = [OrderEvent(event_id_for(order.id, 1), 1, order)]
    for status, reason, seconds in steps:
        order = order.transition(status, reason, T0 + seconds * S)
        events.append(OrderEvent(event_id_for(order.id, order.version), order.version, order))
    return order, events


def _ledger(order: Order) -> list[Entry]:
    def entry(kind: EntryKind, amount: int, source: LedgerAccount, target: LedgerAccount, at: int) -> Entry:
        return Entry(f"{order.id}:{kind.value}", order.company_id, "EUR", kind, amount, source, target,
                     T0 + at * S, order.id, "", f"paid to card {CLEAR_PAN}", "ledger", 10_000, 2_550)  # fmt: skip

    return [
        entry(EntryKind.RESERVE, 2550, LedgerAccount.AVAILABLE, LedgerAccount.RESERVED, 61),
        entry(EntryKind.CAPTURE, 2500, LedgerAccount.RESERVED, LedgerAccount.PAYOUTS, 64),
        entry(EntryKind.FEE, 50, LedgerAccount.RESERVED, LedgerAccount.FEES, 64),
    ]


def _call_id(finished: datetime, tail: str) -> str:
    return f"{int(finished.timestamp() * 1000):012x}" + tail * 10  # as new_call_id makes them


def _requests(order: Order) -> list[RequestLogRecord]:
    partner = RequestLogRecord(
        request_id=REQUEST_ID, direction="inbound", at=T0, company_id=order.company_id, method="POST",
        path="/v1/orders", query="", status=201, duration_ms=12, client_ip="203.0.113.7",
        correlation_id=REQUEST_ID, idempotency_key="idem-story",
        request_headers=f"authorization: Bearer {SECRET}\ncontent-type: application/json\nx-note: {CLEAR_PAN}",
        request_body=f'{{"recipient":{{"card_number":"{CLEAR_PAN}"}},"api_key":"{SECRET}"}}',
        response_body=f'{{"id":"{order.id}","status":"in_review"}}', error_type="",
    )  # fmt: skip
    timeout = CallRecord("bank-a", "POST", "/bank-a/v1/transfers", order.id, None, 500.0,
                         {"order_id": order.id, "card_number": CLEAR_PAN}, None, "ReadTimeout")  # fmt: skip
    paid = CallRecord("bank-a", "POST", "/bank-a/v1/transfers", order.id, 200, 40.0,
                      {"order_id": order.id, "pan": CLEAR_PAN}, {"status": "paid", "delivery": {"code": "GIFT-1"}})  # fmt: skip
    return [
        partner,
        outbound_record(timeout, order.company_id, T0 + 62.5 * S, _call_id(T0 + 62.5 * S, "01")),
        outbound_record(paid, order.company_id, T0 + 63 * S, _call_id(T0 + 63 * S, "02")),
    ]  # fmt: skip


def _webhooks(events: list[OrderEvent]) -> list[AttemptRecord]:
    records: list[AttemptRecord] = []
    for event, codes in ((events[1], [200]), (events[-1], [500, 200])):
        message = order_message(event)
        assert message is not None
        delivery = enqueue(message, message.occurred_at, SCHEDULE)
        records.append(AttemptRecord(delivery, delivery.enqueued_at))
        for i, code in enumerate(codes, 1):
            at = message.occurred_at + i * 2 * S
            url = f"https://partner.test/hook?token={SECRET}"
            delivery = record_attempt(delivery, AttemptResult(at, url, code, 30), SCHEDULE)
            records.append(AttemptRecord(delivery, at, url, code, 30, "" if code < 500 else f"HTTP 500 {CLEAR_PAN}"))
    return records


def order_story() -> OrderStory:
    order, events = _steps(_order())
    held = events[1].order
    case_id = f"case_{order.id}"
    cases = [
        opened_for_review(held, assessment(OrderStatus.IN_REVIEW)),
        CaseEvent(f"{case_id}:note:1", case_id, CaseEventKind.NOTE, T0 + 30 * S, "stf_risk", order.company_id,
                  order.id, "", f"card {CLEAR_PAN} seen before"),
        CaseEvent(f"{case_id}:resolved:1", case_id, CaseEventKind.RESOLVED, T0 + 60 * S, "stf_risk",
                  order.company_id, order.id, "", "approve: approved"),
    ]  # fmt: skip
    other = _order("ord_" + "cd" * 16)  # same company and time: none of its rows may leak in
    return OrderStory(order, events, decision(held), cases, _ledger(order), _requests(order), _webhooks(events),
                      [other])  # fmt: skip
