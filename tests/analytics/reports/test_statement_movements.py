"""Statement movements from the daily ledger rollup equal those summed from the entries: with
replayed entries, entries arriving late for old days (dirty), partial-day periods, and before
and after a refresh."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from analytics.reports.statements import ClickHouseStatements
from analytics.rollups.definitions import LEDGER
from analytics.rollups.refresh import build_missing, refresh_dirty
from analytics.rollups.state import day_states, period_split
from tests.analytics.rollups.history import DAY0, DAYS, D, H, entries_history, store


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


MS = timedelta(milliseconds=1)
END = DAY0 + DAYS * D
PERIODS = {
    "everything": (DAY0 - D, END + D),
    "whole days": (DAY0 + D, DAY0 + 8 * D),
    "partial edges": (DAY0 + D + 3 * H, DAY0 + 8 * D + 4 * H + MS),
    "one day": (DAY0 + 4 * D, DAY0 + 5 * D),
    "within a day": (DAY0 + 4 * D + 2 * H, DAY0 + 4 * D + 9 * H),
    "from a midnight top-up's millisecond": (DAY0 + 2 * D + MS, DAY0 + 9 * D),
    "ends at the last millisecond": (DAY0, END - MS),
}
SCOPES = (("cmp_a", "EUR"), ("cmp_a", "USD"), ("cmp_b", "EUR"), ("cmp_none", "EUR"))


async def _differences(st: ClickHouseStatements) -> list[str]:
    found = []
    for name, (start, end) in PERIODS.items():
        for company, currency in SCOPES:
            fast = await st.statement(company, currency, start, end)
            live = await st.statement(company, currency, start, end, live=True)
            if fast != live:
                found.append(f"{name} {company} {currency}: {fast.movements} != {live.movements}")
    return found


@pytest.fixture
async def ch(clickhouse: ClickHouse) -> ClickHouse:
    migrate(clickhouse)
    rows = entries_history() + entries_history("cmp_a", "USD") + entries_history("cmp_b")
    await store(clickhouse, "ledger_entries", rows)
    await store(clickhouse, "ledger_entries", rows[5:40])  # a replay: identical rows again
    return clickhouse


async def _rolled_up(ch: ClickHouse, start: datetime, end: datetime) -> int:
    return len((await period_split(ch, LEDGER, start, end)).rollup_days)


async def test_rollup_movements_equal_live_ones_through_late_entries_and_refreshes(ch: ClickHouse) -> None:
    st = ClickHouseStatements(ch)
    assert await _differences(st) == []  # no rollup: live
    await build_missing(ch, LEDGER)
    assert await _rolled_up(ch, DAY0, END) == DAYS
    assert await _differences(st) == []

    # Entries for old days arrive late (a lagging sink, a replay of a few old ones).
    late = entries_history("cmp_b")[:3]
    late.append({**late[0], "entry_id": "a9:adjustment", "kind": "adjustment", "amount": 5,
                 "source": "available", "target": "adjustments", "at": DAY0 + 3 * D + 5 * H})  # fmt: skip
    await store(ch, "ledger_entries", late)
    dirty = {d for d, s in (await day_states(ch, LEDGER)).items() if s.dirty}
    assert dirty == {DAY0.date(), (DAY0 + 3 * D).date()}
    assert await _rolled_up(ch, DAY0, END) == DAYS - 2
    assert await _differences(st) == []

    assert (await refresh_dirty(ch, LEDGER)).days == 2
    assert await _rolled_up(ch, DAY0, END) == DAYS
    assert await _differences(st) == []


async def test_a_statement_reads_the_rollup_for_clean_days_only(ch: ClickHouse) -> None:
    await build_missing(ch, LEDGER)
    st = ClickHouseStatements(ch)
    day = (DAY0 + 2 * D).date()
    stamp = (await day_states(ch, LEDGER))[day].computed_from
    columns = ("day", "computed_from", *LEDGER.keys, "entries", "amount", "available_delta", "reserved_delta")
    await ch.insert(LEDGER.target, [(day, stamp, "cmp_a", "EUR", "top_up", 1, 1, 1, 0)], columns)
    period = (DAY0, END)
    assert await st.movements("cmp_a", "EUR", *period) != await st.movements("cmp_a", "EUR", *period, live=True)
    await store(ch, "ledger_entries", entries_history()[40:41])  # re-delivered: marks its day
    assert {d for d, s in (await day_states(ch, LEDGER)).items() if s.dirty} == {day}
    assert await st.movements("cmp_a", "EUR", *period) == await st.movements("cmp_a", "EUR", *period, live=True)
