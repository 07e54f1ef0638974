"""Rebuilding the fraud features of a partition from `fraud.facts`.

The intake writes every order's facts (and every analyst label) to `fraud.facts`, in the same
Kafka transaction as its input offsets and its outputs. So the committed facts of a partition
are exactly what its committed feature state was fed: replaying the facts newer than the
longest feature horizon, in log order, rebuilds that state, after a crash, a rebalance or a
failed batch alike. The topic keeps facts a little longer than the horizon.

The log may hold what the live path never fed: facts written twice (an unfenced double
processing wrote the same orders again, after later ones) or, from such a zombie, times behind
the partition's clock. The live path admits an order once (its idempotency entry) and never
feeds one before its company's clock, so `FeatureReplay` skips an order id it has fed and
clamps times exactly as the live path does (`not_before_clock`): a replay that refused them
left the partitions without state on every assignment (docs/reliability.md).

What this costs: a restore reads every fact of the horizon (about the last 37 days) of the
partitions it gets. At today's volumes that is seconds; at much higher volumes the next step
is a periodic snapshot of the state plus the facts after it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from detectors.features import FeatureState, OrderFacts
from detectors.features.state import not_before_clock
from streams.fraud_messages import LabelFact, decode_fact
from streams.messages import MessageError
from streams.topic_reader import drain

log = logging.getLogger(__name__)

Feed = Callable[[int, OrderFacts | LabelFact], None]


class FeatureReplay:
    """Feeds one partition's logged facts, in log order, to its feature state as the live path
    fed them: each order once, never before its company's clock. Order facts go in batches
    (the compiled state pays a call per batch, not per order); a label first flushes the
    batch, so it lands where it was logged. Call `finish` after the last fact."""

    def __init__(self, features: FeatureState, batch: int = 10_000) -> None:
        self._features = features
        self._batch_size = batch
        self._batch: list[OrderFacts] = []
        self._clocks: dict[str, int] = {}  # each company's clock, batch included
        # Every order id fed: the log's horizon (~37 days) of ids, held for the replay only.
        self._fed: set[str] = set()
        self.repeated = 0  # order facts skipped: their order was fed before
        self.clamped = 0  # order facts fed later than logged: behind their company's clock

    def feed(self, fact: OrderFacts | LabelFact) -> None:
        if isinstance(fact, LabelFact):
            self.flush()
            self._features.company(fact.company_id).label(fact.order_id, fact.order_at, fact.label)
            return
        order_id = fact.order_id
        if order_id is not None:
            if order_id in self._fed:
                self.repeated += 1
                return
            self._fed.add(order_id)
        at = not_before_clock(self._features, self._clocks, fact.company_id, fact.at)
        if at != fact.at:
            self.clamped += 1
            fact = replace(fact, at=at)
        self._batch.append(fact)
        if len(self._batch) >= self._batch_size:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            batch, self._batch = self._batch, []
            self._features.update_and_compute(batch)

    def finish(self) -> None:
        self.flush()
        self._fed.clear()


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
