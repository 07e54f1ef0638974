"""Aggregates by day, company, product type and status, per currency."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.aggregates import AggregateRow, GroupBy, aggregate_orders
from analytics.reports.filters import TransactionFilter
from tests.analytics.reports.rows import insert_orders, order
from tests.builders import T0


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


D = timedelta(days=1)


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    await insert_orders(clickhouse, [
        order(0, amount_value=100, fee_value=1),
        order(1, amount_value=200, fee_value=2, status="failed"),
        order(2, amount_value=300, fee_value=3, created_at=T0 + D, product_type="mobile_topup"),
        order(3, amount_value=400, fee_value=4, created_at=T0 + D, company_id="cmp_b", currency="USD"),
        order(4, amount_value=500, fee_value=5, created_at=T0 + 2 * D, company_id="cmp_b"),
    ])  # fmt: skip
    await insert_orders(clickhouse, [order(0, amount_value=100, fee_value=1, status="approved", version=0)])
    return clickhouse


CASES = [
    ([GroupBy.DAY], TransactionFilter(), [
        (("2026-11-26",), "EUR", 2, 300, 3), (("2026-11-27",), "EUR", 1, 300, 3),
        (("2026-11-27",), "USD", 1, 400, 4), (("2026-11-28",), "EUR", 1, 500, 5)]),
    ([GroupBy.COMPANY], TransactionFilter(), [
        (("cmp_a",), "EUR", 3, 600, 6), (("cmp_b",), "EUR", 1, 500, 5), (("cmp_b",), "USD", 1, 400, 4)]),
    ([GroupBy.STATUS], TransactionFilter(currency="EUR"), [
        (("completed",), "EUR", 3, 900, 9), (("failed",), "EUR", 1, 200, 2)]),
    ([GroupBy.PRODUCT_TYPE], TransactionFilter(company_ids=("cmp_a",)), [
        (("card_transfer",), "EUR", 2, 300, 3), (("mobile_topup",), "EUR", 1, 300, 3)]),
    ([GroupBy.DAY, GroupBy.COMPANY], TransactionFilter(created_from=T0 + D, created_to=T0 + 3 * D), [
        (("2026-11-27", "cmp_a"), "EUR", 1, 300, 3), (("2026-11-27", "cmp_b"), "USD", 1, 400, 4),
        (("2026-11-28", "cmp_b"), "EUR", 1, 500, 5)]),
    ([GroupBy.STATUS], TransactionFilter(statuses=("approved",)), []),  # a stale version is not counted
    # … nor when fixed-column filters run before FINAL (PREWHERE).
    ([GroupBy.STATUS], TransactionFilter(company_ids=("cmp_a",), created_from=T0, amount_max=100), [
        (("completed",), "EUR", 1, 100, 1)]),
    ([GroupBy.COMPANY], TransactionFilter(company_ids=("x' OR 1=1 --",)), []),
]  # fmt: skip


@pytest.mark.parametrize(("group_by", "f", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
async def test_aggregates(ch: ClickHouse, group_by: list[GroupBy], f: TransactionFilter, expected: list) -> None:
    assert await aggregate_orders(ch, group_by, f) == [AggregateRow(*row) for row in expected]


async def test_groupings_must_be_distinct_and_known(ch: ClickHouse) -> None:
    for bad in ([], [GroupBy.DAY, GroupBy.DAY], ["created_at; DROP TABLE orders"]):
        with pytest.raises(ValueError):
            await aggregate_orders(ch, bad, TransactionFilter())  # type: ignore[arg-type]
