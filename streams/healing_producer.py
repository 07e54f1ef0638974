"""An idempotent producer that replaces itself when its sequence numbers are broken.

aiokafka 0.14 gives a batch its sequence number when it leaves the accumulator, and fails a
batch that waited past `request_timeout_ms` for a partition with no leader without sending it
(`MessageAccumulator.drain_by_nodes`): a broker restart after a long outage does exactly that.
The broker then never sees that sequence number and refuses every later batch of the partition
with OUT_OF_ORDER_SEQUENCE_NUMBER, for the life of the producer (the Java client resets its
producer id; aiokafka does not). The soak found the API's producer in that state: every request
log record went to the spool and every order got a 503 until the process was restarted.

So the long-lived non-transactional producers are built by a factory and replaced, once per
breakage, by a fresh one (a new producer id, sequence numbers from 0). The records that failed
are failed to their callers as before (the API spools them); later sends go to the new producer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber, UnknownProducerId
from aiokafka.structs import RecordMetadata

from streams.kafka_clients import stop_all

log = logging.getLogger(__name__)

# What leaves an idempotent producer unable to write again (the Java client's reset cases).
BROKEN_SEQUENCE = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch)


class RecordWriter(Protocol):
    """What Quadra's non-transactional writers need of a producer (AIOKafkaProducer has it)."""

    async def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                   partition: int | None = None) -> asyncio.Future[RecordMetadata]: ...  # fmt: skip

    async def send_and_wait(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                            partition: int | None = None) -> RecordMetadata: ...  # fmt: skip


class HealingProducer:
    """The parts of AIOKafkaProducer that Quadra's non-transactional writers use."""

    def __init__(self, factory: Callable[[], AIOKafkaProducer], retry_backoff_s: float = 1.0) -> None:
        self._factory = factory
        self._retry_backoff_s = retry_backoff_s
        self._producer: AIOKafkaProducer | None = None
        self._replacing: asyncio.Task[None] | None = None
        self._stopped = False
        self.replacements = 0

    async def start(self) -> None:
        producer = self._factory()
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        self._stopped = True
        if self._replacing is not None:
            self._replacing.cancel()
            await asyncio.gather(self._replacing, return_exceptions=True)
        await stop_all(self._producer)

    async def send(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                   partition: int | None = None, **kwargs: Any) -> asyncio.Future[RecordMetadata]:  # fmt: skip
        producer = self._current()
        delivery = await producer.send(topic, value, key=key, partition=partition, **kwargs)
        delivery.add_done_callback(lambda done: self._check(producer, done))
        return delivery

    async def send_and_wait(self, topic: str, value: bytes | None = None, key: bytes | None = None,
                            partition: int | None = None, **kwargs: Any) -> RecordMetadata:  # fmt: skip
        return await (await self.send(topic, value, key=key, partition=partition, **kwargs))

    async def flush(self) -> None:
        await self._current().flush()

    def _current(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("HealingProducer used before start()")
        return self._producer

    def _check(self, producer: AIOKafkaProducer, delivery: asyncio.Future[RecordMetadata]) -> None:
        if delivery.cancelled() or not isinstance(delivery.exception(), BROKEN_SEQUENCE):
            return
        if producer is self._producer and self._replacing is None and not self._stopped:
            self._replacing = asyncio.create_task(self._replace(producer, delivery.exception()))

    async def _replace(self, broken: AIOKafkaProducer, why: BaseException | None) -> None:
        log.error("the Kafka producer's sequence numbers are broken (%r): replacing it", why)
        try:
            while not self._stopped:
                fresh = self._factory()
                try:
                    await fresh.start()
                except Exception:
                    log.exception("starting the replacement producer failed; trying again")
                    await stop_all(fresh)
                    await asyncio.sleep(self._retry_backoff_s)
                    continue
                self._producer = fresh
                self.replacements += 1
                break
        finally:
            self._replacing = None
            await stop_all(broken)
