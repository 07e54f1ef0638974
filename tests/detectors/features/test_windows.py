"""Bucketed windows: exact counts at the edges, distinct keys counted once, bounded memory."""

from __future__ import annotations

import pytest

from detectors.features.windows import VELOCITY_WINDOWS, Distinct, Risk, Velocity

# Aligned to every bucket size (60 s, 15 min, 1 h, 6 h): edges are easy to state.
T = 86400 * 20000
NAMES = [w.name for w in VELOCITY_WINDOWS]


def counts_at(events: list[int], at: int) -> dict[str, int]:
    velocity = Velocity()
    for t in events:
        velocity.step(t, 100)
    row = velocity.step(at, 1)
    return {name: int(row[2 * i]) for i, name in enumerate(NAMES)}


@pytest.mark.parametrize(
    ("event", "at", "expected"),
    [
        # The 1 h window is the current minute and the 59 before it.
        (T - 3540, T, {"1h": 1, "24h": 1, "7d": 1, "30d": 1}),
        (T - 3541, T, {"1h": 0, "24h": 1, "7d": 1, "30d": 1}),
        (T - 3540, T + 59, {"1h": 1, "24h": 1, "7d": 1, "30d": 1}),
        (T - 3540, T + 60, {"1h": 0, "24h": 1, "7d": 1, "30d": 1}),
        # 24 h: the current quarter hour and the 95 before it.
        (T - 86400 + 900, T, {"1h": 0, "24h": 1, "7d": 1, "30d": 1}),
        (T - 86400 + 899, T, {"1h": 0, "24h": 0, "7d": 1, "30d": 1}),
        # 7 d: the current hour and the 167 before it.
        (T - 7 * 86400 + 3600, T + 3599, {"1h": 0, "24h": 0, "7d": 1, "30d": 1}),
        (T - 7 * 86400 + 3599, T, {"1h": 0, "24h": 0, "7d": 0, "30d": 1}),
        # 30 d: the current 6 h and the 119 before them.
        (T - 30 * 86400 + 21600, T, {"1h": 0, "24h": 0, "7d": 0, "30d": 1}),
        (T - 30 * 86400 + 21599, T, {"1h": 0, "24h": 0, "7d": 0, "30d": 0}),
        # The same instant counts (it came before), in every window.
        (T, T, {"1h": 1, "24h": 1, "7d": 1, "30d": 1}),
    ],
)
def test_window_edges(event: int, at: int, expected: dict[str, int]) -> None:
    assert counts_at([event], at) == expected


def test_counts_and_sums_are_of_earlier_events_only() -> None:
    velocity = Velocity()
    rows = [velocity.step(T + 10 * i, amount) for i, amount in enumerate([500, 700, 900])]
    assert rows[0] == (0,) * 8
    assert rows[2] == (2, 1200) * 4  # count, sum in each window, before the third payout


def test_expired_buckets_leave_the_totals_and_the_memory() -> None:
    velocity = Velocity()
    for t in range(T, T + 86400, 600):  # one a ten minutes for a day
        velocity.step(t, 1)
    assert velocity.buckets > 100
    assert velocity.step(T + 40 * 86400, 1) == (0,) * 8
    assert velocity.buckets == 4


def test_squares_give_the_history_before_the_event() -> None:
    v = Velocity()
    seen = []
    for i, amount in enumerate((3, 4, 5)):
        v.step(T + i, amount)
        seen.append(v.squares_30d(amount))
    assert seen == [0, 9, 25]


def test_risk_windows_share_one_hourly_list() -> None:
    risk = Risk()
    risk.add(T, 1)
    risk.add(T + 3600, 0)
    assert risk.counts(T + 3600) == (2, 2, 2, 1, 1, 1)
    assert risk.counts(T + 86400) == (1, 2, 2, 0, 1, 1)  # the first hour left the 1 d window
    assert risk.counts(T + 31 * 86400) == (0, 0, 0, 0, 0, 0)
    assert (risk.last_fraud, risk.streak) == (T, 0)


def distinct_counts(events: list[tuple[str, int]], at: int) -> tuple[list[float], bool]:
    d = Distinct()
    for other, t in events:
        d.step(other, t)
    c24, c30, new = d.step("probe", at)
    return [c24, c30], new


@pytest.mark.parametrize(
    ("events", "at", "expected"),
    [
        ([("a", T), ("a", T + 5), ("a", T + 4000)], T + 5000, [1, 1]),  # one key, once
        ([("a", T), ("b", T + 1), ("c", T + 2)], T + 3, [3, 3]),
        # "a" seen again later: its one contribution moves, it stays in the 24 h window.
        ([("a", T - 86400 + 900), ("a", T - 60), ("b", T - 86400 + 900)], T, [2, 2]),
        ([("a", T - 86400 + 899), ("b", T - 60)], T, [1, 2]),  # "a" left the 24 h window
        ([("a", T - 30 * 86400 + 21599)], T, [0, 0]),
    ],
)
def test_distinct_keys_per_window(events: list[tuple[str, int]], at: int, expected: list[int]) -> None:
    row, _ = distinct_counts(events, at)
    assert row == expected


def test_distinct_says_whether_the_key_is_new_within_30_days() -> None:
    d = Distinct()
    assert d.step("card", T)[2] is True
    assert d.step("card", T + 29 * 86400)[2] is False
    assert d.step("card", T + 60 * 86400)[2] is True


def test_distinct_memory_is_pruned_to_live_keys() -> None:
    d = Distinct()
    for i in range(1000):
        d.step(f"k{i}", T + i)
    for i in range(100):
        d.step(f"late{i}", T + 40 * 86400 + i)
    assert d.remembered == 100
