"""The open-loop driver: sends are scheduled at a fixed rate whatever the answers do.

Send i is due at `i / rate` seconds after the start. The driver wakes up, starts every send that
is due (so a slow wake-up sends a small burst to catch up rather than lowering the offered load),
and records for each send how late it started. A send that starts more than `late_after_s` after
its due time counts as late. When `max_in_flight` sends are already waiting for their answers, a
due send is dropped (counted, never sent): the bound keeps a stalled system from piling up
unbounded sockets and tasks in the client, and the drop count says that it happened.

Queueing in the system under test therefore shows as latency, not as a lower send rate; the
achieved send rate and the late/dropped counts say whether the client kept its schedule.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

LATE_AFTER_S = 0.010  # a send starting 10 ms or more after its due time counts as late


def due_count(elapsed_s: float, rate: float, total: int) -> int:
    """How many sends are due `elapsed_s` after the start (send i is due at i / rate)."""
    if elapsed_s < 0:
        return 0
    return min(total, int(elapsed_s * rate) + 1)


def due_at(index: int, rate: float) -> float:
    return index / rate


@dataclass
class OpenLoopResult:
    rate: float
    scheduled: int
    sent: int = 0
    dropped: int = 0  # due while max_in_flight sends were waiting: never sent
    late: int = 0  # sent, but LATE_AFTER_S or more after its due time
    max_lateness_s: float = 0.0
    first_send_s: float = 0.0
    last_send_s: float = 0.0
    unfinished: int = 0  # still waiting for an answer when the drain time was over (cancelled)
    send_lateness: list[float] = field(default_factory=list)

    @property
    def achieved_rate(self) -> float:
        """Sends per second between the first and the last send (the offered load)."""
        span = self.last_send_s - self.first_send_s
        if self.sent < 2 or span <= 0:
            return float(self.sent)
        return (self.sent - 1) / span


async def open_loop(
    rate: float,
    duration_s: float,
    send: Callable[[int], Awaitable[None]],
    max_in_flight: int,
    drain_s: float,
    late_after_s: float = LATE_AFTER_S,
) -> OpenLoopResult:
    """Start `send(i)` for i = 0, 1, … at `rate` per second for `duration_s`; then wait up to
    `drain_s` for the sends in flight and cancel what is left. `send` records its own outcome
    (latency, errors); anything it raises is the bench's bug and is re-raised here."""
    total = max(1, int(rate * duration_s))
    result = OpenLoopResult(rate, total)
    in_flight: set[asyncio.Task[None]] = set()
    failures: list[BaseException] = []

    def done(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failures.append(task.exception())  # type: ignore[arg-type]

    started = time.perf_counter()
    next_index = 0
    while next_index < total:
        elapsed = time.perf_counter() - started
        for i in range(next_index, due_count(elapsed, rate, total)):
            lateness = elapsed - due_at(i, rate)
            if len(in_flight) >= max_in_flight:
                result.dropped += 1
                continue
            task = asyncio.create_task(send(i))
            in_flight.add(task)
            task.add_done_callback(done)
            if result.sent == 0:
                result.first_send_s = elapsed
            result.last_send_s = elapsed
            result.sent += 1
            result.send_lateness.append(lateness)
            result.max_lateness_s = max(result.max_lateness_s, lateness)
            if lateness >= late_after_s:
                result.late += 1
            next_index = i + 1
        next_index = max(next_index, due_count(elapsed, rate, total))
        if next_index < total:
            await asyncio.sleep(max(0.0, due_at(next_index, rate) - (time.perf_counter() - started)))
        if failures:
            break
    if in_flight:
        _, pending = await asyncio.wait(set(in_flight), timeout=drain_s)
        result.unfinished = len(pending)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    if failures:
        raise failures[0]
    return result
