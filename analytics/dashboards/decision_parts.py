"""Where a read of decisions over [from, to) gets its rows: an hourly rollup's clean whole
hours (analytics/rollups/hours.py) plus `decisions FINAL` for the rest (the partial hours at the
edges, dirty days, days not computed yet). A query sums both parts, so it answers what the same
query over `decisions FINAL` alone would: each clean day's rollup is that day's FINAL rows
grouped (analytics/rollups/refresh.py says why it is never stale)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics.clickhouse import Reads
from analytics.reports.filters import FINAL_SETTINGS
from analytics.rollups.definitions import Rollup
from analytics.rollups.hours import HourSplit
from analytics.rollups.plan import ONE_DAY, TimeRange, as_utc, day_start
from analytics.rollups.ranges import computation_condition, range_condition
from analytics.rollups.state import hour_split

_HOUR = "DateTime('UTC')"
LIVE_HOURS_FROM_COPY = timedelta(hours=6)
COMPANY = "company_id = {company_id:String}"
# Exact over decisions: its partition key (toYYYYMM(at)) never differs between a row's copies
# (nor over the flagged tables, by their time columns).
SETTINGS = {**FINAL_SETTINGS, "max_execution_time": 10}


@dataclass(frozen=True, slots=True)
class Parts:
    """`whole`, `partial`: WHERE clauses for the rollup table's rows of the whole clean days
    (no condition on the hour: a daily layout answers them) and of the clean whole hours of the
    partial days (None: no such rows); `live`: `PREWHERE …` to follow `FROM {table} FINAL
    [ARRAY JOIN …]` (None: nothing live). All take `params`, company included; `every_company`:
    no company condition (every company's whole days are also in the rollup's daily totals)."""

    whole: str | None
    partial: str | None
    live: str | None
    params: dict[str, Any] = field(default_factory=dict)
    table: str = "decisions_by_time"  # or `decisions` (_live_table says when)
    every_company: bool = False

    @property
    def rollup(self) -> tuple[str, ...]:
        """The rollup table's WHERE clauses, one SELECT each (none: no rows from it)."""
        return tuple(w for w in (self.whole, self.partial) if w is not None)


def parts_of(split: HourSplit, company_id: str | None, live_column: str = "at", live_company: bool = True) -> Parts:
    """`live_column`: the live table's time column (its key's first column); `live_company`:
    the company condition in `live` too (False: the caller filters the live rows by company
    after FINAL, for a table whose key does not hold company_id)."""
    company = [COMPANY] if company_id is not None else []
    params: dict[str, Any] = {"company_id": company_id or ""}
    whole_where = partial_where = live = None
    if split.rollup_days and split.hours is not None:
        first, last = split.hours.start, split.hours.end
        assert first is not None and last is not None
        # Whole days need no condition on the hour, so a projection without hours answers them
        # (fraud rate: ~400 rows per day instead of ~8,000); at most two days are partial.
        whole = [(d, c) for d, c in split.rollup_days if first <= day_start(d) and day_start(d) + ONE_DAY <= last]
        partial = [(d, c) for d, c in split.rollup_days if (d, c) not in whole]
        if whole:
            stored, stored_params = computation_condition(whole, "whole_days")
            whole_where = " AND ".join([stored, *company])
            params |= stored_params
        if partial:
            stored, stored_params = computation_condition(partial, "partial_days")
            hours = "hour >= {hours_from:" + _HOUR + "} AND hour < {hours_to:" + _HOUR + "}"
            partial_where = " AND ".join([stored, hours, *company])
            params |= stored_params | {"hours_from": first, "hours_to": last}
    if split.live:
        ranges, range_params = range_condition(live_column, split.live, "live")
        live = "PREWHERE " + " AND ".join([ranges, *(company if live_company else [])])  # key columns
        params |= range_params
    if whole_where is None and partial_where is None and live is None:
        live = "PREWHERE 0"  # an empty range: the live part's columns, no rows
    return Parts(whole_where, partial_where, live, params, _live_table(split.live, company_id), company_id is None)


def _live_table(ranges: tuple[TimeRange, ...], company_id: str | None) -> str:
    """A few hours of every company are a few granules of `decisions_by_time` (sorted by time),
    hundreds of `decisions` (sorted by company); one company's whole days are a few granules of
    `decisions` and every company's granules of the copy. The edges of a range with every day
    clean are under two hours."""
    if company_id is None:
        return "decisions_by_time"
    span = sum(((r.end - r.start) for r in ranges if r.start is not None and r.end is not None), timedelta())
    return "decisions_by_time" if span <= LIVE_HOURS_FROM_COPY else "decisions"


async def decision_parts(
    ch: Reads, rollup: Rollup, time_from: datetime, time_to: datetime, company_id: str | None,
    *, live: bool = False,
) -> Parts:  # fmt: skip
    """`live`: everything from `decisions FINAL` (what the rollup must equal; the bench's baseline)."""
    split = all_live(time_from, time_to) if live else await hour_split(ch, rollup, time_from, time_to)
    return parts_of(split, company_id)


def all_live(time_from: datetime, time_to: datetime) -> HourSplit:
    """[from, to) read live only."""
    time_from, time_to = as_utc(time_from), as_utc(time_to)
    return HourSplit((), None, (TimeRange(time_from, time_to),) if time_from < time_to else ())


def union(*selects: str | None) -> str:
    """The parts that exist (at least one does), as one UNION ALL."""
    return " UNION ALL ".join(s for s in selects if s is not None)


@dataclass(frozen=True, slots=True)
class Totals:
    """Where every company's whole days are read instead of the rollup table: a daily totals
    table (analytics.rollups.definitions.DailyTotals, database-qualified) and the SELECT list
    over its columns that returns what the rollup's `select` returns."""

    table: str
    select: str


def totals_of(ch: Reads, rollup: Rollup, select: str) -> Totals | None:
    """`rollup`'s daily totals read with `select`, if it has them."""
    return None if rollup.totals is None else Totals(ch.table(rollup.totals.table), select)


def stored(table: str, select: str, parts: Parts, group: str = "", totals: Totals | None = None) -> list[str]:
    """One SELECT of `select` from the rollup `table` per WHERE clause of `parts`; with `totals`,
    every company's whole days from the totals table instead."""
    by = f" GROUP BY {group}" if group else ""
    out = []
    if parts.whole is not None:
        if totals is not None and parts.every_company:
            out.append(f"SELECT {totals.select} FROM {totals.table} WHERE {parts.whole}{by}")
        else:
            out.append(f"SELECT {select} FROM {table} WHERE {parts.whole}{by}")
    if parts.partial is not None:
        out.append(f"SELECT {select} FROM {table} WHERE {parts.partial}{by}")
    return out
