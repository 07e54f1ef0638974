"""The closed-loop load driver both phases use: N workers, each sends its next op when one ends."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.errors import Failed

IN_FLIGHT_MARGIN_S = 5.0  # an op sent just before the deadline gets its own timeout plus this


@dataclass
class LoopResult:
    latencies: list[float]
    errors: Counter[str]
    wall_s: float
    not_sent: int
    completions: list[float]  # seconds since the loop started, one per success


async def closed_loop(
    total: int,
    concurrency: int,
    one: Callable[[int], Awaitable[float]],
    phase_timeout_s: float,
    op_timeout_s: float,
) -> LoopResult:
    """`concurrency` workers take the next index until `total` are done or the deadline passes.

    `one(i)` returns its latency in seconds or raises `Failed(kind)`; anything else it raises is
    counted by exception type. Nothing new is sent after `phase_timeout_s`; what is still in
    flight `op_timeout_s + IN_FLIGHT_MARGIN_S` later is cancelled and counted as an error.
    """
    latencies: list[float] = []
    completions: list[float] = []
    errors: Counter[str] = Counter()
    next_index = 0
    started = time.perf_counter()
    stop_taking = time.monotonic() + phase_timeout_s

    async def worker() -> None:
        nonlocal next_index
        while next_index < total and time.monotonic() < stop_taking:
            i = next_index
            next_index += 1
            try:
                latencies.append(await one(i))
                completions.append(time.perf_counter() - started)
            except Failed as exc:
                errors[str(exc)] += 1
            except Exception as exc:  # noqa: BLE001 - a benchmark counts, it does not crash
                errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1

    tasks = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
    grace_s = op_timeout_s + IN_FLIGHT_MARGIN_S
    _, pending = await asyncio.wait(tasks, timeout=phase_timeout_s + grace_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        errors["cancelled in flight at the phase deadline"] += len(pending)
    wall = time.perf_counter() - started
    return LoopResult(latencies, errors, wall, total - next_index, completions)
