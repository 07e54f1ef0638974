"""Intake through the real broker: Faust worker, co-partitioned topics, replies and events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from detectors.policy import approve_all
from domain.intake import Admission
from streams import messages
from streams.admin import ensure_topics
from streams.topics import INTAKE_REPLIES, ORDERS_DECIDED, ORDERS_EVENTS, ORDERS_REQUESTED, TopicNames
from streams.intake_agent import register_intake
from streams.worker import WorkerConfig, build_worker_app
from tests.builders import order_request
from tests.streams.kafka_helpers import producer, read_topic

pytestmark = pytest.mark.kafka
PARTITIONS = 3


@pytest.fixture
async def worker(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> AsyncIterator[TopicNames]:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    app = build_worker_app(
        WorkerConfig(f"{topic_prefix}worker", kafka_bootstrap, PARTITIONS, 1, names, tmp_path),
        [partial(register_intake, decide=approve_all)],
    )
    await app.start()
    try:
        yield names
    finally:
        await app.stop()


async def test_requests_are_admitted_once_per_key_and_redeliveries_repeat_outputs(
    kafka_bootstrap: str, worker: TopicNames
) -> None:
    names = worker
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
        ("1", Admission.CREATED),  # the redelivered creating message gets the same verdict
        ("2", Admission.REPLAYED),
        ("3", Admission.CONFLICT),
        ("4", Admission.CREATED),
    ]
    assert decoded[0].order == decoded[1].order == decoded[2].order
    assert decoded[3].order is None

    # Two orders exist: each has two events; the redelivery re-emitted identical ones.
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
