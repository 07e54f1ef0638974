"""HealingProducer (streams/healing_producer.py) on the real broker.

The breakage is injected where aiokafka makes it: the producer's next sequence number for a
partition is moved past one the broker never received, as a batch that expired unsent leaves it.
The broker's answers (OUT_OF_ORDER_SEQUENCE_NUMBER) are real."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import OutOfOrderSequenceNumber

from streams.healing_producer import HealingProducer
from tests.streams.kafka_helpers import read_topic

pytestmark = pytest.mark.kafka


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()  # the broken producer's failed futures (see test_fencing.py)


def _skip_a_sequence_number(producer: AIOKafkaProducer, topic: str) -> None:
    """What an expired, never-sent batch leaves behind (aiokafka internals, on purpose)."""
    txn_manager = producer._txn_manager  # noqa: SLF001
    assert txn_manager is not None
    txn_manager.increment_sequence_number(TopicPartition(topic, 0), 1)


async def _until_replaced(healing: HealingProducer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while healing.replacements == 0:
        assert time.monotonic() < deadline, "the broken producer was not replaced"
        await asyncio.sleep(0.05)


def _idempotent(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)


async def test_a_plain_idempotent_producer_stays_broken_after_a_sequence_gap(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    """Why HealingProducer exists: aiokafka never recovers from this by itself."""
    topic = f"{topic_prefix}gap-plain"
    producer = _idempotent(kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"before", partition=0)
        _skip_a_sequence_number(producer, topic)
        for attempt in range(3):
            with pytest.raises(OutOfOrderSequenceNumber):
                await producer.send_and_wait(topic, f"after {attempt}".encode(), partition=0)
    finally:
        await producer.stop()


async def test_after_a_sequence_gap_the_producer_is_replaced_and_later_records_are_written(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}gap-healing"
    healing = HealingProducer(lambda: _idempotent(kafka_bootstrap), retry_backoff_s=0.1)
    await healing.start()
    try:
        await healing.send_and_wait(topic, b"before", partition=0)
        _skip_a_sequence_number(healing._current(), topic)  # noqa: SLF001
        with pytest.raises(OutOfOrderSequenceNumber):
            await healing.send_and_wait(topic, b"refused", partition=0)
        await _until_replaced(healing)
        await healing.send_and_wait(topic, b"after", partition=0)
        delivery = await healing.send(topic, b"after, not awaited", partition=0)
        await delivery
    finally:
        await healing.stop()
    values = [r.value for r in await read_topic(kafka_bootstrap, topic, 1, 3)]
    assert values == [b"before", b"after", b"after, not awaited"]
    assert healing.replacements == 1


async def test_a_healing_producer_stopped_while_replacing_leaves_nothing_running(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}gap-stop"
    healing = HealingProducer(lambda: _idempotent(kafka_bootstrap))
    await healing.start()
    await healing.send_and_wait(topic, b"before", partition=0)
    _skip_a_sequence_number(healing._current(), topic)  # noqa: SLF001
    with pytest.raises(OutOfOrderSequenceNumber):
        await healing.send_and_wait(topic, b"refused", partition=0)
    await healing.stop()  # at once: the replacement may be starting
    with pytest.raises(Exception):  # noqa: B017, PT011 - a stopped aiokafka producer refuses
        await healing.send_and_wait(topic, b"after stop", partition=0)
