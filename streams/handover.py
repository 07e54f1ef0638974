"""Handing partitions over in a rebalance: the work in flight on them ends here first.

The soak (seed 15) paid two orders twice. A rebalance gave a partition to a second dispatcher
while the first one's payout of an order on it was still on its way to bank A; the newcomer,
bank A's breaker open in its process, asked bank A (not found: the payout had not arrived)
and paid at bank B. Asking before paying cannot close that gap: the question and the other
process's payment race. Only one owner at a time can.

Kafka's rebalance calls every member's `on_partitions_revoked` before any partition moves and
waits for it, up to the consumer's rebalance timeout. Here the old owner waits until the work it
started on the revoked partitions has ended (bounded), lets its results be handed on, commits
them and drops the rest: the new owner starts past what was finished, and what it redoes was
either never sent or has reached its provider, which it asks before paying.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition

from streams.inflight import InFlight

log = logging.getLogger(__name__)

Commit = Callable[[Collection[TopicPartition]], Awaitable[None]]


class Handover(ConsumerRebalanceListener):  # type: ignore[misc]
    """`commit(tps)` makes the handed-on results durable and commits those partitions' offsets.
    `settle_s` bounds the wait for running work, `hand_on_s` the wait for its results to be
    handed on (by the loop that does so; a loop that died hands nothing on)."""

    def __init__(
        self, name: str, window: InFlight[Any], commit: Commit, settle_s: float, hand_on_s: float = 5.0
    ) -> None:
        self._name = name
        self._window = window
        self._commit = commit
        self._settle_s = settle_s
        self._hand_on_s = hand_on_s

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        # aiokafka only logs what a listener raises, and the rebalance goes on regardless.
        tps = set(revoked)
        if not tps:
            return
        if not await self._window.settled(tps, self._settle_s):
            log.error("%s: work still running on revoked partitions after %.0f s is cancelled; "
                      "their new owner asks the providers before paying", self._name, self._settle_s)  # fmt: skip
        await self._handed_on(tps)
        try:
            await self._commit(tps)
        except Exception:
            log.warning("%s: could not commit revoked partitions; their new owner redoes them from "
                        "the last commit", self._name, exc_info=True)  # fmt: skip
        dropped = await self._window.drop(tps)
        if dropped:
            log.warning("%s: %d records of revoked partitions were not finished; their new owner "
                        "redoes them", self._name, dropped)  # fmt: skip

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        log.info("%s: assigned %s", self._name, sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))

    async def _handed_on(self, tps: Collection[TopicPartition]) -> None:
        deadline = asyncio.get_running_loop().time() + self._hand_on_s
        while self._window.holds(tps) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
