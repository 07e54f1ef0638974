"""Closing Kafka clients, and bounding what a transactional producer may wait for.

A transactional aiokafka producer never expires a batch: it retries a refused produce until the
broker takes it, and `stop()` first waits for that flush. After a broker restart the broker can
refuse a transaction's produce for as long as it cannot verify the transaction with its
coordinator (KIP-890 answers older clients NOT_ENOUGH_REPLICAS, a retriable error), and the
soak saw four processors wait on that for more than seven minutes, their reopen hanging in
`stop()`. So a commit gets a deadline, and a producer that does not stop in time is abandoned:
its sender is cancelled and its connections closed. Its successor with the same transactional id
fences it and aborts what it left open, so nothing it still held can be written later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.bounded import finished_within

log = logging.getLogger(__name__)

T = TypeVar("T")

STOP_TIMEOUT_S = 10.0


def commit_deadline_s(transaction_timeout_ms: int) -> float:
    """How long a transaction's commit (or a transactional producer's start) may take before its
    owner reopens. Past the transaction timeout the coordinator has aborted the transaction
    anyway, so this only ends a wait that could no longer succeed."""
    return 2 * transaction_timeout_ms / 1000


class TransactionStuck(RuntimeError):
    """A transactional step did not finish within its deadline; the caller reopens."""


async def within(step: Awaitable[T], deadline_s: float, what: str) -> T:
    """`step`, or TransactionStuck when it takes longer than `deadline_s` (or a cancellation
    leaks out of aiokafka, as when a sender task it awaits is cancelled)."""
    task = await finished_within(step, deadline_s)
    if task is None:
        raise TransactionStuck(f"{what} did not finish within {deadline_s:g} s")
    if task.cancelled():
        raise TransactionStuck(f"{what} was cancelled from inside aiokafka")
    return task.result()


async def stop_all(*clients: AIOKafkaConsumer | AIOKafkaProducer | None, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Stop every client, each within `timeout_s`; one that fails or hangs never keeps the
    others open."""
    for client in clients:
        if client is None:
            continue
        try:
            task = await finished_within(client.stop(), timeout_s)
            if task is not None and not task.cancelled():
                if (error := task.exception()) is not None:
                    log.error("error while closing a Kafka client", exc_info=error)
                continue
            log.error("a Kafka %s did not stop within %g s (a batch the broker keeps refusing?); "
                      "abandoning it", type(client).__name__, timeout_s)  # fmt: skip
            await _abandon(client)
        except Exception:
            log.exception("error while closing a Kafka client")


async def _abandon(client: AIOKafkaConsumer | AIOKafkaProducer) -> None:
    """Drop a client whose stop() hangs: no more retries, no open connections. aiokafka has no
    public call for this, hence its internals (pinned to aiokafka 0.14 in pyproject.toml)."""
    try:
        if isinstance(client, AIOKafkaProducer):
            if client._sender is not None:
                await _close_step(client._sender.close())
            await _close_step(client.client.close())
        else:
            await _close_step(client._client.close())
    except Exception:
        log.exception("error while abandoning a Kafka client")


async def _close_step(step: Awaitable[None]) -> None:
    task = await finished_within(step, 5.0)
    if task is None:
        log.error("abandoning a Kafka client: a close step hung for 5 s; leaving it")
    elif not task.cancelled() and task.exception() is not None:
        log.error("abandoning a Kafka client: a close step failed", exc_info=task.exception())


def is_failure(exc: BaseException) -> bool:
    """True for an Exception, and for a CancelledError that is not the running task's own
    cancellation (aiokafka lets one out when a task it awaits is cancelled): both mean reopen.
    A real cancellation (a stop) is not a failure."""
    if isinstance(exc, asyncio.CancelledError):
        task = asyncio.current_task()
        return task is not None and task.cancelling() == 0
    return isinstance(exc, Exception)
