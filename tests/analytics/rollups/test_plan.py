"""Pure rollup decisions: clean and dirty days, which to recompute, how a period splits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.rollups.plan import (
    DayState, Split, TimeRange, day_ranges, day_start, days_to_refresh, missing_days, split_period,
)  # fmt: skip

D = timedelta(days=1)
S = timedelta(seconds=1)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
DAY = date(2026, 11, 1)


def d(n: int) -> date:
    return DAY + n * D


def at(n: int) -> datetime:
    return day_start(d(n))


def clean(n: int) -> DayState:
    return DayState(d(n), computed_from=NOW - 10 * S, marked_at=NOW - 20 * S)


@pytest.mark.parametrize(("state", "is_clean", "is_dirty"), [
    (DayState(DAY), False, False),  # neither computed nor marked: no rollup, nothing to do
    (DayState(DAY, marked_at=NOW), False, True),  # rows, never computed
    (DayState(DAY, computed_from=NOW), True, False),  # computed, never marked (an empty day)
    (DayState(DAY, computed_from=NOW, marked_at=NOW - S), True, False),
    (DayState(DAY, computed_from=NOW, marked_at=NOW), False, True),  # a tie is not clean
    (DayState(DAY, computed_from=NOW, marked_at=NOW + S), False, True),  # rows after the computation
])  # fmt: skip
def test_clean_only_when_the_computation_started_after_the_newest_mark(
    state: DayState, is_clean: bool, is_dirty: bool
) -> None:
    assert (state.clean, state.dirty) == (is_clean, is_dirty)


def test_dirty_days_are_recomputed_once_quiet() -> None:
    states = [
        DayState(d(0), NOW - 100 * S, NOW - 50 * S),  # dirty, quiet for 50 s
        DayState(d(1), None, NOW - 5 * S),  # never computed, marked 5 s ago (today under traffic)
        clean(2),
        DayState(d(3), None, NOW - 3600 * S),
    ]
    assert days_to_refresh(states, NOW, timedelta(0)) == (d(0), d(1), d(3))
    assert days_to_refresh(states, NOW, 30 * S) == (d(0), d(3))


def test_missing_days_span_the_source_including_empty_days() -> None:
    states = {d(1): clean(1), d(2): DayState(d(2), marked_at=NOW)}
    assert missing_days(d(0), d(3), states) == (d(0), d(2), d(3))
    assert missing_days(None, None, states) == ()


def test_consecutive_days_make_one_range() -> None:
    assert day_ranges([d(3), d(0), d(1), d(1)]) == (TimeRange(at(0), at(2)), TimeRange(at(3), at(4)))


HALF = timedelta(hours=12)


@pytest.mark.parametrize(("start", "end", "states", "rollup", "live"), [
    # Whole clean days from the rollup; partial edge days live.
    (at(0) + HALF, at(4) + HALF, [clean(n) for n in range(6)], [1, 2, 3],
     [(at(0) + HALF, at(1)), (at(4), at(4) + HALF)]),
    # Exactly whole days: nothing live.
    (at(1), at(4), [clean(n) for n in range(6)], [1, 2, 3], []),
    # A dirty day and a day without rollup in the middle are live; the runs around them stay.
    (at(0), at(6), [clean(0), clean(1), DayState(d(2), NOW, NOW + S), clean(4), clean(5)], [0, 1, 4, 5],
     [(at(2), at(4))]),
    # Unbounded on either side: everything outside the clean days is live.
    (None, at(3), [clean(1), clean(2)], [1, 2], [(None, at(1))]),
    (at(1), None, [clean(1), clean(2)], [1, 2], [(at(3), None)]),
    (None, None, [], [], [(None, None)]),
    # Less than a day, or an empty period.
    (at(1) + S, at(2) - S, [clean(1)], [], [(at(1) + S, at(2) - S)]),
    (at(2), at(1), [clean(1)], [], []),
])  # fmt: skip
def test_split_period(start: datetime | None, end: datetime | None, states: list[DayState],
                      rollup: list[int], live: list[tuple]) -> None:  # fmt: skip
    split = split_period(start, end, states)
    assert split == Split(
        tuple((d(n), NOW - 10 * S) for n in rollup), tuple(TimeRange(a, b) for a, b in live)
    )


def test_too_many_live_ranges_read_the_shortest_clean_runs_live() -> None:
    # Clean runs of 1, 3 and 2 days separated by dirty days: 4 gaps with 2 edges.
    states = [clean(n) for n in (1, 3, 4, 5, 7, 8)]
    split = split_period(at(0), at(10), states, max_ranges=3)
    assert [day for day, _ in split.rollup_days] == [d(3), d(4), d(5), d(7), d(8)]
    assert split.live == (TimeRange(at(0), at(3)), TimeRange(at(6), at(7)), TimeRange(at(9), at(10)))
    split = split_period(at(0), at(10), states, max_ranges=2)
    assert [day for day, _ in split.rollup_days] == [d(3), d(4), d(5)]
    assert split_period(at(0), at(10), states, max_ranges=1).rollup_days == ()


def test_naive_bounds_are_utc() -> None:
    naive = split_period(datetime(2026, 11, 1), datetime(2026, 11, 3), [clean(0), clean(1)])
    assert naive.rollup_days == ((d(0), NOW - 10 * S), (d(1), NOW - 10 * S)) and naive.live == ()
