"""Recomputing daily rollups, so that a report reading them gets exactly what the live
`FINAL` query would.

Why an insert-triggered materialized view would be wrong: the sink is idempotent by
replacement (several versions of an order, identical ledger rows on replay), and a view sees
every inserted row, so it would count stale versions and replays. A day's rollup is instead
recomputed from the source read with FINAL, and kept only while nothing newer arrived:

1. The sink inserts a batch, and only after ClickHouse acknowledged it, inserts a mark
   (rollup, day, marked_at = now64 on the server) for every day the batch touched; then it
   commits its Kafka offsets. A crash in between leaves the offsets uncommitted: the batch is
   read, inserted and marked again.
2. A recompute first reads t0 = now64 from ClickHouse, then runs INSERT … SELECT of the
   day's groups from `source FINAL` with computed_from = t0, then records (day, t0) in
   rollup_days (a crash before that leaves rows no reader takes).
3. A day is clean iff its latest computed_from is newer than its newest mark. If so, every
   marked row was acknowledged before its mark, so before t0, so before the SELECT (started
   after t0) took its snapshot: the computation saw it, and sees FINAL's latest versions.
   A row marked at or after t0 makes the day dirty: readers take it live until the next
   recompute.
Assumptions: one clock (one ClickHouse server, or chdb in one process) that does not step
backwards; every writer of the source marks what it writes (the sink does; the bench
generator rebuilds after it writes); the rows of a batch count as arrived when their mark
is written (a few milliseconds after the insert, or after a crash in between, when the
batch is re-consumed), as rows still in Kafka do.

Superseded rows (older computations of a day) are ignored by readers and deleted by the
recompute that supersedes them, once its rollup_days row exists, so no reader can need them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import FINAL_SETTINGS
from analytics.rollups.definitions import Rollup
from analytics.rollups.plan import DayState, day_ranges, days_to_refresh, missing_days
from analytics.rollups.ranges import range_condition
from analytics.rollups.state import day_states, server_now, source_days

log = logging.getLogger(__name__)

# Exact: toYYYYMM of the time column partitions every source (FINAL merges within partitions);
# a joined row missing is NULL, not a default that an aggregate would count.
ROLLUP_SETTINGS = {**FINAL_SETTINGS, "join_use_nulls": 1}
MAX_DAYS_PER_STATEMENT = 31  # one month's partition per INSERT … SELECT at most, roughly
_STAMP = "DateTime64(6, 'UTC')"


@dataclass(frozen=True, slots=True)
class Refreshed:
    rollup: str
    days: int
    seconds: float


async def recompute(ch: ClickHouse, rollup: Rollup, days: Sequence[date]) -> datetime:
    """One computation of `days` (any set): returns its computed_from."""
    t0 = await server_now(ch)  # before the SELECT starts: see the module docstring
    where, params = range_condition(rollup.time_column, day_ranges(days), "d")
    keys = ", ".join(rollup.keys)
    selected = ", ".join(rollup.key_expression(k) for k in rollup.keys)
    measures = ", ".join(expr for _, expr in rollup.measures)
    columns = ", ".join(("day", "computed_from", *rollup.keys, *(c for c, _ in rollup.measures)))
    join = ""
    if rollup.join is not None:  # the same ranges on its time column: the same parameters
        joined, _ = range_condition(rollup.join.time_column, day_ranges(days), "d")
        join = rollup.join.sql(ch.table(rollup.join.table), joined)
    await ch.command(
        f"INSERT INTO {ch.table(rollup.target)} ({columns}) "
        f"SELECT toDate({rollup.time_column}) AS day, {{t0:{_STAMP}}}, {selected}, {measures} "
        f"FROM {ch.table(rollup.source)} FINAL {rollup.array_join} {join} PREWHERE {where} GROUP BY day, {keys}",
        {**params, "t0": t0},
        ROLLUP_SETTINGS,
    )
    if rollup.totals is not None:  # from the rows just written: the same computation's sums
        await _write_totals(ch, rollup, days, t0)
    await ch.insert(
        "rollup_days", [(rollup.name, d, t0) for d in sorted(set(days))], ("rollup_name", "day", "computed_from")
    )
    return t0


async def _write_totals(ch: ClickHouse, rollup: Rollup, days: Sequence[date], t0: datetime) -> None:
    """The daily totals of the computation `t0` of `days`, before rollup_days names it (a crash
    in between leaves rows no reader takes, as for the rollup's own rows)."""
    totals = rollup.totals
    assert totals is not None
    keys = ", ".join(totals.keys)
    sums = ", ".join(f"sum({m})" for m in totals.measures)
    columns = ", ".join(("day", "computed_from", *totals.keys, *totals.measures))
    await ch.command(
        f"INSERT INTO {ch.table(totals.table)} ({columns}) "
        f"SELECT day, computed_from, {keys}, {sums} FROM {ch.table(rollup.target)} "
        f"WHERE day IN {{days:Array(Date)}} AND computed_from = {{t0:{_STAMP}}} "
        f"GROUP BY day, computed_from, {keys}",
        {"days": sorted(set(days)), "t0": t0},
    )


async def _prune(ch: ClickHouse, rollup: Rollup, days: Sequence[date], before: datetime) -> None:
    """Deletes the days' rows (and daily totals) computed before `before`, which every day's
    rollup_days row already supersedes (lightweight delete: a mask now, gone at the next merge)."""
    tables = (rollup.target, *((rollup.totals.table,) if rollup.totals is not None else ()))
    for table in tables:
        await ch.command(
            f"DELETE FROM {ch.table(table)} WHERE day IN {{days:Array(Date)}} "
            f"AND computed_from < {{before:{_STAMP}}}",
            {"days": sorted(set(days)), "before": before},
        )


async def refresh_days(
    ch: ClickHouse, rollup: Rollup, days: Sequence[date], states: dict[date, DayState],
    chunk: int = MAX_DAYS_PER_STATEMENT,
) -> None:  # fmt: skip
    """Recomputes `days`, `chunk` days per statement, then drops what they supersede."""
    ordered = sorted(set(days))
    first_t0: datetime | None = None
    for i in range(0, len(ordered), chunk):
        t0 = await recompute(ch, rollup, ordered[i : i + chunk])
        first_t0 = first_t0 or t0
    recomputed = [d for d in ordered if d in states and states[d].computed_from is not None]
    if recomputed and first_t0 is not None:
        await _prune(ch, rollup, recomputed, first_t0)


async def refresh_dirty(ch: ClickHouse, rollup: Rollup, quiet: timedelta = timedelta(0)) -> Refreshed:
    """Recomputes the dirty days that have been quiet for `quiet` (see plan.days_to_refresh)."""
    started = time.perf_counter()
    states = await day_states(ch, rollup)
    days = days_to_refresh(states.values(), await server_now(ch), quiet)
    if days:
        await refresh_days(ch, rollup, days, states)
    return Refreshed(rollup.name, len(days), time.perf_counter() - started)


async def build_missing(ch: ClickHouse, rollup: Rollup, rebuild: bool = False) -> Refreshed:
    """Computes every day from the source's first to its last day that has no rollup yet
    (existing data after the migration), or with `rebuild` every one of them."""
    started = time.perf_counter()
    states = await day_states(ch, rollup)
    first, last = await source_days(ch, rollup)
    if rebuild:
        days = missing_days(first, last, {})
    else:
        days = missing_days(first, last, states)
    if days:
        await refresh_days(ch, rollup, days, states)
    return Refreshed(rollup.name, len(days), time.perf_counter() - started)
