"""The partner list's read: whole orders back from their stored snapshots, latest version only."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.orders_repo import ClickHouseOrderReader
from analytics.reports.filters import TransactionFilter
from domain.orders import OrderStatus
from tests.builders import T0
from tests.domain.ledger_builders import approved_order


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


async def test_pages_of_orders_read_back_whole(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    orders = [replace(approved_order(n, 1000 + n), created_at=T0 + n * timedelta(seconds=1)) for n in range(5)]
    done = orders[2].transition(OrderStatus.RESERVED, "funds reserved", T0 + timedelta(minutes=1))
    stored = [*orders, done, approved_order(9, company="cmp_b")]
    await clickhouse.insert("orders", [rows.order_row(o) for o in stored], rows.ORDER_COLUMNS)
    reader = ClickHouseOrderReader(clickhouse)
    only_a = TransactionFilter(company_ids=("cmp_a",))

    first, after = await reader.page(only_a, None, 3)
    rest, end = await reader.page(only_a, after, 3)
    assert [o.id for o in first + rest] == [o.id for o in reversed(orders)] and end is None
    assert first[2] == done and first[0] == orders[4]  # the latest version, the whole order
    reserved, _ = await reader.page(replace(only_a, statuses=("approved",)), None, 10)
    assert orders[2].id not in [o.id for o in reserved] and len(reserved) == 4
