"""Fault matrix, the sink's storage failing (docs/reliability.md): while every ClickHouse write
fails (server away, insert refused) the sink keeps running and commits nothing, so the events
wait in Kafka; once writes succeed again the reports catch up, each order and event once.

The failure is injected at the storage edge: `FailingClickHouse` wraps the real (embedded)
ClickHouse and refuses writes while `failing` is set, as a server that is down would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from detectors.policy import approve_all
from domain.events import events_for
from domain.intake import admit
from quadra.runtime import sink_routes
from streams import messages
from streams.admin import ensure_topics
from streams.sink import Sink, SinkConfig
from streams.topics import ORDERS_EVENTS, TopicNames
from tests.builders import order_request
from tests.streams.kafka_helpers import producer

pytestmark = pytest.mark.kafka
PARTITIONS = 2


class FailingClickHouse:
    """The real ClickHouse behind a switch: while `failing`, every write raises."""

    def __init__(self, real: ClickHouse) -> None:
        self._real = real
        self.failing = False
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _gate(self) -> None:
        if self.failing:
            self.refused += 1
            raise ConnectionError("ClickHouse unavailable (injected)")

    async def insert(self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]) -> None:
        self._gate()
        await self._real.insert(table, rows, column_names)

    async def insert_json(self, table: str, objects: Sequence[bytes], column_names: Sequence[str]) -> None:
        self._gate()
        await self._real.insert_json(table, objects, column_names)

    async def insert_from_json(self, objects: Sequence[bytes], rows: Any) -> None:
        self._gate()
        await self._real.insert_from_json(objects, rows)


async def _publish_orders(bootstrap: str, names: TopicNames, first: int, count: int) -> int:
    orders = [admit(order_request(request_id=f"{i:032x}", idempotency_key=f"k{i}"), None, approve_all).order
              for i in range(first, first + count)]  # fmt: skip
    events = [e for o in orders if o is not None for e in events_for(o)]
    async with producer(bootstrap) as p:
        for event in events:
            await p.send_and_wait(names(ORDERS_EVENTS), messages.encode_order_event(event), key=event.order.company_id.encode())
    return len(events)


async def _committed(bootstrap: str, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        offsets = [await consumer.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)]
        return sum(o or 0 for o in offsets)
    finally:
        await consumer.stop()


async def _until(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def test_events_wait_in_kafka_while_clickhouse_is_down_and_catch_up_once(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, PARTITIONS, 1)
    migrate(clickhouse)
    storage = FailingClickHouse(clickhouse)
    group = f"{topic_prefix}sink"
    sink = Sink(SinkConfig(kafka_bootstrap, group, 100, 0.1), storage, sink_routes(names))  # type: ignore[arg-type]
    await sink.start()
    task = asyncio.create_task(sink.run())
    try:
        first = await _publish_orders(kafka_bootstrap, names, 0, 20)
        await _until(lambda: sink.written_messages >= first, "the sink did not write the first orders")
        committed_before = await _committed(kafka_bootstrap, group, names(ORDERS_EVENTS))

        storage.failing = True  # ClickHouse goes away; orders keep coming
        later = await _publish_orders(kafka_bootstrap, names, 20, 30)
        await _until(lambda: storage.refused >= 3, "the sink did not keep trying")
        assert sink.written_messages == first and not task.done()
        assert await _committed(kafka_bootstrap, group, names(ORDERS_EVENTS)) == committed_before  # waiting in Kafka

        storage.failing = False  # back
        await _until(lambda: sink.written_messages >= first + later, "the sink did not catch up", timeout=60)
    finally:
        await sink.stop()
        await task
    t = clickhouse.table
    assert await clickhouse.query(f"SELECT count(), uniqExact(order_id) FROM {t('orders')} FINAL") == [(50, 50)]
    assert await clickhouse.query(f"SELECT count() FROM {t('order_events')} FINAL") == [(first + later,)]
    assert await _committed(kafka_bootstrap, group, names(ORDERS_EVENTS)) == first + later
