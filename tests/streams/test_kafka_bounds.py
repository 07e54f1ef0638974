"""The bounds of streams/kafka_clients.py without a broker: what a deadline, a stuck stop and a
cancellation leaking out of aiokafka do to the caller (the real-broker cases are in
test_kafka_clients.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from streams.kafka_clients import TransactionStuck, is_failure, within


async def _leaks_a_cancellation() -> None:
    """What aiokafka's Sender.close() does: cancel a task it owns, then await it."""
    inner = asyncio.ensure_future(asyncio.sleep(10))
    inner.cancel()
    await inner


async def _ignores_cancellation(release: asyncio.Event) -> None:
    """A step that does not end when cancelled (aiokafka's fetcher retries through one)."""
    while not release.is_set():
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            continue


async def test_a_step_over_its_deadline_raises_at_the_deadline_even_if_it_ignores_its_cancellation() -> None:
    release = asyncio.Event()
    began = time.monotonic()
    with pytest.raises(TransactionStuck, match="the step did not finish within 0.2 s"):
        await within(_ignores_cancellation(release), 0.2, "the step")
    assert time.monotonic() - began < 1.0  # asyncio.wait_for would wait here for ever
    release.set()


async def test_a_cancellation_from_inside_the_step_is_a_stuck_transaction_not_the_callers() -> None:
    with pytest.raises(TransactionStuck, match="cancelled from inside aiokafka"):
        await within(_leaks_a_cancellation(), 5.0, "the commit")


async def test_the_result_and_the_errors_of_a_step_in_time_pass_through() -> None:
    async def answer() -> int:
        return 42

    async def fails() -> None:
        raise ValueError("refused")

    assert await within(answer(), 1.0, "answer") == 42
    with pytest.raises(ValueError, match="refused"):
        await within(fails(), 1.0, "fails")


async def test_only_the_running_tasks_own_cancellation_is_not_a_failure() -> None:
    try:
        await _leaks_a_cancellation()
    except asyncio.CancelledError as leaked:
        assert is_failure(leaked)  # nobody cancelled this task: reopen
    assert is_failure(RuntimeError("broker"))

    seen: list[bool] = []

    async def cancelled_for_real() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError as own:
            seen.append(is_failure(own))
            raise

    task = asyncio.create_task(cancelled_for_real())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == [False]
