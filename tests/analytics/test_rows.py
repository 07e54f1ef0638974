"""Rows as the sink writes them: fees in orders, outbound calls in request_log, no clear secrets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from domain.orders import OrderStatus
from providers.base import CallRecord
from streams.outbound_calls import OutboundCallLog
from tests.builders import T0
from tests.domain.ledger_builders import approved_order


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


async def test_an_order_row_keeps_its_fee_and_only_ciphertext(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    order = approved_order(amount=2500, fee=75).transition(OrderStatus.RESERVED, "reserved", T0)
    order = replace(order, delivery="k1.c2VhbGVkLWdpZnQ=")
    clickhouse.insert_sync("orders", [rows.order_row(order)], rows.ORDER_COLUMNS)
    [(fee, amount, snapshot)] = await clickhouse.query(
        f"SELECT fee_value, amount_value, snapshot FROM {clickhouse.table('orders')} FINAL"
    )
    assert (fee, amount) == (75, 2500)
    assert '"delivery":"k1.c2VhbGVkLWdpZnQ="' in snapshot and '"fee":75' in snapshot


async def test_an_outbound_call_lands_in_request_log(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    calls = OutboundCallLog("requests.log", clock=lambda: T0)
    with calls.payout("ord_7", "cmp_a"):
        calls(CallRecord("gifts", "POST", "/gifts/v1/certificates", "ord_7", 201, 8.0,
                         {"order_id": "ord_7"}, {"details": {"code": "[redacted]"}}))  # fmt: skip
    clickhouse.insert_sync("request_log", [rows.request_log_row(r) for r in calls.drain()],
                           rows.REQUEST_LOG_COLUMNS)  # fmt: skip
    found = await clickhouse.query(
        f"SELECT direction, company_id, path, status, response_body FROM {clickhouse.table('request_log')} "
        "WHERE correlation_id = {order_id:String}",
        {"order_id": "ord_7"},
    )
    assert found == [
        ("outbound", "cmp_a", "/gifts/v1/certificates", 201, '{"details":{"code":"[redacted]"}}')
    ]
