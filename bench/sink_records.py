"""Realistic records for the sink bench, one kind per sink route, built with the real message
types and encoders (what the agents put on these topics), so their sizes and shapes are real.

Each kind names the topic, the table whose row count proves every record was stored, and
makes record `n` as (key, value). Records are recent: request_log and webhook_attempts have
a 13-month TTL, and old rows would be dropped by merges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from datetime import UTC, datetime, timedelta

from domain.events import OrderEvent, events_for
from domain.ledger import Entry, EntryKind, LedgerAccount
from domain.money import Money
from domain.orders import EndUser, Order, OrderStatus, Recipient, RecipientKind, StatusChange
from domain.webhook_events import order_message
from domain.webhooks import AttemptRecord, AttemptResult, RetrySchedule, enqueue, record_attempt
from streams import ledger_messages, messages
from streams.topics import LEDGER_ENTRIES, ORDERS_EVENTS, REQUESTS_LOG, WEBHOOKS_ATTEMPTS, TopicSpec
from streams.webhook_messages import encode_attempt

T0 = datetime.now(UTC) - timedelta(hours=1)
BODY = '{"product_id":"card-transfer-eur","amount":{"value":1500,"currency":"EUR"},' \
       '"recipient":{"card_number":"411111******1111"},"end_user":{"id":"user-42"}}'  # fmt: skip
# An order's life: every transition is one orders.events message (the order as of then).
LIFE = (
    (OrderStatus.RECEIVED, "accepted"), (OrderStatus.APPROVED, "approve_all"),
    (OrderStatus.RESERVED, "funds reserved"), (OrderStatus.DISPATCHED, "sent"),
    (OrderStatus.COMPLETED, "paid by bank-a"),
)  # fmt: skip
Record = tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class RecordKind:
    topic: TopicSpec
    count_table: str  # one row per record here (before merges)
    make: Callable[[int], Record]
    rows_per_record: float  # rows the sink writes per record, over all its tables


def _company(n: int) -> str:
    return f"cmp_{n % 50}"


def request_log(n: int) -> Record:
    record = messages.RequestLogRecord(
        request_id=f"{n:032x}", direction="inbound", at=T0 + timedelta(milliseconds=n),
        company_id=_company(n), method="POST", path="/v1/orders", query="",
        status=201 if n % 10 else 422, duration_ms=n % 97, client_ip="203.0.113.7",
        correlation_id=f"corr-{n}", idempotency_key=f"key-{n}",
        request_headers='{"content-type":"application/json","authorization":"[redacted]"}',
        request_body=BODY, response_body='{"id":"ord_x","status":"approved"}',
        error_type="" if n % 10 else "outside-catalog",
    )  # fmt: skip
    return _company(n).encode(), messages.encode_request_log(record)


def _order(n: int) -> Order:
    created = T0 + timedelta(milliseconds=10 * n)
    history = tuple(
        StatusChange(status, reason, created + timedelta(milliseconds=150 * step + n % 7))
        for step, (status, reason) in enumerate(LIFE)
    )
    card = n % 3 == 0
    recipient = (
        Recipient(RecipientKind.CARD, card_token=f"tok_{n:024x}", card_bin="411111", card_last4="1111",
                  card_ciphertext="v1:" + "A7" * 60)  # fmt: skip
        if card else Recipient(RecipientKind.PHONE, phone=f"+49151{n % 10**8:08d}")
    )  # fmt: skip
    return Order(
        id=f"ord_{n:032x}", company_id=_company(n), idempotency_key=f"key-{n}",
        product_id="card-transfer-eur" if card else "topup-de", amount=Money(1_000 + 37 * n % 90_000, "EUR"),
        recipient=recipient, end_user=EndUser(f"user-{n % 997}", ip="203.0.113.7"), created_at=created,
        history=history, external_id=f"ext-{n}" if n % 2 else None, metadata={"campaign": "spring", "n": n},
        sandbox=False, fee=n % 5 * 10, product_type="card_transfer" if card else "mobile_topup",
        provider="bank-a" if card else "topups",
    )  # fmt: skip


@lru_cache(maxsize=4)  # records are made in order: an order's events one after another
def _events(index: int) -> tuple[OrderEvent, ...]:
    return events_for(_order(index))


def order_event(n: int) -> Record:
    """Record n is transition n % 5 + 1 of order n // 5."""
    event = _events(n // len(LIFE))[n % len(LIFE)]
    return event.order.company_id.encode(), messages.encode_order_event(event)


def ledger_entry(n: int) -> Record:
    kinds = (
        (EntryKind.RESERVE, LedgerAccount.AVAILABLE, LedgerAccount.RESERVED),
        (EntryKind.CAPTURE, LedgerAccount.RESERVED, LedgerAccount.PAYOUTS),
        (EntryKind.FEE, LedgerAccount.AVAILABLE, LedgerAccount.FEES),
    )  # fmt: skip
    kind, source, target = kinds[n % 3]
    order_id = f"ord_{n // 3:032x}"
    entry = Entry(
        entry_id=f"{order_id}:{kind.value}", company_id=_company(n // 3), currency="EUR", kind=kind,
        amount=1_000 + 37 * n % 90_000, source=source, target=target,
        at=T0 + timedelta(milliseconds=n), order_id=order_id, command_id="", reason="payout",
        actor="ledger", available_after=10_000_000 - n, reserved_after=n % 5_000,
    )  # fmt: skip
    return entry.company_id.encode(), ledger_messages.encode_entry(entry)


def webhook_attempt(n: int) -> Record:
    """Record n: attempt n % 2 (0 = queued, 1 = a failed call) of an order webhook."""
    order = _order(n // 2)
    message = order_message(_events(n // 2)[-1])
    assert message is not None
    queued = enqueue(message, message.occurred_at, RetrySchedule())
    if n % 2 == 0:
        record = AttemptRecord(queued, queued.enqueued_at)
    else:
        url = "https://hooks.partner.test/in?token=secret"
        result = AttemptResult(message.occurred_at + timedelta(seconds=1), url, 503, 40, "")
        record = AttemptRecord(record_attempt(queued, result, RetrySchedule()), result.at, url, 503, 40)
    return order.company_id.encode(), encode_attempt(record)


KINDS = {
    "requests": RecordKind(REQUESTS_LOG, "request_log", request_log, 1),
    "order-events": RecordKind(ORDERS_EVENTS, "order_events", order_event, 2),  # + orders
    "ledger": RecordKind(LEDGER_ENTRIES, "ledger_entries", ledger_entry, 1),
    # + webhook_deliveries, and request_log for the half that made a call
    "webhooks": RecordKind(WEBHOOKS_ATTEMPTS, "webhook_attempts", webhook_attempt, 2.5),
}
