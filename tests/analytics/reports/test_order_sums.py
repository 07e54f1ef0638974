"""Aggregates and totals from the daily rollup equal the live `orders FINAL` answers: with
several versions per order, replayed rows, late status changes on old days, orders arriving
after a rollup (dirty days), partial-day periods, and before and after a refresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.aggregates import GroupBy, aggregate_orders
from analytics.reports.filters import TransactionFilter as F
from analytics.reports.transactions import ClickHouseTransactions
from analytics.rollups.definitions import ORDER_AMOUNTS, ORDERS
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import day_states, period_split
from tests.analytics.reports.rows import order
from tests.analytics.rollups.history import DAY0, DAYS, D, H, orders_history, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


END = DAY0 + DAYS * D
FILTERS = {
    "everything": F(),
    "whole days": F(created_from=DAY0 + D, created_to=DAY0 + 6 * D),
    "partial edge days": F(created_from=DAY0 + D + 5 * H, created_to=DAY0 + 6 * D + 30 * H / 60),
    "from only": F(created_from=DAY0 + 3 * D + H),
    "to only": F(created_to=DAY0 + 7 * D),
    "less than a day": F(created_from=DAY0 + 2 * D + H, created_to=DAY0 + 2 * D + 9 * H),
    "the last millisecond of a day": F(created_from=DAY0 + 2 * D - timedelta(milliseconds=1), created_to=END),
    "empty period": F(created_from=DAY0 + 3 * D, created_to=DAY0 + 3 * D),
    "one company": F(company_ids=("cmp_a",), created_from=DAY0, created_to=END),
    "two companies": F(company_ids=("cmp_a", "cmp_b"), created_from=DAY0 + 12 * H),
    "statuses": F(statuses=("completed", "failed"), created_from=DAY0, created_to=END),
    "a stale status": F(statuses=("approved", "dispatched"), created_from=DAY0, created_to=END),
    "product types": F(product_types=("mobile_topup",), created_from=DAY0, created_to=END),
    "product ids": F(product_ids=("card-transfer-eur",), created_from=DAY0, created_to=END),
    "providers": F(providers=("bank_b", "gifts"), created_from=DAY0, created_to=END),
    "currency": F(currency="USD", created_from=DAY0, created_to=END),
    "sandbox": F(sandbox=True, created_from=DAY0, created_to=END),
    "not sandbox": F(sandbox=False, company_ids=("cmp_b",), statuses=("completed",), created_from=DAY0),
    "no such company": F(company_ids=("x' OR 1=1 --",), created_from=DAY0, created_to=END),
    # Amount ranges: whole bands from order_amounts_daily, the pieces of bands at the ends
    # (and the dirty days) from single orders; none whole: live. Amounts are 100 + 13n.
    "amount range": F(amount_min=500, amount_max=2_000, created_from=DAY0, created_to=END),
    "amounts, both ends in pieces": F(amount_min=250, amount_max=1_234, created_from=DAY0 + D + 5 * H),
    "amounts from a band's start": F(amount_min=1_000, created_from=DAY0 + D + 5 * H, created_to=END - H),
    "amounts up to a band's end": F(amount_max=999, company_ids=("cmp_b", "cmp_a"), statuses=("completed",)),
    "amounts, a piece with its top amount": F(amount_min=100, amount_max=2_700, providers=("bank_a", "topups")),
    "amounts inside one band": F(amount_min=1_100, amount_max=1_900, created_from=DAY0, created_to=END),
    "one amount": F(amount_min=1_400, amount_max=1_400),
    "amounts reversed": F(amount_min=2_000, amount_max=1_000),
    # Conditions the rollup does not keep: live, and equal by construction.
    "end user": F(end_user_id="user-1", created_from=DAY0, created_to=END),
    "card last4": F(card_last4="0001", created_from=DAY0, created_to=END),
    # One company's card: from the projection, argMax by version instead of FINAL.
    "a company's card": F(company_ids=("cmp_a",), card_last4="0002", created_from=DAY0, created_to=END),
    "a company's card, stale status": F(company_ids=("cmp_a",), card_last4="0000", statuses=("approved",)),
    "a company's card, statuses": F(company_ids=("cmp_a",), card_last4="0000", statuses=("failed", "declined")),
    # One company's amount range: from the projection sorted by amount (amount_orders).
    "a company's amounts": F(company_ids=("cmp_a",), amount_min=500, amount_max=2_000),
    "a company's amounts, stale status": F(company_ids=("cmp_b",), amount_min=1, statuses=("approved",)),
    "a company's amounts, statuses": F(company_ids=("cmp_a",), amount_max=3_000, statuses=("failed", "declined"),
                                       created_from=DAY0 + D),
    "a company's card, provider": F(company_ids=("cmp_b",), card_last4="0001", providers=("bank_b",),
                                    currency="EUR", amount_min=500),
}
GROUPINGS = [
    [GroupBy.DAY], [GroupBy.COMPANY], [GroupBy.STATUS], [GroupBy.PRODUCT_TYPE],
    [GroupBy.DAY, GroupBy.COMPANY], [GroupBy.STATUS, GroupBy.DAY, GroupBy.PRODUCT_TYPE, GroupBy.COMPANY],
]  # fmt: skip


async def _differences(ch: ClickHouse) -> list[str]:
    """Every filter × grouping (and totals) where the rollup answer is not the live one."""
    tx = ClickHouseTransactions(ch)
    found = []
    for name, f in FILTERS.items():
        for group_by in GROUPINGS:
            fast, live = await aggregate_orders(ch, group_by, f), await aggregate_orders(ch, group_by, f, live=True)
            if fast != live:
                found.append(f"{name} by {[g.value for g in group_by]}: {fast} != {live}")
        if await tx.totals(f) != await tx.totals(f, live=True):
            found.append(f"{name} totals")
    return found


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    history = orders_history()
    await store(clickhouse, "orders", history)
    await store(clickhouse, "orders", history[::3])  # a replayed batch: identical rows again
    return clickhouse


async def _rolled_up_days(ch: ClickHouse) -> int:
    """Days both rollups answer (they are computed and dirtied alike)."""
    counts = {len((await period_split(ch, r, DAY0, END)).rollup_days) for r in (ORDERS, ORDER_AMOUNTS)}
    assert len(counts) == 1, counts
    return counts.pop()


async def _build(ch: ClickHouse) -> None:
    for rollup in (ORDERS, ORDER_AMOUNTS):
        await build_missing(ch, rollup)


async def _refresh(ch: ClickHouse) -> int:
    return sum([(await refresh_dirty(ch, rollup)).days for rollup in (ORDERS, ORDER_AMOUNTS)])


async def test_rollup_answers_equal_live_answers_through_late_changes_and_refreshes(ch: ClickHouse) -> None:
    assert await _differences(ch) == []  # no rollup yet: everything live
    await _build(ch)  # every day from the first to the last: computed after the marks
    assert await _rolled_up_days(ch) == DAYS
    assert await _refresh(ch) == 0
    assert await _differences(ch) == []

    # Late changes on old days: a completed order is refunded-failed (a newer version), an old
    # order's stale version is replayed, and a new order lands on day 2 after the rollup.
    latest = orders_history()[-1]
    late = [
        {**latest, "status": "failed", "version": 9, "updated_at": END + H},
        {**orders_history()[0]},  # version 1 of order 0 again
        order(999, created_at=DAY0 + 2 * D + 3 * H, amount_value=5_000, provider="bank_a"),
    ]
    await store(ch, "orders", late)
    for rollup in (ORDERS, ORDER_AMOUNTS):
        states = await day_states(ch, rollup)
        dirty = {d for d, s in states.items() if s.dirty}
        assert dirty == {latest["created_at"].date(), DAY0.date(), (DAY0 + 2 * D).date()}
    assert await _rolled_up_days(ch) == DAYS - 3
    assert await _differences(ch) == []  # dirty days are read live

    assert await _refresh(ch) == 6
    assert await _rolled_up_days(ch) == DAYS
    assert await _differences(ch) == []


async def test_the_rollup_is_what_answers_for_clean_days_and_never_for_dirty_ones(ch: ClickHouse) -> None:
    await build_missing(ch, ORDERS)
    await refresh_dirty(ch, ORDERS)
    f = F(created_from=DAY0, created_to=END)
    before = await aggregate_orders(ch, [GroupBy.DAY], f)
    states = await day_states(ch, ORDERS)
    # A forged rollup row at day 1's latest computation shows in the answer: it is read …
    stamp = states[(DAY0 + D).date()].computed_from
    forged = ((DAY0 + D).date(), stamp, "cmp_z", "EUR", "card_transfer", "p", "bank_a", "completed", 0, 1, 5, 0)
    columns = ("day", "computed_from", *ORDERS.keys, "orders", "amount", "fee")
    await ch.insert(ORDERS.target, [forged], columns)
    forged_answer = await aggregate_orders(ch, [GroupBy.DAY], f)
    assert forged_answer != before
    assert await aggregate_orders(ch, [GroupBy.DAY], f, live=True) == before
    # … until the day is marked: then it is read live again.
    await store(ch, "orders", [order(1000, created_at=DAY0 + D + H)])
    assert await aggregate_orders(ch, [GroupBy.DAY], f) == await aggregate_orders(ch, [GroupBy.DAY], f, live=True)
    # A filter the rollup cannot answer ignores it too.
    user = replace(f, end_user_id="user-1")
    assert await aggregate_orders(ch, [GroupBy.DAY], user) == await aggregate_orders(ch, [GroupBy.DAY], user, live=True)


async def test_an_amount_range_reads_its_whole_bands_from_the_rollup_and_its_pieces_from_orders(ch: ClickHouse) -> None:
    await _build(ch)
    f = F(amount_min=900, amount_max=1_400, created_from=DAY0, created_to=END)  # bands 900 to 1000; 1001-1400
    tx = ClickHouseTransactions(ch)
    before = await tx.totals(f)
    assert before == await tx.totals(f, live=True)
    stamp = (await day_states(ch, ORDER_AMOUNTS))[(DAY0 + D).date()].computed_from
    columns = ("day", "computed_from", *ORDER_AMOUNTS.keys, "orders", "amount", "fee")

    def forged(band: int) -> tuple:
        return ((DAY0 + D).date(), stamp, "cmp_z", "EUR", "card_transfer", "p", "bank_a", "completed", 0, band,
                1, 5, 0)  # fmt: skip

    # A band inside the range is read from the rollup (a forged row there shows) …
    await ch.insert(ORDER_AMOUNTS.target, [forged(900)], columns)
    assert await tx.totals(f) != before
    await ch.command(f"DELETE FROM {ch.table(ORDER_AMOUNTS.target)} WHERE company_id = 'cmp_z'")
    # … a band only partly inside it, from single orders (a forged row there does not).
    await ch.insert(ORDER_AMOUNTS.target, [forged(1_001)], columns)
    assert await tx.totals(f) == before
