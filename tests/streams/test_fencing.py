"""Fencing (streams/txn_processor.py, streams/fencing.py).

The broker fences a producer when another one starts with its transactional id, and also when
it aborted one of its transactions for its timeout (a restarted broker answering
NotEnoughReplicas for a minute): the client cannot tell which. A transactional processor uses
one id per input partition, so a fence means the partition has a new owner (or a transaction
was aborted): it reopens, always; through the real broker, every event then comes out once.
Notify keeps one id per worker and stops when fenced more often than FenceWatch allows."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaProducer

from domain.audit_chain import verify
from streams.admin import ensure_topics
from streams.audit_agent import AuditHandler
from streams.audit_messages import decode_audit_record
from streams.audit_trail import KafkaAuditTrail
from streams.fencing import FenceWatch
from streams.topics import AUDIT_EVENTS, AUDIT_LOG, AUDIT_STATE, TopicNames
from streams.txn_processor import ProcessorConfig, TransactionalProcessor
from tests.domain.test_audit_chain import event
from tests.streams.kafka_helpers import producer, read_topic

PARTITIONS = 2


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """A fenced aiokafka producer leaves futures holding ProducerFenced that nobody retrieves;
    their finalizers log. Collected here, not at a random later allocation: one that ran inside
    pytest's ast.parse at session end broke CPython 3.11's AST recursion check (SystemError)."""
    yield
    gc.collect()


@pytest.mark.parametrize(
    ("limit", "fences_at", "stops_at"),
    [
        (3, [0, 1, 2], None),  # three within the window: reopen each time
        (3, [0, 1, 2, 3], 3),  # the fourth within 300 s: stop
        (3, [0, 100, 200, 301], None),  # the first has left the window by the fourth
        (0, [0], 0),  # no reopening at all
    ],
)
def test_a_processor_reopens_until_fenced_more_than_its_limit_within_the_window(
    limit: int, fences_at: list[float], stops_at: int | None
) -> None:
    now = [0.0]
    watch = FenceWatch(limit, window_s=300.0, clock=lambda: now[0])
    verdicts = []
    for at in fences_at:
        now[0] = at
        verdicts.append(watch.too_many())
    assert verdicts == [i == stops_at for i in range(len(fences_at))]


def _processor(bootstrap: str, names: TopicNames, group: str, worker: str = "w1") -> TransactionalProcessor:
    handler = AuditHandler(names)
    config = ProcessorConfig(bootstrap, group, f"{group}-{worker}", handler.input_topics, names(AUDIT_STATE),
                             retry_backoff_s=0.2)  # fmt: skip
    return TransactionalProcessor(config, handler)


async def _fence(bootstrap: str, transactional_id: str) -> None:
    """What a partition's new owner does to the running processor's producer of it."""
    twin = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=transactional_id,
                            enable_idempotence=True, acks="all")  # fmt: skip
    await twin.start()  # InitProducerId: the running processor's epoch is stale from here
    await twin.stop()


@pytest.mark.kafka
async def test_fenced_by_a_partitions_new_owner_the_processor_reopens_and_every_event_is_chained_once(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1, (AUDIT_EVENTS, AUDIT_LOG, AUDIT_STATE))
    group = f"{topic_prefix}audit"
    app = _processor(kafka_bootstrap, names, group)
    task = asyncio.create_task(app.run())
    try:
        async with producer(kafka_bootstrap) as p:
            trail = KafkaAuditTrail(p, names(AUDIT_EVENTS))
            for n in range(1, 6):
                await trail.record(event(n))
            await read_topic(kafka_bootstrap, names(AUDIT_LOG), PARTITIONS, 5, 90)
            for partition in range(PARTITIONS):  # one transactional id per input partition
                await _fence(kafka_bootstrap, f"{group}.p{partition}")
            for n in range(6, 11):
                await trail.record(event(n))
        out = await read_topic(kafka_bootstrap, names(AUDIT_LOG), PARTITIONS, 10, 90)
        assert not task.done(), "the processor stopped on a fence"
    finally:
        await app.stop()
        await task
    records = [decode_audit_record(m.value) for m in out]
    assert sorted(r.event.event_id for r in records) == sorted(event(n).event_id for n in range(1, 11))
    assert verify(records).ok
    assert app.failed_batches >= 1  # it was fenced, and went on


@pytest.mark.kafka
async def test_two_workers_with_one_name_share_the_partitions_instead_of_fencing_each_other(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    """With one transactional id per worker, two workers started with the same id took turns
    fencing each other; ids now follow the partitions, which the group gives to one member each."""
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1, (AUDIT_EVENTS, AUDIT_LOG, AUDIT_STATE))
    group = f"{topic_prefix}audit"
    apps = [_processor(kafka_bootstrap, names, group, "same") for _ in range(2)]
    tasks = [asyncio.create_task(a.run()) for a in apps]
    try:
        async with producer(kafka_bootstrap) as p:
            trail = KafkaAuditTrail(p, names(AUDIT_EVENTS))
            for n in range(1, 21):
                await trail.record(event(n, company_id=f"cmp_{n % 4}"))
        out = await read_topic(kafka_bootstrap, names(AUDIT_LOG), PARTITIONS, 20, 120)
        assert not any(t.done() for t in tasks)
    finally:
        for a in apps:
            await a.stop()
        await asyncio.gather(*tasks)
    records = [decode_audit_record(m.value) for m in out]
    assert sorted(r.event.event_id for r in records) == sorted(event(n).event_id for n in range(1, 21))
    assert verify(records).ok
