"""Intake through the real broker: transactional processor, co-partitioned topics, replies
and events."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from detectors.engine import FraudEngine, Judges
from domain.intake import Admission
from streams import fraud_messages as fm
from streams import messages
from streams.admin import ensure_topics
from streams.intake_agent import IntakeHandler
from streams.topics import (
    FRAUD_DECISIONS, FRAUD_FACTS, INTAKE_REPLIES, INTAKE_STATE, ORDERS_DECIDED, ORDERS_EVENTS, ORDERS_REQUESTED,
    TopicNames,
)  # fmt: skip
from streams.txn_processor import ProcessorConfig, TransactionalProcessor
from tests.builders import T0, order_request
from tests.streams.kafka_helpers import producer, read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 3


@contextlib.asynccontextmanager
async def running_intake(bootstrap: str, names: TopicNames, prefix: str) -> AsyncIterator[None]:
    handler = IntakeHandler(names, FraudEngine(Judges), bootstrap)
    processor = TransactionalProcessor(
        ProcessorConfig(bootstrap, f"{prefix}intake", f"{prefix}intake-w1", handler.input_topics,
                        names(INTAKE_STATE)),
        handler,
    )  # fmt: skip
    task = asyncio.create_task(processor.run())
    try:
        yield
    finally:
        await processor.stop()
        await task


@pytest.fixture
async def intake(kafka_bootstrap: str, topic_prefix: str) -> AsyncIterator[TopicNames]:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    async with running_intake(kafka_bootstrap, names, topic_prefix):
        yield names


async def test_requests_are_admitted_once_per_key(kafka_bootstrap: str, intake: TopicNames) -> None:
    names = intake
    first = order_request(request_id="01a2" + "0" * 27 + "1")
    retry_same_body = order_request(request_id="01a2" + "0" * 27 + "2")
    retry_other_body = order_request(request_id="01a2" + "0" * 27 + "3", body_hash="other")
    other_company = order_request(request_id="01a2" + "0" * 27 + "4", company_id="cmp_b")
    sequence = [first, retry_same_body, first, retry_other_body, other_company]  # `first` twice

    async with producer(kafka_bootstrap) as p:
        for request in sequence:
            await p.send_and_wait(
                names(ORDERS_REQUESTED),
                messages.encode_order_request(request),
                key=request.company_id.encode(),
            )
        await p.send_and_wait(names(ORDERS_REQUESTED), b"not json", key=b"cmp_a")

    replies = await read_topic(kafka_bootstrap, names(INTAKE_REPLIES), PARTITIONS, len(sequence))
    decoded = sorted(
        (messages.decode_intake_reply(r.value) for r in replies), key=lambda r: r.request_id
    )
    assert [(r.request_id[-1], r.admission) for r in decoded] == [
        ("1", Admission.CREATED),
        ("1", Admission.CREATED),  # the same creating message again gets the same verdict
        ("2", Admission.REPLAYED),
        ("3", Admission.CONFLICT),
        ("4", Admission.CREATED),
    ]
    assert decoded[0].order == decoded[1].order == decoded[2].order
    assert decoded[3].order is None

    # Two orders, two events each: the repeated creating message re-emits identical events.
    events = await read_topic(kafka_bootstrap, names(ORDERS_EVENTS), PARTITIONS, 6)
    by_id: dict[str, set[bytes]] = {}
    for record in events:
        by_id.setdefault(messages.decode_order_event(record.value).event_id, set()).add(record.value)
    assert sorted(by_id) == sorted(
        [f"ord_{first.request_id}:1", f"ord_{first.request_id}:2",
         f"ord_{other_company.request_id}:1", f"ord_{other_company.request_id}:2"]
    )  # fmt: skip
    assert all(len(variants) == 1 for variants in by_id.values()), "replayed events must be identical"

    # Everything for a company stays in its partition (co-partitioning).
    partitions = {r.key: r.partition for r in events}
    decided = await read_topic(kafka_bootstrap, names(ORDERS_DECIDED), PARTITIONS, 2)
    assert all(partitions[r.key] == r.partition for r in decided)


async def _send_request(bootstrap: str, names: TopicNames, n: int) -> None:
    """Order request n of company cmp_a, received n seconds after T0."""
    request = order_request(request_id=f"{n:032x}", idempotency_key=f"r{n}", body_hash=f"h{n}",
                            received_at=T0 + timedelta(seconds=n))  # fmt: skip
    async with producer(bootstrap) as p:
        await p.send_and_wait(names(ORDERS_REQUESTED), messages.encode_order_request(request), key=b"cmp_a")


async def test_a_restarted_intake_rebuilds_the_features_from_its_facts(
    kafka_bootstrap: str, topic_prefix: str
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)

    send = functools.partial(_send_request, kafka_bootstrap, names)

    async with running_intake(kafka_bootstrap, names, topic_prefix):
        for n in range(3):
            await send(n)
        await read_topic(kafka_bootstrap, names(FRAUD_DECISIONS), PARTITIONS, 3)
    # A new processor (a restarted worker): its feature state comes from fraud.facts only.
    async with running_intake(kafka_bootstrap, names, topic_prefix):
        await send(3)
        decisions = await read_topic(kafka_bootstrap, names(FRAUD_DECISIONS), PARTITIONS, 4)
    counts = sorted(fm.decode_decision(r.value)["features"]["user_count_1h"] for r in decisions)
    assert counts == [0, 1, 2, 3]


async def test_facts_logged_twice_rebuild_the_features_as_if_once(kafka_bootstrap: str, topic_prefix: str) -> None:
    """docs/reliability.md: a double processing wrote the same facts again after later ones;
    every restore then refused time going back and the partition got no state at all."""
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)

    send = functools.partial(_send_request, kafka_bootstrap, names)

    async with running_intake(kafka_bootstrap, names, topic_prefix):
        for n in range(3):
            await send(n)
        await read_topic(kafka_bootstrap, names(FRAUD_DECISIONS), PARTITIONS, 3)
    facts = await read_topic(kafka_bootstrap, names(FRAUD_FACTS), PARTITIONS, 3)
    async with producer(kafka_bootstrap) as p:  # the first two again, after the third
        for record in sorted(facts, key=lambda r: r.offset)[:2]:
            await p.send_and_wait(names(FRAUD_FACTS), record.value, key=record.key, partition=record.partition)
    async with running_intake(kafka_bootstrap, names, topic_prefix):
        await send(3)
        decisions = await read_topic(kafka_bootstrap, names(FRAUD_DECISIONS), PARTITIONS, 4)
    counts = sorted(fm.decode_decision(r.value)["features"]["user_count_1h"] for r in decisions)
    assert counts == [0, 1, 2, 3]
