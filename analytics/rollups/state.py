"""What ClickHouse knows about a rollup's days: latest computation, newest dirty mark, the
source's first and last day, and the clock both of them use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from analytics.clickhouse import Reads
from analytics.reports.common import utc
from analytics.rollups.definitions import Rollup
from analytics.rollups.hours import HourSplit, split_hours
from analytics.rollups.plan import ONE_DAY, DayState, Split, as_utc, split_period


async def server_now(ch: Reads) -> datetime:
    """ClickHouse's clock: marks and computations are compared on it, never on ours."""
    rows = await ch.query("SELECT now64(6, 'UTC')")
    return utc(rows[0][0])


async def day_states(
    ch: Reads, rollup: Rollup, first: date | None = None, end: date | None = None
) -> dict[date, DayState]:
    """Every day in [first, end) (None: unbounded) that was computed or marked. max() over all
    rows: exact before and after the ReplacingMergeTree merges drop older rows."""
    return (await rollup_states(ch, (rollup,), first, end))[rollup.name]


async def rollup_states(
    ch: Reads, rollups: Sequence[Rollup], first: date | None = None, end: date | None = None
) -> dict[str, dict[date, DayState]]:
    """day_states of several rollups from one query (a dashboard reads three): rollup name → day
    → state. A day's marks are those of every name in the rollup's `marks`. Each table is read
    once for all of them (a read's fixed cost is most of the time of such a small one)."""
    conditions = ""
    params: dict[str, Any] = {
        "names": sorted({r.name for r in rollups}), "marks": sorted({m for r in rollups for m in r.marks}),
    }  # fmt: skip
    if first is not None:
        conditions += " AND day >= {first:Date}"
        params["first"] = first
    if end is not None:
        conditions += " AND day < {end:Date}"
        params["end"] = end
    rows = await ch.query(
        f"SELECT 1 AS computed, rollup_name, day, max(computed_from) FROM {ch.table('rollup_days')} "
        f"WHERE rollup_name IN {{names:Array(String)}}{conditions} GROUP BY rollup_name, day "
        f"UNION ALL SELECT 0, rollup_name, day, max(marked_at) FROM {ch.table('rollup_dirty')} "
        f"WHERE rollup_name IN {{marks:Array(String)}}{conditions} GROUP BY rollup_name, day",
        params,
    )
    computed: dict[tuple[str, date], datetime] = {}
    marked: dict[tuple[str, date], datetime] = {}
    for is_computed, name, d, stamp in rows:
        (computed if is_computed else marked)[(name, d)] = utc(stamp)
    states: dict[str, dict[date, DayState]] = {}
    for r in rollups:
        days = {d for name, d in computed if name == r.name} | {d for name, d in marked if name in r.marks}
        states[r.name] = {}
        for d in sorted(days):
            newest = max((marked[m, d] for m in r.marks if (m, d) in marked), default=None)
            states[r.name][d] = DayState(d, computed.get((r.name, d)), newest)
    return states


async def source_days(ch: Reads, rollup: Rollup) -> tuple[date | None, date | None]:
    """The first and last day with rows in the rollup's source (partition min/max make this
    cheap), or (None, None) when it is empty."""
    column = rollup.time_column
    rows = await ch.query(
        f"SELECT toDate(min({column})), toDate(max({column})), count() FROM {ch.table(rollup.source)}"
    )
    first, last, count = rows[0]
    return (first, last) if count else (None, None)


async def period_split(ch: Reads, rollup: Rollup, start: datetime | None, end: datetime | None) -> Split:
    """[start, end) as the rollup's clean whole days plus live ranges (plan.split_period)."""
    first = None if start is None else as_utc(start).date()
    last = None if end is None else as_utc(end).date() + ONE_DAY
    states = await day_states(ch, rollup, first, last)
    return split_period(start, end, states.values())


async def hour_split(ch: Reads, rollup: Rollup, start: datetime, end: datetime) -> HourSplit:
    """[start, end) as an hourly rollup's whole clean hours plus live ranges (hours.split_hours)."""
    return (await hour_splits(ch, (rollup,), start, end))[rollup.name]


async def hour_splits(
    ch: Reads, rollups: Sequence[Rollup], start: datetime, end: datetime
) -> dict[str, HourSplit]:
    """hour_split of several rollups over the same range, from one query."""
    states = await rollup_states(ch, rollups, as_utc(start).date(), as_utc(end).date() + ONE_DAY)
    return {r.name: split_hours(start, end, states[r.name].values()) for r in rollups}
