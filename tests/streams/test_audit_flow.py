"""The audit agent through the real broker: chains per partition, redelivery after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from domain.audit_chain import verify
from domain.errors import Unavailable
from streams.admin import ensure_topics
from streams.audit_agent import AuditHandler
from streams.audit_messages import decode_audit_event, decode_audit_record
from streams.audit_trail import KafkaAuditTrail
from streams.topics import AUDIT_EVENTS, AUDIT_LOG, AUDIT_STATE, TopicNames
from streams.txn_processor import ProcessorConfig, TransactionalProcessor
from tests.domain.test_audit_chain import event
from tests.streams.kafka_helpers import max_message_bytes, producer, read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 3


async def _rewind_group(bootstrap: str, group: str, topic: str, back: int) -> int:
    """As if the worker had died before committing its last `back` events of each partition."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        rewound = {tp: max(0, ends[tp] - back) for tp in tps}
        await consumer.commit(rewound)
        return sum(ends[tp] - rewound[tp] for tp in tps)  # events that will come again
    finally:
        await consumer.stop()


def _audit_processor(bootstrap: str, names: TopicNames, group: str) -> TransactionalProcessor:
    handler = AuditHandler(names)
    config = ProcessorConfig(bootstrap, group, f"{group}-w1", handler.input_topics, names(AUDIT_STATE))
    return TransactionalProcessor(config, handler)


def _by_position(out: list[ConsumerRecord]) -> dict[tuple[int, int], set[bytes]]:
    """The distinct bytes published for each (chain, seq): one each, or a chain forked."""
    positions: dict[tuple[int, int], set[bytes]] = {}
    for message in out:
        r = decode_audit_record(message.value)
        positions.setdefault((r.chain, r.seq), set()).add(message.value)
    return positions


async def test_chains_per_partition_and_a_restart_replays_identical_records(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1, (AUDIT_EVENTS, AUDIT_LOG, AUDIT_STATE))
    group = f"{topic_prefix}audit"
    companies = ["cmp_a", "cmp_b", "cmp_c", "cmp_d", ""]
    events = [event(n, company_id=companies[n % 5]) for n in range(1, 21)]

    app = _audit_processor(kafka_bootstrap, names, group)
    task = asyncio.create_task(app.run())
    try:
        async with producer(kafka_bootstrap) as p:
            trail = KafkaAuditTrail(p, names(AUDIT_EVENTS))
            for e in events + [events[3]]:  # the fourth one twice
                await trail.record(e)
        out = await read_topic(kafka_bootstrap, names(AUDIT_LOG), PARTITIONS, 21, 90)
    finally:
        await app.stop()
        await task

    records = [decode_audit_record(m.value) for m in out]
    assert all(m.partition == r.chain for m, r in zip(out, records, strict=True))
    positions = _by_position(out)
    assert len(positions) == 20, "the repeated event was linked twice"
    assert all(len(copies) == 1 for copies in positions.values())
    result = verify(records)
    assert result.ok and result.records == 20
    # Each event is chained in the partition it was published to (keyed by company).
    sources = await read_topic(kafka_bootstrap, names(AUDIT_EVENTS), PARTITIONS, 21)
    source_partition = {decode_audit_event(m.value).event_id: m.partition for m in sources}
    assert all(source_partition[r.event.event_id] == r.chain for r in records)

    # Restart with the last 3 events of each partition uncommitted: they are redelivered, and
    # only the processor state (reloaded from its state topic) knows where the chain stood,
    # so each comes out as the identical record. A new event extends the chain.
    again = await _rewind_group(kafka_bootstrap, group, names(AUDIT_EVENTS), back=3)
    app = _audit_processor(kafka_bootstrap, names, group)
    task = asyncio.create_task(app.run())
    try:
        async with producer(kafka_bootstrap) as p:
            await KafkaAuditTrail(p, names(AUDIT_EVENTS)).record(event(21, company_id="cmp_a"))
        expected = 21 + again + 1
        out = await read_topic(kafka_bootstrap, names(AUDIT_LOG), PARTITIONS, expected, 90)
    finally:
        await app.stop()
        await task

    records = [decode_audit_record(m.value) for m in out]
    positions = _by_position(out)
    assert len(positions) == 21
    assert all(len(copies) == 1 for copies in positions.values()), "a replay forked a chain"
    assert verify(records).ok
    newest = next(r for r in records if r.event.event_id == event(21).event_id)
    chain_len = sum(1 for chain, _ in positions if chain == newest.chain)
    assert newest.seq == chain_len


async def test_an_audit_record_the_broker_refuses_is_unavailable_not_an_internal_error(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    """The soak: a staff review's audit record met a broker restarting and the staff API
    answered 500. A refusal (here a real one: the topic's size limit) is `Unavailable`: a 503
    with Retry-After, and the same request again records it."""
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1, (AUDIT_EVENTS,))
    await max_message_bytes(kafka_bootstrap, names(AUDIT_EVENTS), 100)
    async with producer(kafka_bootstrap) as p:
        with pytest.raises(Unavailable, match="MessageSizeTooLarge"):
            await KafkaAuditTrail(p, names(AUDIT_EVENTS)).record(event(1, company_id="cmp_a"))
        await max_message_bytes(kafka_bootstrap, names(AUDIT_EVENTS), 1_048_588)
        for attempt in range(10):  # as a client retries a 503; the lift reaches the log a moment later
            try:
                await KafkaAuditTrail(p, names(AUDIT_EVENTS)).record(event(3, company_id="cmp_a"))
                break
            except Unavailable:
                if attempt == 9:
                    raise
                await asyncio.sleep(0.2)
    assert [decode_audit_event(m.value).event_id for m in await read_topic(
        kafka_bootstrap, names(AUDIT_EVENTS), PARTITIONS, 1, 30)] == [event(3).event_id]  # fmt: skip
