"""The periodic refresher: builds what is missing at start, then keeps dirty days recomputed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.fraud_rows import DECISION_COLUMNS
from analytics.rollups.definitions import DECISION_ROLLUPS, DECISIONS, LEDGER, ORDERS, RULE_HITS
from analytics.rollups.refresher import RefresherConfig, RollupRefresher
from analytics.rollups.state import day_states
from tests.analytics.reports.rows import order
from tests.analytics.rollups.decision_history import row as decision_row
from tests.analytics.rollups.history import DAY0, D, H, entries_history, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def _all_clean(ch: ClickHouse) -> bool:
    states = [s for r in (ORDERS, LEDGER) for s in (await day_states(ch, r)).values()]
    return bool(states) and all(s.clean for s in states)


async def test_the_refresher_builds_then_follows_the_marks_and_stops(clickhouse: ClickHouse) -> None:
    migrate(clickhouse)
    # Data from before the rollups existed: rows, no marks.
    await store(clickhouse, "orders", [order(n, created_at=DAY0 + n * D) for n in range(3)])
    await store(clickhouse, "ledger_entries", entries_history()[:20])
    await clickhouse.command(f"TRUNCATE TABLE {clickhouse.table('rollup_dirty')}")

    refresher = RollupRefresher(clickhouse, RefresherConfig(interval_s=0.05, quiet_s=0))
    task = asyncio.create_task(refresher.run())
    await _eventually(lambda: _all_clean(clickhouse))
    assert sorted(await day_states(clickhouse, ORDERS)) == [(DAY0 + n * D).date() for n in range(3)]

    await store(clickhouse, "orders", [order(9, created_at=DAY0 + D + H)])
    assert not await _all_clean(clickhouse)
    await _eventually(lambda: _all_clean(clickhouse))

    await refresher.stop()
    await asyncio.wait_for(task, 5)
    assert refresher.cycles >= 2


async def test_decisions_stored_before_the_migration_get_their_rollups_at_the_first_cycle(
    clickhouse: ClickHouse,
) -> None:
    # What `quadra up` does on a data dir migrated to 0010: the decisions' copy is filled by
    # the migration, nothing is marked, and the refresher's first cycle builds every day.
    migrate(clickhouse)
    await clickhouse.insert("decisions", [decision_row(f"o{n}", "cmp_a", DAY0 + n * D + H, "approved") for n in range(3)],
                            DECISION_COLUMNS)  # fmt: skip
    refresher = RollupRefresher(clickhouse, RefresherConfig(interval_s=60, quiet_s=60))
    done: dict[str, int] = {}
    for r in await refresher.cycle(build=True):  # built, then dirty days refreshed (none)
        done[r.rollup] = done.get(r.rollup, 0) + r.days
    assert done[DECISIONS.name] == done[RULE_HITS.name] == 3
    for rollup in DECISION_ROLLUPS:
        states = await day_states(clickhouse, rollup)
        assert len(states) == 3 and all(s.clean for s in states.values())
