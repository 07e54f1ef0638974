"""What ClickHouse knows about a rollup's days: latest computation, newest dirty mark, the
source's first and last day, and the clock both of them use."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.common import utc
from analytics.rollups.definitions import Rollup
from analytics.rollups.hours import HourSplit, split_hours
from analytics.rollups.plan import ONE_DAY, DayState, Split, as_utc, split_period

_STAMP = "DateTime64(6, 'UTC')"


async def server_now(ch: ClickHouse) -> datetime:
    """ClickHouse's clock: marks and computations are compared on it, never on ours."""
    rows = await ch.query("SELECT now64(6, 'UTC')")
    return utc(rows[0][0])


async def day_states(
    ch: ClickHouse, rollup: Rollup, first: date | None = None, end: date | None = None
) -> dict[date, DayState]:
    """Every day in [first, end) (None: unbounded) that was computed or marked. max() over all
    rows: exact before and after the ReplacingMergeTree merges drop older rows."""
    conditions = ["rollup_name = {rollup:String}"]
    params: dict[str, Any] = {"rollup": rollup.name}
    if first is not None:
        conditions.append("day >= {first:Date}")
        params["first"] = first
    if end is not None:
        conditions.append("day < {end:Date}")
        params["end"] = end
    where = " AND ".join(conditions)
    none = f"CAST(NULL AS Nullable({_STAMP}))"
    rows = await ch.query(
        f"SELECT day, max(computed), max(marked) FROM ("
        f"SELECT day, toNullable(computed_from) AS computed, {none} AS marked "
        f"FROM {ch.table('rollup_days')} WHERE {where} "
        f"UNION ALL SELECT day, {none}, toNullable(marked_at) "
        f"FROM {ch.table('rollup_dirty')} WHERE {where}"
        f") GROUP BY day ORDER BY day",
        params,
    )
    return {d: DayState(d, _stamp(c), _stamp(m)) for d, c, m in rows}


def _stamp(value: Any) -> datetime | None:
    return None if value is None else utc(value)


async def source_days(ch: ClickHouse, rollup: Rollup) -> tuple[date | None, date | None]:
    """The first and last day with rows in the rollup's source (partition min/max make this
    cheap), or (None, None) when it is empty."""
    column = rollup.time_column
    rows = await ch.query(
        f"SELECT toDate(min({column})), toDate(max({column})), count() FROM {ch.table(rollup.source)}"
    )
    first, last, count = rows[0]
    return (first, last) if count else (None, None)


async def period_split(ch: ClickHouse, rollup: Rollup, start: datetime | None, end: datetime | None) -> Split:
    """[start, end) as the rollup's clean whole days plus live ranges (plan.split_period)."""
    first = None if start is None else as_utc(start).date()
    last = None if end is None else as_utc(end).date() + ONE_DAY
    states = await day_states(ch, rollup, first, last)
    return split_period(start, end, states.values())


async def hour_split(ch: ClickHouse, rollup: Rollup, start: datetime, end: datetime) -> HourSplit:
    """[start, end) as an hourly rollup's whole clean hours plus live ranges (hours.split_hours)."""
    states = await day_states(ch, rollup, as_utc(start).date(), as_utc(end).date() + ONE_DAY)
    return split_hours(start, end, states.values())
