"""Pure decisions about daily rollups: which days are clean, which to recompute, and how a
report period splits into rollup days and time ranges read live. No I/O: ClickHouse's answers
come in as DayState values, and ClickHouse's clock as `now`.

Days are UTC calendar days: day d covers [d 00:00, d+1 00:00) UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

ONE_DAY = timedelta(days=1)
MAX_LIVE_RANGES = 12  # OR-ed ranges in one live query; more clean runs are read live instead


@dataclass(frozen=True, slots=True)
class DayState:
    day: date
    computed_from: datetime | None = None  # the day's latest computation (None: never)
    marked_at: datetime | None = None  # its newest dirty mark (None: never marked)

    @property
    def clean(self) -> bool:
        """The latest computation started after the newest mark, so it saw every row the sink
        had marked (see refresh.py): its rows are the day's answer."""
        if self.computed_from is None:
            return False
        return self.marked_at is None or self.marked_at < self.computed_from

    @property
    def dirty(self) -> bool:
        """Marked since its latest computation (or marked and never computed)."""
        return self.marked_at is not None and not self.clean


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime | None  # inclusive; None: no lower bound
    end: datetime | None  # exclusive; None: no upper bound


@dataclass(frozen=True, slots=True)
class Split:
    """A period as whole clean days read from the rollup plus the rest read live."""

    rollup_days: tuple[tuple[date, datetime], ...]  # (day, its latest computed_from), by day
    live: tuple[TimeRange, ...]  # disjoint, in order; () when the rollup covers everything


def as_utc(value: datetime) -> datetime:
    """The columns are UTC; a naive datetime is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _whole(day: date, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= day_start(day)) and (end is None or day_start(day) + ONE_DAY <= end)


def _runs(days: list[date]) -> list[list[date]]:
    """Consecutive days grouped: [[1, 2, 3], [5], …]."""
    runs: list[list[date]] = []
    for d in days:
        if runs and runs[-1][-1] + ONE_DAY == d:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def _gaps(runs: list[list[date]], start: datetime | None, end: datetime | None) -> list[TimeRange]:
    """[start, end) minus the runs' days; adjacent days never leave an empty range between."""
    gaps: list[TimeRange] = []
    cursor = start
    for run in runs:
        first = day_start(run[0])
        if cursor is None or cursor < first:
            gaps.append(TimeRange(cursor, first))
        cursor = day_start(run[-1]) + ONE_DAY
    if end is None or cursor is None or cursor < end:
        gaps.append(TimeRange(cursor, end))
    return gaps


def split_period(
    start: datetime | None, end: datetime | None, states: Iterable[DayState],
    max_ranges: int = MAX_LIVE_RANGES,
) -> Split:  # fmt: skip
    """Whole clean days of [start, end) from the rollup, everything else live. When the clean
    days form so many runs that the live query would need more than `max_ranges` ranges, the
    shortest runs are read live too (live is always exact, only slower)."""
    start = None if start is None else as_utc(start)
    end = None if end is None else as_utc(end)
    if start is not None and end is not None and end <= start:
        return Split((), ())  # an empty period: nothing to read
    clean = {s.day: s.computed_from for s in states if s.clean and _whole(s.day, start, end)}
    runs = _runs(sorted(clean))
    while runs and len(_gaps(runs, start, end)) > max_ranges:
        runs.remove(min(runs, key=len))  # the first of the shortest: saves the least
    days = [d for run in runs for d in run]
    return Split(tuple((d, clean[d]) for d in days if clean[d] is not None), tuple(_gaps(runs, start, end)))


def day_ranges(days: Iterable[date]) -> tuple[TimeRange, ...]:
    """The days as few time ranges as possible (consecutive days merged)."""
    return tuple(
        TimeRange(day_start(run[0]), day_start(run[-1]) + ONE_DAY) for run in _runs(sorted(set(days)))
    )


def days_to_refresh(states: Iterable[DayState], now: datetime, quiet: timedelta) -> tuple[date, ...]:
    """Dirty days whose newest mark is at least `quiet` old. A day still receiving rows (today,
    under traffic) would be dirty again right after a recompute: until it settles, reports
    read it live and the refresher leaves it alone."""
    return tuple(sorted(
        s.day for s in states if s.dirty and s.marked_at is not None and now - s.marked_at >= quiet
    ))  # fmt: skip


def missing_days(first: date | None, last: date | None, states: Mapping[date, DayState]) -> tuple[date, ...]:
    """Days from the source's first to its last day that were never computed (existing data
    after the migration, or days without rows: an empty day's rollup is no rows, which saves
    the live query a gap)."""
    if first is None or last is None:
        return ()
    out, d = [], first
    while d <= last:
        state = states.get(d)
        if state is None or state.computed_from is None:
            out.append(d)
        d += ONE_DAY
    return tuple(out)
