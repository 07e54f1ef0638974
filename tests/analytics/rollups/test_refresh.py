"""Recomputing rollups in the embedded ClickHouse: what gets built, when a dirty day waits,
what a recompute leaves behind, and that a half-finished computation is never read."""

from __future__ import annotations

from datetime import date, timedelta, timezone

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.rollups.definitions import LEDGER, ORDERS
from analytics.rollups.marks import MarkDays, mark_dirty
from analytics.rollups.refresh import build_missing, recompute, refresh_dirty
from analytics.rollups.state import day_states, server_now
from tests.analytics.reports.rows import ORDER_COLUMNS, order
from tests.analytics.rollups.history import DAY0, D, H, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


def _day(n: int) -> date:
    return (DAY0 + n * D).date()


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    # Orders on days 0, 1 and 4 (2 and 3 have none).
    await store(clickhouse, "orders", [order(n, created_at=DAY0 + day * D + H) for n, day in enumerate((0, 1, 1, 4))])
    return clickhouse


async def _computations(ch: ClickHouse) -> list[tuple]:
    return await ch.query(
        f"SELECT day, count(DISTINCT computed_from), sum(orders) FROM {ch.table('orders_daily')} "
        "GROUP BY day ORDER BY day"
    )


async def test_build_covers_every_day_from_first_to_last_once(ch: ClickHouse) -> None:
    assert (await build_missing(ch, ORDERS)).days == 5  # the empty days 2 and 3 too
    states = await day_states(ch, ORDERS)
    assert sorted(states) == [_day(n) for n in range(5)] and all(s.clean for s in states.values())
    assert await _computations(ch) == [(_day(0), 1, 1), (_day(1), 1, 2), (_day(4), 1, 1)]
    assert (await build_missing(ch, ORDERS)).days == 0
    assert (await build_missing(ch, LEDGER)).days == 0  # no entries at all
    assert (await build_missing(ch, ORDERS, rebuild=True)).days == 5


async def test_a_dirty_day_is_recomputed_once_quiet_and_its_older_rows_go(ch: ClickHouse) -> None:
    await build_missing(ch, ORDERS)
    await store(ch, "orders", [order(10, created_at=DAY0 + D + 2 * H)])
    assert (await refresh_dirty(ch, ORDERS, quiet=timedelta(hours=1))).days == 0  # marked just now
    assert not (await day_states(ch, ORDERS))[_day(1)].clean
    assert (await refresh_dirty(ch, ORDERS)).days == 1
    assert (await day_states(ch, ORDERS))[_day(1)].clean
    # Day 1's first computation is deleted once the second is recorded; nothing else changes.
    assert await _computations(ch) == [(_day(0), 1, 1), (_day(1), 1, 3), (_day(4), 1, 1)]


async def test_a_computation_without_its_rollup_days_row_is_never_read(ch: ClickHouse) -> None:
    await build_missing(ch, ORDERS)
    states = await day_states(ch, ORDERS)
    # What a crash between the INSERT … SELECT and the rollup_days insert leaves: rows at a
    # newer computed_from that no reader takes, until a later recompute deletes them.
    orphan = await server_now(ch)
    columns = ("day", "computed_from", *ORDERS.keys, "orders", "amount", "fee")
    await ch.insert(ORDERS.target, [(_day(1), orphan, "cmp_a", "EUR", "x", "x", "x", "completed", 0, 7, 7, 7)], columns)
    assert await day_states(ch, ORDERS) == states
    await mark_dirty(ch, ORDERS, [_day(1)])
    await refresh_dirty(ch, ORDERS)
    assert await _computations(ch) == [(_day(0), 1, 1), (_day(1), 1, 2), (_day(4), 1, 1)]


async def test_marks_use_the_utc_day_and_the_server_clock(ch: ClickHouse) -> None:
    before = await server_now(ch)
    east = timezone(timedelta(hours=3))
    row = order(20, created_at=(DAY0 + 5 * D + H).astimezone(east))  # 04:00 at +03:00, day 5 in UTC
    await MarkDays(ORDERS, ORDER_COLUMNS)(ch, [tuple(row[c] for c in ORDER_COLUMNS)])
    state = (await day_states(ch, ORDERS))[_day(5)]
    assert state.dirty and before < state.marked_at < await server_now(ch)  # type: ignore[operator]


async def test_a_recompute_of_days_far_apart_reads_only_those_days(ch: ClickHouse) -> None:
    t0 = await recompute(ch, ORDERS, [_day(4), _day(0)])
    assert await _computations(ch) == [(_day(0), 1, 1), (_day(4), 1, 1)]
    states = await day_states(ch, ORDERS)
    assert states[_day(0)].computed_from == t0 == states[_day(4)].computed_from
    assert not states[_day(1)].clean


def test_a_mark_hook_needs_the_time_column() -> None:
    with pytest.raises(ValueError, match="created_at"):
        MarkDays(ORDERS, ("order_id", "company_id"))
