"""A realistic mix of what the sink reads, built with the domain's own functions: orders through
intake, the ledger and dispatch (every transition an event), their ledger entries, inbound and
outbound request-log lines, webhook attempts and audit chains. Each message once, as encoded
bytes per topic name (TopicSpec name, without prefix)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from detectors.policy import approve_all
from domain.audit_chain import GENESIS_HASH, chain
from domain.events import events_for
from domain.intake import admit
from domain.ledger import Account, Book, LowBalance
from domain.ledger_orders import reserve, settle
from domain.money import Money
from domain.orders import OrderStatus
from domain.webhook_events import low_balance_message
from domain.webhooks import AttemptRecord, AttemptResult, RetrySchedule, enqueue, record_attempt
from streams import ledger_messages, messages
from streams.audit_messages import encode_audit_record
from streams.topics import AUDIT_LOG, LEDGER_ENTRIES, ORDERS_EVENTS, REQUESTS_LOG, WEBHOOKS_ATTEMPTS
from streams.webhook_messages import encode_attempt
from tests.builders import T0, order_request
from tests.domain.test_audit_chain import event

COMPANIES = ("cmp_a", "cmp_b", "cmp_c")
PRODUCTS = (("card-transfer-eur", "card_transfer", "bank-a"), ("zalando-25", "gift_certificate", "gifts"),
            ("topup-de", "mobile_topup", "topups"))  # fmt: skip
Messages = dict[str, list[tuple[bytes, bytes]]]  # topic → (key, value)


def _log_line(n: int, company: str, direction: str, status: int, at_s: int) -> bytes:
    return messages.encode_request_log(messages.RequestLogRecord(
        request_id=f"{n:032x}", direction=direction, at=T0 - timedelta(seconds=at_s),
        company_id=company, method="POST", path="/v1/orders", query="", status=status,
        duration_ms=n % 50, client_ip="203.0.113.7", correlation_id=f"ord_{n}",
        idempotency_key=f"k{n}", request_headers="", request_body="{}", response_body="{}",
        error_type="",
    ))  # fmt: skip


def _orders(out: Messages, count: int) -> None:
    # cmp_c can afford only a few orders: the rest are rejected, as in real books.
    books = {c: Book(c).with_account(Account("EUR", available=5_000 if c == "cmp_c" else 10_000_000))
             for c in COMPANIES}  # fmt: skip
    for n in range(count):
        company = COMPANIES[n % 3]
        product_id, product_type, provider = PRODUCTS[n % 4 % 3]
        received = T0 - timedelta(days=n % 3, minutes=n)  # three days of orders
        request = order_request(
            request_id=f"{n:032x}", idempotency_key=f"k{n}", company_id=company, product_id=product_id,
            product_type=product_type, amount=Money(1_000 + 37 * n, "EUR"), fee=n % 5 * 10,
            received_at=received,
        )  # fmt: skip
        order = admit(request, None, approve_all).order
        assert order is not None
        at = received + timedelta(seconds=1)
        reserved = reserve(books[company], None, 0, order, at)
        books[company], entries = reserved.book, list(reserved.entries)
        final = reserved.order
        assert final is not None
        if final.status is OrderStatus.RESERVED:
            assert reserved.hold is not None
            sent = replace(final.transition(OrderStatus.DISPATCHED, "sent", at), provider=provider)
            settled = settle(books[company], reserved.hold, sent, n % 4 != 3, f"by {provider}", at)
            assert settled.order is not None
            books[company], final = settled.book, settled.order
            entries += settled.entries
        key = company.encode()
        out[ORDERS_EVENTS.name] += [(key, messages.encode_order_event(e)) for e in events_for(final)]
        out[LEDGER_ENTRIES.name] += [(key, ledger_messages.encode_entry(e)) for e in entries]
        out[REQUESTS_LOG.name] += [(key, _log_line(n, company, "inbound", 201, n)),
                                   (key, _log_line(100_000 + n, company, "outbound", 200, n))]  # fmt: skip


def _webhooks(out: Messages) -> None:
    for n, company in enumerate(COMPANIES):
        message = low_balance_message(LowBalance(company, "EUR", 10, 100, T0 - timedelta(hours=n)))
        queued = enqueue(message, message.occurred_at, RetrySchedule())
        url = "https://hooks.partner.test/in?token=secret"
        result = AttemptResult(message.occurred_at, url, 500 + n, 20)
        tried = record_attempt(queued, result, RetrySchedule())
        for record in (AttemptRecord(queued, queued.enqueued_at), AttemptRecord(tried, result.at, url, 500 + n, 20)):
            out[WEBHOOKS_ATTEMPTS.name].append((company.encode(), encode_attempt(record)))


def _audit(out: Messages) -> None:
    for chain_id in (0, 1):
        prev = GENESIS_HASH
        for seq in range(1, 6):
            record = chain(prev, seq, event(100 * chain_id + seq), chain_id=chain_id)
            prev = record.hash
            out[AUDIT_LOG.name].append((b"audit", encode_audit_record(record)))


def workload(orders: int) -> Messages:
    out: Messages = {t.name: [] for t in (ORDERS_EVENTS, LEDGER_ENTRIES, REQUESTS_LOG, AUDIT_LOG, WEBHOOKS_ATTEMPTS)}
    _orders(out, orders)
    _webhooks(out)
    _audit(out)
    return out
