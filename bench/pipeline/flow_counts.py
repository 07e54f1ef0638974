"""What one order moves through Kafka and HTTP in a real run: records per topic, the consumer
groups that read each topic, and the HTTP exchanges by direction (from the request log).

Read after a run (every order completed, groups caught up) from the run's topics alone: each
topic of the prefix is read to its end by a group-less read_committed consumer (records of
aborted transactions and commit markers are not counted), and each group of the prefix is
asked which topics it has committed offsets on. Group-less readers (the API's order feed, the
directories of compacted topics) are not counted, so the consumed figure is a lower bound.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.broker import admin_client

REQUEST_LOG_SUFFIX = "requests.log"
WEBHOOK_ATTEMPTS_SUFFIX = "webhooks.attempts"


@dataclass(frozen=True)
class TopicFlow:
    topic: str  # without the prefix
    records: int
    readers: tuple[str, ...]  # consumer groups with committed offsets on it (prefix dropped)


@dataclass(frozen=True)
class FlowCounts:
    topics: tuple[TopicFlow, ...]
    http: dict[str, int] = field(default_factory=dict)  # request-log records by direction

    @property
    def produced(self) -> int:
        return sum(t.records for t in self.topics)

    @property
    def consumed(self) -> int:
        """Records delivered to consumer groups: each group reads every record of its topics."""
        return sum(t.records * len(t.readers) for t in self.topics)

    def per_order(self, orders: int) -> dict[str, float]:
        return {
            "produced": self.produced / orders,
            "consumed": self.consumed / orders,
            **{f"http_{d}": n / orders for d, n in sorted(self.http.items())},
        }

    def as_json(self) -> dict[str, object]:
        return {
            "topics": [{"topic": t.topic, "records": t.records, "readers": list(t.readers)} for t in self.topics],
            "http": dict(self.http),
        }

    @classmethod
    def from_json(cls, doc: dict[str, object]) -> FlowCounts:
        topics = tuple(
            TopicFlow(t["topic"], int(t["records"]), tuple(t["readers"]))  # type: ignore[index]
            for t in doc["topics"]  # type: ignore[attr-defined]
        )
        return cls(topics, {k: int(v) for k, v in doc.get("http", {}).items()})  # type: ignore[attr-defined]


async def _readers(bootstrap: str, prefix: str) -> tuple[dict[str, set[str]], dict[str, int]]:
    """The groups reading each topic of the prefix, and each topic's partition count."""
    by_topic: dict[str, set[str]] = {}
    async with admin_client(bootstrap) as admin:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix)]
        for group in groups:
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                if meta.offset >= 0:
                    by_topic.setdefault(tp.topic, set()).add(group.removeprefix(prefix))
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        described = await admin.describe_topics(topics) if topics else []
    partitions = {d["topic"]: len(d["partitions"]) for d in described}
    for topic in topics:
        by_topic.setdefault(topic, set())
    return by_topic, partitions


async def _count(
    consumer: AIOKafkaConsumer, topic: str, partitions: int, directions: Counter[str] | None,
    attempts: set[str] | None = None,
) -> int:
    """Records of `topic` up to its last stable offset; request-log records counted by
    direction, webhook attempts that sent a request collected by id (one HTTP exchange each)."""
    parts = [TopicPartition(topic, p) for p in range(partitions)]
    if not parts:
        return 0
    consumer.assign(parts)
    await consumer.seek_to_beginning(*parts)
    ends = await consumer.end_offsets(parts)
    records = 0
    while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
        batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
        for rows in batch.values():
            records += len(rows)
            for r in rows if directions is not None or attempts is not None else ():
                with contextlib.suppress(Exception):  # a tombstone or a foreign record: not an exchange
                    doc = orjson.loads(r.value)
                    if directions is not None:
                        directions[doc["direction"]] += 1
                    if attempts is not None and doc["url"]:  # attempt 0 (enqueued) sent nothing
                        attempts.add(doc["attempt_id"])
    return records


async def flow_counts(bootstrap: str, prefix: str) -> FlowCounts:
    readers, partitions = await _readers(bootstrap, prefix)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        isolation_level="read_committed", auto_offset_reset="earliest",
    )  # fmt: skip
    await asyncio.wait_for(consumer.start(), 30)
    directions: Counter[str] = Counter()
    attempt_ids: set[str] = set()
    flows = []
    try:
        for topic in sorted(readers):
            log = directions if topic.endswith(REQUEST_LOG_SUFFIX) else None
            tried = attempt_ids if topic.endswith(WEBHOOK_ATTEMPTS_SUFFIX) else None
            records = await asyncio.wait_for(_count(consumer, topic, partitions.get(topic, 0), log, tried), 120)
            flows.append(TopicFlow(topic.removeprefix(prefix), records, tuple(sorted(readers[topic]))))
    finally:
        await consumer.stop()
    http = dict(directions)
    # Webhook deliveries are not on requests.log: the sink derives their log rows from the attempts.
    http.setdefault("webhook", len(attempt_ids))
    return FlowCounts(tuple(flows), http)


def format_counts(counts: FlowCounts, orders: int) -> str:
    lines = [f"  {'topic':<28} {'records/order':>13}  read by"]
    for t in sorted(counts.topics, key=lambda t: -t.records):
        if t.records:
            lines.append(f"  {t.topic:<28} {t.records / orders:>13.2f}  {', '.join(t.readers) or '-'}")
    per = counts.per_order(orders)
    lines.append("  per order: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    return "\n".join(lines)
