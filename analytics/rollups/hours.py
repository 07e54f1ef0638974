"""Pure planning for the hourly decision rollups: which whole hours of a time range are read
from clean days' rollup rows, and which time ranges are read live.

An hourly rollup is still computed per day (a dirty mark is per day, analytics/rollups/plan.py),
but its rows are hours, so a clean day serves every whole hour of it inside the range, not only
when the whole day is: a range ending now (the dashboard's "last 24 hours") reads all but its
partial first and last hour, and the days still dirty, from the rollup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from analytics.rollups.plan import MAX_LIVE_RANGES, ONE_DAY, DayState, TimeRange, _runs, as_utc, day_start

ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HourSplit:
    """[start, end) as the rollup rows of `rollup_days` whose hour is in `hours`, plus `live`."""

    rollup_days: tuple[tuple[date, datetime], ...]  # (day, its latest computed_from), by day
    hours: TimeRange | None  # [first whole hour, end of the last) bounding those rows; None: no rows
    live: tuple[TimeRange, ...]  # disjoint, in order; () when the rollup covers everything


def floor_hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def ceil_hour(t: datetime) -> datetime:
    floor = floor_hour(t)
    return floor if floor == t else floor + ONE_HOUR


def _covered(run: list[date], first: datetime, last: datetime) -> TimeRange:
    """The part of [first, last) a run of consecutive days covers."""
    return TimeRange(max(first, day_start(run[0])), min(last, day_start(run[-1]) + ONE_DAY))


def _gaps(covered: list[TimeRange], start: datetime, end: datetime) -> list[TimeRange]:
    gaps, cursor = [], start
    for c in covered:
        assert c.start is not None and c.end is not None
        if cursor < c.start:
            gaps.append(TimeRange(cursor, c.start))
        cursor = c.end
    if cursor < end:
        gaps.append(TimeRange(cursor, end))
    return gaps


def split_hours(
    start: datetime, end: datetime, states: Iterable[DayState], max_ranges: int = MAX_LIVE_RANGES
) -> HourSplit:
    """Whole hours of [start, end) on clean days from the rollup, everything else live. When
    the clean days form so many runs that the live query would need more than `max_ranges`
    ranges, the shortest runs are read live too (live is exact, only slower)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        return HourSplit((), None, ())
    first, last = ceil_hour(start), floor_hour(end)  # the whole hours: [first, last)
    if last <= first:
        return HourSplit((), None, (TimeRange(start, end),))
    clean: dict[date, datetime] = {
        s.day: s.computed_from for s in states
        if s.clean and s.computed_from is not None and day_start(s.day) < last and first < day_start(s.day) + ONE_DAY
    }  # fmt: skip
    runs = _runs(sorted(clean))

    def live(rs: list[list[date]]) -> list[TimeRange]:
        return _gaps([_covered(r, first, last) for r in rs], start, end)

    def length(run: list[date]) -> timedelta:
        c = _covered(run, first, last)
        return c.end - c.start  # type: ignore[operator]

    while runs and len(live(runs)) > max_ranges:
        runs.remove(min(runs, key=length))  # the first of the shortest: saves the least
    if not runs:
        return HourSplit((), None, (TimeRange(start, end),))
    days = [d for run in runs for d in run]
    return HourSplit(tuple((d, clean[d]) for d in days), TimeRange(first, last), tuple(live(runs)))
