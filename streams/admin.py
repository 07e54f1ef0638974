"""Creates Quadra's topics and checks the partition counts that co-partitioning relies on."""

from __future__ import annotations

import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.topics import ALL_TOPICS, TopicNames, TopicSpec, partition_count

log = logging.getLogger(__name__)

_TOPIC_EXISTS = 36


class TopicLayoutError(RuntimeError):
    """A topic exists with another partition count: co-partitioning would silently break."""


def _new_topic(spec: TopicSpec, name: str, partitions: int, replication: int) -> NewTopic:
    configs = dict(spec.configs)
    if spec.compacted:
        configs["cleanup.policy"] = "compact"
    return NewTopic(name, partition_count(spec, partitions), replication, topic_configs=configs)


async def ensure_topics(
    bootstrap: str,
    names: TopicNames,
    partitions: int,
    replication: int,
    specs: tuple[TopicSpec, ...] = ALL_TOPICS,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        wanted = {names(spec): spec for spec in specs}
        existing = set(await admin.list_topics())
        missing = [
            _new_topic(spec, name, partitions, replication)
            for name, spec in wanted.items()
            if name not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            for topic, code, *_ in response.topic_errors:
                if code not in (0, _TOPIC_EXISTS):
                    raise TopicLayoutError(f"creating topic {topic} failed with error {code}")
            log.info("created topics: %s", ", ".join(t.name for t in missing))
        await _check_partitions(admin, wanted, partitions)
    finally:
        await admin.close()


async def _check_partitions(
    admin: AIOKafkaAdminClient, wanted: dict[str, TopicSpec], partitions: int
) -> None:
    # Metadata can lag a fresh CreateTopics by a moment; retry briefly before judging.
    for attempt in range(50):
        described = {t["topic"]: t for t in await admin.describe_topics(list(wanted))}
        counts = {name: len(described.get(name, {}).get("partitions", [])) for name in wanted}
        if all(counts.values()):
            break
        await asyncio.sleep(0.1 * (attempt + 1))
    wrong = {
        name: count
        for name, count in counts.items()
        if count != partition_count(wanted[name], partitions)
    }
    if wrong:
        raise TopicLayoutError(
            f"topics have the wrong partition count (want {partitions}): {wrong}; "
            "co-partitioned topics must share one count"
        )
