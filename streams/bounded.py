"""Waiting for a step with a time limit, without waiting for it to end once cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def finished_within(step: Awaitable[T], timeout_s: float) -> asyncio.Future[T] | None:
    """The finished `step` as a task, or None after `timeout_s`, the step then cancelled but not
    awaited: not asyncio.wait_for, which waits for the cancelled step to end, and a step stuck
    in aiokafka may never end (its fetcher retries through a cancellation). A finished task is
    returned, not its result: a CancelledError from inside it must not pass for the caller's own
    cancellation (it ended a processor's task for good)."""
    task = asyncio.ensure_future(step)
    try:
        await asyncio.wait({task}, timeout=timeout_s)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not task.done():
        task.cancel()
        return None
    return task
