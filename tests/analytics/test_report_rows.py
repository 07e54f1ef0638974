"""Rows the reports read: product type and provider on orders, ledger entries, and webhook
attempts in the request log (sanitized)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.ledger_rows import LEDGER_ENTRY_COLUMNS, ledger_entry_row
from analytics.migrate import migrate
from analytics.webhook_rows import webhook_request_row
from domain.ledger import LowBalance
from domain.ledger_orders import reserve, settle
from domain.orders import OrderStatus
from domain.webhook_events import low_balance_message
from domain.webhooks import AttemptRecord, AttemptResult, RetrySchedule, enqueue, record_attempt
from streams import ledger_messages
from tests.builders import T0
from tests.domain.ledger_builders import approved_order, book_with


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


async def test_an_order_row_has_its_product_type_and_provider(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    order = approved_order(product_type="gift_certificate")
    sent = replace(order.transition(OrderStatus.DISPATCHED, "sent", T0), provider="gifts")
    clickhouse.insert_sync("orders", [rows.order_row(order), rows.order_row(sent)], rows.ORDER_COLUMNS)
    found = await clickhouse.query(
        f"SELECT product_type, provider, status FROM {clickhouse.table('orders')} FINAL"
    )
    assert found == [("gift_certificate", "gifts", "dispatched")]


async def test_ledger_entries_land_as_decoded_from_their_topic(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    out = reserve(book_with(available=10_000), None, 0, approved_order(amount=1500, fee=40), T0)
    assert out.hold is not None and out.order is not None
    paid = settle(out.book, out.hold, out.order, True, "paid", T0)
    entries = [ledger_messages.decode_entry(ledger_messages.encode_entry(e))
               for e in (*out.entries, *paid.entries)]  # fmt: skip
    twice = [ledger_entry_row(e) for e in entries + entries]  # a replay replaces itself
    clickhouse.insert_sync("ledger_entries", twice, LEDGER_ENTRY_COLUMNS)
    found = await clickhouse.query(
        f"SELECT kind, sum(amount), min(available_after), max(reserved_after) "
        f"FROM {clickhouse.table('ledger_entries')} FINAL GROUP BY kind ORDER BY kind"
    )
    assert found == [("capture", 1500, 8460, 40), ("fee", 40, 8460, 0), ("reserve", 1540, 8460, 1540)]


def _attempts(url: str) -> list[AttemptRecord]:
    message = low_balance_message(LowBalance("cmp_a", "EUR", 10, 100, T0))
    queued = enqueue(message, T0, RetrySchedule())
    failed = record_attempt(queued, AttemptResult(T0, url, 0, 30, "ConnectTimeout: x"), RetrySchedule())
    return [
        AttemptRecord(queued, T0),
        AttemptRecord(failed, T0, url, 0, 30, "ConnectTimeout: timed out after 10 s"),
        AttemptRecord(failed, T0, "", 0, 0, "no endpoint wants this event"),  # no call made
    ]


async def test_webhook_attempts_are_request_log_rows_without_secrets(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    url = "https://user:pass@hooks.partner.test:8443/in/quadra?token=s3cret#frag"
    made = [webhook_request_row(r) for r in _attempts(url)]
    assert made[0] is None and made[2] is None  # queued / no endpoint: no HTTP exchange
    assert made[1] is not None
    clickhouse.insert_sync("request_log", [made[1]], rows.REQUEST_LOG_COLUMNS)
    [row] = await clickhouse.query(
        f"SELECT direction, company_id, method, path, query, status, duration_ms, correlation_id, "
        f"request_headers, request_body, response_body, error_type "
        f"FROM {clickhouse.table('request_log')} FINAL"
    )
    message_id = _attempts(url)[1].delivery.message.id
    assert row == (
        "webhook", "cmp_a", "POST", "https://hooks.partner.test:8443/in/quadra", "", 0, 30,
        message_id, "", "", "", "ConnectTimeout",
    )  # fmt: skip
    assert "s3cret" not in str(row) and "pass" not in str(row)
