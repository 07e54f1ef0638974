"""Stopping within a budget (quadra/stopping.py): stops that hang, as Kafka clients' do when the
broker is gone, cannot keep a process alive past the budget, and none is skipped."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quadra.stopping import log_tasks, run_stops


async def test_hanging_stops_share_the_budget_and_every_stop_is_still_tried() -> None:
    called: list[str] = []

    def hangs(name: str) -> Callable[[], Any]:
        async def stop() -> None:
            called.append(name)
            await asyncio.sleep(3600)

        return stop

    def quick(name: str) -> Callable[[], Any]:
        return lambda: called.append(name)

    stops = [("clickhouse", quick("clickhouse")), ("consumer", hangs("consumer")),
             ("producer", hangs("producer")), ("api", quick("api"))]  # fmt: skip
    started = time.monotonic()
    await run_stops(stops, budget_s=0.6, each_s=0.5, last_chance_s=0.1)
    took = time.monotonic() - started
    assert called == ["api", "producer", "consumer", "clickhouse"]  # reverse start order, all tried
    assert 0.5 <= took < 1.5, took  # producer: 0.5 s; consumer: what is left, then 0.1 s at least
    assert stops == []


async def test_a_stop_that_swallows_its_cancellation_is_left_behind_not_waited_for() -> None:
    """aiokafka's fetcher retries its backoff through a cancellation: asyncio.wait_for, which
    waits for the cancelled stop to end, hung `quadra up` for good with the broker gone."""
    released = False

    async def stubborn() -> None:
        while not released:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue

    called: list[str] = []
    stops = [("after", lambda: called.append("after")), ("consumer", stubborn)]
    started = time.monotonic()
    assert await run_stops(stops, budget_s=0.3, each_s=0.3) == ["consumer"]
    assert time.monotonic() - started < 2.0
    assert called == ["after"]
    released = True  # lets the abandoned task end before the test's loop closes


async def test_a_failing_stop_does_not_keep_the_others_from_running() -> None:
    called: list[str] = []

    def fails() -> None:
        raise RuntimeError("already closed")

    stops = [("first", lambda: called.append("first")), ("broken", fails)]
    await run_stops(stops)
    assert called == ["first"]


def test_a_second_signal_ends_the_process_at_once() -> None:
    """The first SIGTERM starts the orderly stop; while it hangs, a second one exits (130)."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from quadra.stopping import install_stop_signals, run_stops

        async def main():
            stop = asyncio.Event()
            install_stop_signals(stop)
            print("ready", flush=True)
            await stop.wait()
            print("stopping", flush=True)
            async def hang():
                await asyncio.sleep(3600)
            await run_stops([("stuck", hang)], budget_s=3600, each_s=3600)

        asyncio.run(main())
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.stdout.readline().strip() == "stopping"
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_sigusr1_logs_where_every_task_waits(caplog: pytest.LogCaptureFixture) -> None:
    async def deep_wait(event: asyncio.Event) -> None:
        await event.wait()

    async def waiting_role(event: asyncio.Event) -> None:
        await deep_wait(event)

    event = asyncio.Event()
    task = asyncio.create_task(waiting_role(event), name="the-waiting-role")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="quadra"):
        log_tasks()
    event.set()
    await task
    line = next(line for line in caplog.text.splitlines() if "the-waiting-role" in line)
    assert "waiting_role" in line and "deep_wait" in line and "wait (locks.py" in line
