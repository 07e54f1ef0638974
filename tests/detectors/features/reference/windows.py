"""Sliding windows over one key's history, in time buckets, so memory per key stays bounded.

A window of `length` seconds is kept as at most `length // granularity` buckets of
`granularity` seconds. An event at time t counts in the window seen at time T when
`T // granularity - t // granularity < length // granularity`: the current bucket and the ones
before it, whole buckets only. Exact to one bucket at the far edge, never wrong at the near
edge, and O(1) amortized per event: running totals are kept, expired buckets subtracted.

Buckets live in flat int lists ([bucket, count, sum, bucket, count, sum, …]), one per window,
in one object per key: a deque or a list per bucket would cost cache misses and garbage
collector work with millions of keys, which measured 3-4× slower.

Times are integer epoch seconds and amounts integer minor units, so every total is exact.
Events must arrive in non-decreasing time per key (the stream is ordered per partition).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    name: str  # used in feature names: "1h", "24h", "7d", "30d"
    length: int  # seconds
    granularity: int  # seconds per bucket

    def __post_init__(self) -> None:
        if self.length % self.granularity:
            raise ValueError("a window's length must be a whole number of buckets")

    @property
    def span(self) -> int:
        return self.length // self.granularity


HOUR, DAY = 3600, 86400
# Buckets of 1/60 (1 h), 1/96 (24 h), 1/168 (7 d) and 1/120 (30 d) of the window: the far edge
# is blurred by at most that share of the window.
VELOCITY_WINDOWS = (
    Window("1h", HOUR, 60),
    Window("24h", DAY, 900),
    Window("7d", 7 * DAY, HOUR),
    Window("30d", 30 * DAY, 6 * HOUR),
)
DISTINCT_WINDOWS = (Window("24h", DAY, 900), Window("30d", 30 * DAY, 6 * HOUR))
# The handbook's delayed terminal risk: 1, 7 and 30 days before the label delay.
RISK_WINDOWS = (Window("1d", DAY, HOUR), Window("7d", 7 * DAY, HOUR), Window("30d", 30 * DAY, HOUR))


def _geometry(windows: tuple[Window, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((w.granularity, w.span) for w in windows)


class Totals:
    """Count and sum of one key's events per window (e.g. one end user over 1 h … 30 d).

    `totals` is [count, sum] per window, flat, always as of the last `expire` or `add`.
    """

    __slots__ = ("_geometry", "_buckets", "totals", "last_seen")

    def __init__(self, windows: tuple[Window, ...]) -> None:
        self._geometry = _geometry(windows)
        self._buckets: list[list[int]] = [[] for _ in windows]
        self.totals = [0] * (2 * len(windows))
        self.last_seen = 0

    def expire(self, at: int) -> None:
        """Drop the buckets that have left each window as seen at time `at`."""
        totals = self.totals
        i = 0
        for (granularity, span), flat in zip(self._geometry, self._buckets):
            limit = at // granularity - span
            if flat and flat[0] <= limit:
                j, n, count, total = 0, len(flat), 0, 0
                while j < n and flat[j] <= limit:
                    count += flat[j + 1]
                    total += flat[j + 2]
                    j += 3
                del flat[:j]
                totals[i] -= count
                totals[i + 1] -= total
            i += 2

    def add(self, at: int, amount: int) -> None:
        totals = self.totals
        i = 0
        for (granularity, _span), flat in zip(self._geometry, self._buckets):
            key = at // granularity
            if flat and flat[-3] == key:
                flat[-2] += 1
                flat[-1] += amount
            else:
                flat += (key, 1, amount)
            totals[i] += 1
            totals[i + 1] += amount
            i += 2
        self.last_seen = at

    def step(self, at: int, amount: int, row: list[float]) -> None:
        """Append [count, sum] per window before this event to `row`, then add the event.

        `expire` and `add` fused into one pass: this is the hot path of every order."""
        totals = self.totals
        i = 0
        for (granularity, span), flat in zip(self._geometry, self._buckets):
            key = at // granularity
            if flat:
                limit = key - span
                if flat[0] <= limit:
                    j, n, count, total = 0, len(flat), 0, 0
                    while j < n and flat[j] <= limit:
                        count += flat[j + 1]
                        total += flat[j + 2]
                        j += 3
                    del flat[:j]
                    totals[i] -= count
                    totals[i + 1] -= total
                if flat and flat[-3] == key:
                    flat[-2] += 1
                    flat[-1] += amount
                else:
                    flat += (key, 1, amount)
            else:
                flat += (key, 1, amount)
            row.append(totals[i])
            row.append(totals[i + 1])
            totals[i] += 1
            totals[i + 1] += amount
            i += 2
        self.last_seen = at


class Squares:
    """Count, sum and sum of squares over one window: the end user's amounts (for a z-score)."""

    __slots__ = ("granularity", "span", "_flat", "count", "total", "squares", "last_seen")

    def __init__(self, window: Window) -> None:
        self.granularity, self.span = window.granularity, window.span
        self._flat: list[int] = []  # [bucket, count, sum, squares, …]
        self.count = self.total = self.squares = 0
        self.last_seen = 0

    def step(self, at: int, amount: int) -> tuple[int, int, int]:
        """(count, sum, squares) before this event, then the event joins."""
        flat = self._flat
        key = at // self.granularity
        limit = key - self.span
        if flat and flat[0] <= limit:
            j, n = 0, len(flat)
            while j < n and flat[j] <= limit:
                self.count -= flat[j + 1]
                self.total -= flat[j + 2]
                self.squares -= flat[j + 3]
                j += 4
            del flat[:j]
        before = (self.count, self.total, self.squares)
        square = amount * amount
        if flat and flat[-4] == key:
            flat[-3] += 1
            flat[-2] += amount
            flat[-1] += square
        else:
            flat += (key, 1, amount, square)
        self.count += 1
        self.total += amount
        self.squares += square
        self.last_seen = at
        return before


class Distinct:
    """How many distinct other keys (e.g. recipients of one end user) were seen per window.

    Remembers, per other key, the time it was last seen; seeing it again moves its single
    contribution from its old bucket to the current one, so each key counts once per window.
    The memory is pruned to the keys still inside the longest window.
    """

    __slots__ = ("_geometry", "_buckets", "counts", "_last", "last_seen")

    def __init__(self, windows: tuple[Window, ...] = DISTINCT_WINDOWS) -> None:
        self._geometry = _geometry(windows)
        self._buckets: list[list[int]] = [[] for _ in windows]  # [bucket, keys, …]
        self.counts = [0] * len(windows)
        self._last: dict[str, int] = {}
        self.last_seen = 0

    def step(self, other: str, at: int, row: list[float]) -> bool:
        """Append the distinct count per window before this event to `row`, then count `other`.

        Returns whether `other` is new: not seen within the longest window."""
        previous = self._last.get(other)
        counts = self.counts
        new = True
        for i, ((granularity, span), flat) in enumerate(zip(self._geometry, self._buckets)):
            key = at // granularity
            limit = key - span
            if flat and flat[0] <= limit:
                j, n = 0, len(flat)
                while j < n and flat[j] <= limit:
                    counts[i] -= flat[j + 1]
                    j += 2
                del flat[:j]
            row.append(counts[i])
            if previous is not None:
                old = previous // granularity
                if old > limit:
                    new = False
                    if old == key:
                        continue  # already counted in this very bucket
                    # Still in the window: take its one contribution back from its old bucket.
                    for j in range(len(flat) - 2, -1, -2):
                        if flat[j] == old:
                            flat[j + 1] -= 1
                            counts[i] -= 1
                            break
            if flat and flat[-2] == key:
                flat[-1] += 1
            else:
                flat += (key, 1)
            counts[i] += 1
        self._last[other] = at
        self.last_seen = at
        # Forget keys that left the longest window once they outnumber the live ones: memory
        # stays bounded without a scan per event.
        if len(self._last) > 2 * counts[-1] + 16:
            granularity, span = self._geometry[-1]
            floor = at // granularity - span
            self._last = {k: t for k, t in self._last.items() if t // granularity > floor}
        return new
