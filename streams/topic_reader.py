"""Reads whole topics up to their current end (read_committed): for verifications and tools."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def drain(
    consumer: AIOKafkaConsumer, tps: Iterable[TopicPartition], ends: Mapping[TopicPartition, int],
    handle: Callable[[TopicPartition, ConsumerRecord], None],
) -> None:  # fmt: skip
    """Hand `handle` every record of these assigned, positioned partitions below `ends`, in log
    order per partition (later records, written after `ends` was read, are left alone)."""
    pending = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
    while pending:
        fetched = await consumer.getmany(*pending, timeout_ms=500)
        for tp, records in fetched.items():
            for record in records:
                if record.offset < ends[tp]:
                    handle(tp, record)
        pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}


async def read_whole(bootstrap: str, topics: list[str]) -> dict[str, list[ConsumerRecord]]:
    """Every committed record of `topics` up to the end offsets at the time of the call, in log
    order per partition. Raises LookupError for a topic that does not exist."""
    tps = await _partitions(bootstrap, topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        out: dict[str, list[ConsumerRecord]] = {t: [] for t in topics}
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        await drain(consumer, tps, ends, lambda tp, record: out[tp.topic].append(record))
        return out
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    found = {t["topic"]: sorted(p["partition"] for p in t.get("partitions", [])) for t in described}
    missing = [t for t in topics if not found.get(t)]
    if missing:
        raise LookupError(f"topics do not exist: {', '.join(missing)}")
    return [TopicPartition(t, p) for t in topics for p in found[t]]
