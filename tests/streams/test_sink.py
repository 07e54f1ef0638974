"""The sink through the real broker into embedded ClickHouse: batched, idempotent, robust."""

from __future__ import annotations

import asyncio
import time

import pytest

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from detectors.policy import approve_all
from domain.events import events_for
from domain.intake import admit
from quadra.runtime import sink_routes
from streams import messages
from streams.admin import ensure_topics
from streams.sink import Sink, SinkConfig
from streams.topics import ORDERS_EVENTS, REQUESTS_LOG, TopicNames
from tests.builders import T0, order_request
from tests.streams.kafka_helpers import producer

pytestmark = pytest.mark.kafka


def _log_record(n: int) -> messages.RequestLogRecord:
    return messages.RequestLogRecord(
        request_id=f"req-{n}", direction="inbound", at=T0, company_id="cmp_a", method="POST",
        path="/v1/orders", query="", status=201, duration_ms=3, client_ip="127.0.0.1",
        correlation_id=f"corr-{n}", idempotency_key=f"k-{n}", request_headers="",
        request_body="{}", response_body="{}", error_type="",
    )  # fmt: skip


async def _run_sink_until(sink: Sink, messages_written: int, timeout: float = 30) -> None:
    task = asyncio.create_task(sink.run())
    deadline = time.monotonic() + timeout
    try:
        while sink.written_messages + sink.skipped_messages < messages_written:
            assert time.monotonic() < deadline, "sink did not catch up"
            assert not task.done(), task.exception()
            await asyncio.sleep(0.05)
    finally:
        await sink.stop()
        await task


async def test_events_and_logs_land_once_even_when_replayed(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    migrate(clickhouse)
    orders = [
        admit(order_request(request_id=f"{i:032x}", idempotency_key=f"k{i}"), None, approve_all).order
        for i in range(50)
    ]
    events = [e for o in orders if o is not None for e in events_for(o)]
    async with producer(kafka_bootstrap) as p:
        for event in events + events[:10]:  # the first ten twice: an upstream replay
            await p.send(names(ORDERS_EVENTS), messages.encode_order_event(event), key=b"cmp_a")
        for n in range(20):
            await p.send(names(REQUESTS_LOG), messages.encode_request_log(_log_record(n)), key=b"cmp_a")
        await p.send(names(REQUESTS_LOG), b"garbage", key=b"cmp_a")
        await p.flush()

    config = SinkConfig(kafka_bootstrap, f"{topic_prefix}sink", batch_rows=25, flush_interval_s=0.2)
    sink = Sink(config, clickhouse, sink_routes(names))
    await sink.start()
    await _run_sink_until(sink, len(events) + 10 + 21)
    assert sink.skipped_messages == 1

    # A second sink in the same group starts after the committed offsets: nothing is re-read.
    again = Sink(config, clickhouse, sink_routes(names))
    await again.start()
    await _run_sink_until(again, 0)
    assert again.written_messages == 0

    t = clickhouse.table
    assert await clickhouse.query(f"SELECT count() FROM {t('order_events')} FINAL") == [(100,)]
    assert await clickhouse.query(f"SELECT count(), countIf(status = 'approved') FROM {t('orders')} FINAL") == [(50, 50)]
    assert await clickhouse.query(f"SELECT count() FROM {t('request_log')} FINAL") == [(20,)]
    snapshots = await clickhouse.query(f"SELECT snapshot FROM {t('orders')} FINAL")
    assert all('"card_ciphertext":null' in s for (s,) in snapshots)


async def test_a_failed_write_is_retried_from_the_last_commit(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 1, 1)
    # No migrations yet: inserts fail until the tables exist.
    order = admit(order_request(), None, approve_all).order
    assert order is not None
    async with producer(kafka_bootstrap) as p:
        for event in events_for(order):
            await p.send_and_wait(names(ORDERS_EVENTS), messages.encode_order_event(event), key=b"c")

    sink = Sink(SinkConfig(kafka_bootstrap, f"{topic_prefix}sink", 100, 0.1), clickhouse, sink_routes(names))
    await sink.start()
    task = asyncio.create_task(sink.run())
    await asyncio.sleep(1.5)
    assert sink.written_messages == 0 and not task.done()
    migrate(clickhouse)
    deadline = time.monotonic() + 20
    while sink.written_messages < 2:
        assert time.monotonic() < deadline, "sink did not recover after the tables appeared"
        await asyncio.sleep(0.1)
    await sink.stop()
    await task
    rows = await clickhouse.query(f"SELECT status, version FROM {clickhouse.table('orders')} FINAL")
    assert rows == [(order.status.value, 2)]


async def test_a_graceful_stop_writes_everything_already_in_the_topics(
    kafka_bootstrap: str, topic_prefix: str, clickhouse: ClickHouse
) -> None:
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 2, 1)
    migrate(clickhouse)
    async with producer(kafka_bootstrap) as p:
        for n in range(30):
            await p.send(names(REQUESTS_LOG), messages.encode_request_log(_log_record(n)), key=b"cmp_a")
        await p.flush()
    # A flush interval far beyond the test: only the drain on stop can write these rows.
    sink = Sink(SinkConfig(kafka_bootstrap, f"{topic_prefix}sink", 10_000, 60.0), clickhouse, sink_routes(names))
    await sink.start()
    task = asyncio.create_task(sink.run())
    await asyncio.sleep(2.0)
    await sink.stop()
    await asyncio.wait_for(task, 30)
    assert await clickhouse.query(f"SELECT count() FROM {clickhouse.table('request_log')} FINAL") == [(30,)]
