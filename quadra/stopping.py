"""Stopping a process's roles: in reverse start order, within a budget; signals that ask for it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from streams.bounded import finished_within

log = logging.getLogger("quadra")


async def run_stops(
    stops: list[tuple[str, Callable[[], Any]]], budget_s: float = 45.0, each_s: float = 30.0,
    last_chance_s: float = 0.5,
) -> list[str]:  # fmt: skip
    """Stops in reverse start order: each stop up to `each_s`, all of them within `budget_s`,
    and once that is spent every remaining stop still gets `last_chance_s`. Returns the names
    of the stops that did not finish; they are left running, cancelled.

    Why a budget: with the broker gone, Kafka clients' stops wait out their timeouts (some
    forever: aiokafka's fetcher retries its backoff even through a cancellation), and a SIGTERM'd
    `quadra up` stayed alive for minutes. Cutting a stop short loses nothing: what it did not
    commit is consumed again after a restart (every consumer is idempotent or transactional)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    unfinished: list[str] = []
    for name, stop in reversed(stops):
        try:
            result = stop()
            if not asyncio.iscoroutine(result):
                continue
            task = await finished_within(result, max(last_chance_s, min(each_s, deadline - loop.time())))
            if task is None:
                unfinished.append(name)
                log.warning("%s did not stop in time; going on with the rest", name)
            elif not task.cancelled() and (error := task.exception()) is not None:
                log.error("error while stopping %s", name, exc_info=error)
        except Exception:
            log.exception("error while stopping %s", name)
    stops.clear()
    return unfinished


def install_stop_signals(stop: asyncio.Event) -> None:
    """The first SIGINT/SIGTERM starts the orderly stop; a second one ends the process at once
    (an operator who asks twice does not want to wait for the stop budget)."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            exit_now(130, "second stop signal: exiting without finishing the orderly stop")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    loop.add_signal_handler(signal.SIGUSR1, log_tasks)


def exit_now(code: int, why: str) -> NoReturn:
    """Ends the process without the interpreter's shutdown (no waiting for tasks or threads)."""
    log.warning(why)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def log_tasks() -> None:
    """SIGUSR1: every asyncio task and the chain of coroutines it waits in, to the log. A
    wedged process shows nothing else (a thread dump shows only the idle event loop)."""
    lines = [f"  {task.get_name()}: {' -> '.join(_awaiting(task.get_coro()))}" for task in asyncio.all_tasks()]
    log.warning("%d asyncio tasks (SIGUSR1):\n%s", len(lines), "\n".join(sorted(lines)))


def _awaiting(coro: Any) -> list[str]:
    chain = []
    while coro is not None and len(chain) < 30:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            chain.append(type(coro).__name__)
            break
        chain.append(f"{frame.f_code.co_name} ({frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno})")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return chain
