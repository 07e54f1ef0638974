"""Reads whole topics up to their current end (read_committed): for verifications and tools."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def read_whole(bootstrap: str, topics: list[str]) -> dict[str, list[ConsumerRecord]]:
    """Every committed record of `topics` up to the end offsets at the time of the call,
    in log order per partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        request_timeout_ms=30_000,
    )
    await consumer.start()
    try:
        await consumer.topics()  # metadata for every topic, so partitions_for_topic answers
        cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - no public way
        tps = [
            TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or ())
        ]
        out: dict[str, list[ConsumerRecord]] = {t: [] for t in topics}
        if not tps:
            return out
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, records in batch.items():
                out[tp.topic].extend(r for r in records if r.offset < ends[tp])
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return out
    finally:
        await consumer.stop()
