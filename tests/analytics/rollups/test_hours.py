"""Pure hourly splits: whole hours of clean days from the rollup, partial hours at the edges
and days not clean read live, the live ranges capped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from analytics.rollups.hours import HourSplit, ceil_hour, floor_hour, split_hours
from analytics.rollups.plan import DayState, TimeRange, day_start

D, H, MS = timedelta(days=1), timedelta(hours=1), timedelta(milliseconds=1)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
DAY = date(2026, 11, 1)


def d(n: int) -> date:
    return DAY + n * D


def at(n: int) -> datetime:
    return day_start(d(n))


def clean(n: int) -> DayState:
    return DayState(d(n), computed_from=NOW - H, marked_at=NOW - 2 * H)


def dirty(n: int) -> DayState:
    return DayState(d(n), computed_from=NOW - 2 * H, marked_at=NOW - H)


def test_hours_round_to_whole_hours() -> None:
    t = at(0) + 5 * H + MS
    assert (floor_hour(t), ceil_hour(t)) == (at(0) + 5 * H, at(0) + 6 * H)
    assert floor_hour(at(0)) == ceil_hour(at(0)) == at(0)


def test_the_last_24_hours_read_all_but_their_partial_edge_hours_from_the_rollup() -> None:
    end = at(2) + 10 * H + 30 * timedelta(minutes=1)
    split = split_hours(end - D, end, [clean(0), clean(1), clean(2)])
    assert [day for day, _ in split.rollup_days] == [d(1), d(2)]
    assert split.hours == TimeRange(at(1) + 11 * H, at(2) + 10 * H)
    assert split.live == (TimeRange(end - D, at(1) + 11 * H), TimeRange(at(2) + 10 * H, end))


def test_a_dirty_or_uncomputed_day_is_read_live_between_clean_ones() -> None:
    split = split_hours(at(0), at(4), [clean(0), dirty(1), clean(3)])  # day 2: never computed
    assert [day for day, _ in split.rollup_days] == [d(0), d(3)]
    assert split.hours == TimeRange(at(0), at(4))
    assert split.live == (TimeRange(at(1), at(3)),)


def test_whole_days_need_no_live_range() -> None:
    split = split_hours(at(0), at(3), [clean(0), clean(1), clean(2), clean(5)])
    assert split.live == () and [day for day, _ in split.rollup_days] == [d(0), d(1), d(2)]


def test_ranges_without_a_whole_hour_or_without_clean_days_are_live() -> None:
    start = at(0) + 5 * H + MS
    assert split_hours(start, start + 50 * timedelta(minutes=1), [clean(0)]) == HourSplit(
        (), None, (TimeRange(start, start + 50 * timedelta(minutes=1)),)
    )
    assert split_hours(at(0), at(2), [dirty(0), dirty(1)]) == HourSplit((), None, (TimeRange(at(0), at(2)),))
    assert split_hours(at(2), at(2), [clean(2)]) == HourSplit((), None, ())
    assert split_hours(at(3), at(2), [clean(2)]) == HourSplit((), None, ())


def test_many_clean_runs_give_up_the_shortest_to_cap_the_live_ranges() -> None:
    states = [clean(n) for n in range(0, 20, 2)]  # every other day clean: 10 runs, 11 gaps
    split = split_hours(at(0) - H, at(20), states, max_ranges=4)
    assert len(split.live) <= 4 and split.rollup_days
    covered = {day for day, _ in split.rollup_days}
    for r in split.live:  # the live ranges and the rollup's days never overlap
        assert r.start is not None and r.end is not None
        assert not any(r.start < at(n) + D and at(n) < r.end for n in range(20) if d(n) in covered)


def test_naive_times_are_utc() -> None:
    naive = split_hours((at(1) + 30 * timedelta(minutes=1)).replace(tzinfo=None), at(2).replace(tzinfo=None), [clean(1)])
    assert naive.hours == TimeRange(at(1) + H, at(2)) and naive.live[0].start == at(1) + 30 * timedelta(minutes=1)
