"""Rebuilding the fraud features of a partition from `fraud.facts`.

The intake writes every order's facts (and every analyst label) to `fraud.facts`, in the same
Kafka transaction as its input offsets and its outputs. So the committed facts of a partition
are exactly what its committed feature state was fed: replaying the facts newer than the
longest feature horizon, in log order, rebuilds that state, after a crash, a rebalance or a
failed batch alike. The topic keeps facts a little longer than the horizon.

What this costs: a restore reads every fact of the horizon (about the last 37 days) of the
partitions it gets. At today's volumes that is seconds; at much higher volumes the next step
is a periodic snapshot of the state plus the facts after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from detectors.features import OrderFacts
from streams.fraud_messages import LabelFact, decode_fact
from streams.messages import MessageError
from streams.topic_reader import drain

log = logging.getLogger(__name__)

Feed = Callable[[int, OrderFacts | LabelFact], None]


async def replay_facts(bootstrap: str, topic: str, partitions: Iterable[int], horizon_s: int, feed: Feed) -> int:
    """Feed every committed fact of these partitions newer than `horizon_s`, in log order.
    Returns how many were fed."""
    tps = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not tps:
        return 0
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                              isolation_level="read_committed")  # fmt: skip
    await reader.start()
    fed = 0
    try:
        reader.assign(tps)
        since_ms = int((time.time() - horizon_s) * 1000)
        starts = await reader.offsets_for_times({tp: since_ms for tp in tps})
        ends = await reader.end_offsets(tps)
        for tp in tps:
            found = starts.get(tp)
            reader.seek(tp, found.offset if found is not None else ends[tp])

        def apply(tp: TopicPartition, record: ConsumerRecord) -> None:
            nonlocal fed
            try:
                fact = decode_fact(record.value)
            except MessageError as exc:
                log.warning("skipping undecodable fact at %s/%s: %s", tp.partition, record.offset, exc)
                return
            feed(tp.partition, fact)
            fed += 1

        await drain(reader, tps, ends, apply)
        return fed
    finally:
        await reader.stop()
