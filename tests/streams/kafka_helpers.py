"""Small real-broker helpers for integration tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType


@asynccontextmanager
async def producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def read_topic(
    bootstrap: str, topic: str, partitions: int, count: int, timeout: float = 30.0
) -> list[ConsumerRecord]:
    """Read from the beginning until `count` records arrived (or fail after `timeout`)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: {len(records)} of {count} records in {timeout}s")
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
        await asyncio.sleep(0.3)  # anything beyond `count` would be a duplicate: collect it too
        for part in (await consumer.getmany(timeout_ms=300)).values():
            records.extend(part)
        return records
    finally:
        await consumer.stop()


async def max_message_bytes(bootstrap: str, topic: str, size: int) -> None:
    """Set the topic's record-batch size limit: a small one makes the broker refuse writes
    (MESSAGE_TOO_LARGE), a real refusal to test what a writer does with it. Replaces the
    topic's other dynamic configs (legacy AlterConfigs)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": str(size)})])
        # The answer comes once the controller committed the change; the broker applies it from
        # its copy of the metadata log a moment later (CI saw a write refused after the lift).
        # Its own description of the topic shows the value once its image has it.
        deadline = time.monotonic() + 30
        while await _topic_config(admin, topic, "max.message.bytes") != str(size):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: max.message.bytes not {size} after 30 s")
            await asyncio.sleep(0.05)
    finally:
        await admin.close()


async def _topic_config(admin: AIOKafkaAdminClient, topic: str, name: str) -> str | None:
    [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {name: None})])
    for _code, _message, _kind, _resource, entries in response.resources:
        for entry in entries:
            if entry[0] == name:
                return entry[1]
    return None
