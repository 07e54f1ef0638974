"""The consume → call → produce loop shared by the agents that are not transactional
(settlement, dispatch): clients made fresh after any failure, resuming from the last commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.kafka_clients import stop_all

log = logging.getLogger(__name__)

Loop = Callable[[AIOKafkaConsumer, AIOKafkaProducer], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RelayClients:
    bootstrap: str
    group_id: str
    topic: str | None  # None: the loop subscribes itself (with its rebalance listener)
    max_poll_records: int = 500
    # How long the group waits for this member to rejoin in a rebalance: the time its listener
    # may take to hand its partitions over (aiokafka's default is the session timeout, 10 s).
    rebalance_timeout_s: float = 10.0


async def run_relay(name: str, clients: RelayClients, loop: Loop, stopping: asyncio.Event) -> None:
    """Run `loop` until `stopping` is set; after any error, start over with new clients."""
    while not stopping.is_set():
        consumer = AIOKafkaConsumer(
            *([clients.topic] if clients.topic else []), bootstrap_servers=clients.bootstrap, group_id=clients.group_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            isolation_level="read_committed",  # only what transactional writers committed
            max_poll_records=clients.max_poll_records,
            rebalance_timeout_ms=int(clients.rebalance_timeout_s * 1000),
        )  # fmt: skip
        producer = AIOKafkaProducer(bootstrap_servers=clients.bootstrap, acks="all", enable_idempotence=True)
        try:
            await consumer.start()
            await producer.start()
            await loop(consumer, producer)
        except Exception:
            log.exception("%s failed; restarting from the last commit", name)
            await asyncio.sleep(1.0)
        finally:
            await stop_all(consumer, producer)
