"""Sink throughput: rows/s from `requests.log` into embedded ClickHouse, next to a raw consume.

Produces `--records` realistic inbound request-log records (~700 bytes of JSON each) to a fresh
topic, then drains them twice in this process, timed from the first fetch to the last record:

- baseline: a group-less AIOKafkaConsumer reading the same records (no decoding, no storage),
  with the sink's fetch settings: the ceiling Kafka and aiokafka allow here;
- sink: the real `streams.sink.Sink` with the route `quadra sink` runs (values inserted as
  JSONEachRow; `--decode`: decoded in Python and inserted as rows), batched inserts and
  commits, into a fresh chdb database in a temporary directory.

    .venv/bin/python -m bench.sink_throughput [--records 200000] [--partitions 4] [--decode]

Prints rows/s of both and the sink's ratio to the baseline. The target (issue 5) is
≥ 100,000 rows/s for the sink. Keep runs short: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from bench.broker import create_topics, delete_topics_with_prefix, open_broker
from streams import messages
from quadra.runtime import sink_routes
from streams.sink import FETCH_MAX_BYTES, MAX_PARTITION_FETCH_BYTES, Sink, SinkConfig
from streams.topics import REQUESTS_LOG, TopicNames

T0 = datetime.now(UTC) - timedelta(hours=1)  # recent: request_log keeps 13 months (TTL)
BODY = '{"product_id":"card-transfer-eur","amount":{"value":1500,"currency":"EUR"},' \
       '"recipient":{"card_number":"411111******1111"},"end_user":{"id":"user-42"}}'  # fmt: skip


def _record(n: int) -> messages.RequestLogRecord:
    return messages.RequestLogRecord(
        request_id=f"{n:032x}", direction="inbound", at=T0 + timedelta(milliseconds=n),
        company_id=f"cmp_{n % 50}", method="POST", path="/v1/orders", query="",
        status=201 if n % 10 else 422, duration_ms=n % 97, client_ip="203.0.113.7",
        correlation_id=f"corr-{n}", idempotency_key=f"key-{n}",
        request_headers='{"content-type":"application/json","authorization":"[redacted]"}',
        request_body=BODY, response_body='{"id":"ord_x","status":"approved"}',
        error_type="" if n % 10 else "outside-catalog",
    )  # fmt: skip


async def _produce(bootstrap: str, topic: str, count: int) -> float:
    started = time.monotonic()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, compression_type=None
    )
    await producer.start()
    try:
        pending = []
        for n in range(count):
            key = f"cmp_{n % 50}".encode()
            pending.append(await producer.send(topic, messages.encode_request_log(_record(n)), key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


async def _raw_consume(bootstrap: str, topic: str, partition_count: int, count: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed",
        fetch_max_bytes=FETCH_MAX_BYTES, max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
    )  # fmt: skip
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(partition_count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen, started = 0, None
        while seen < count:
            fetched = await consumer.getmany(timeout_ms=500, max_records=10_000)
            started = started or time.monotonic()
            seen += sum(len(records) for records in fetched.values())
        assert started is not None
        return time.monotonic() - started
    finally:
        await consumer.stop()


async def _sink(
    bootstrap: str, names: TopicNames, count: int, batch_rows: int, data: Path, decode: bool
) -> float:
    clickhouse = await asyncio.to_thread(ClickHouse.connect, f"chdb:///{data}", "bench")
    try:
        await asyncio.to_thread(migrate, clickhouse)
        # The route `quadra sink` runs (JSON rows straight to ClickHouse unless --decode).
        [route] = [r for r in sink_routes(names) if r.topic == names(REQUESTS_LOG)]
        if decode:
            route = replace(route, json=False)
        sink = Sink(SinkConfig(bootstrap, f"{names.prefix}bench-sink", batch_rows, 0.5), clickhouse, [route])
        await sink.start()
        task = asyncio.create_task(sink.run())
        started = None
        while sink.written_messages < count:
            if task.done():
                task.result()
                raise RuntimeError("the sink stopped early")
            if started is None and sink.fetched_messages:
                started = time.monotonic()
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - (started or time.monotonic())
        await sink.stop()
        await task
        [(stored,)] = await clickhouse.query(f"SELECT count() FROM {clickhouse.table('request_log')}")
        if stored != count:
            raise RuntimeError(f"the sink stored {stored} rows of {count}")
        return elapsed
    finally:
        clickhouse.close()


async def main_async(args: argparse.Namespace) -> int:
    prefix = f"benchsink{secrets.token_hex(4)}."
    names = TopicNames(prefix)
    broker = await open_broker(allow_remote=False)
    data = Path(tempfile.mkdtemp(prefix="quadra-sink-bench-"))
    try:
        await create_topics(broker.bootstrap, [names(REQUESTS_LOG)], args.partitions)
        produced = await _produce(broker.bootstrap, names(REQUESTS_LOG), args.records)
        print(f"produced {args.records} records in {produced:.1f} s")
        raw = await _raw_consume(broker.bootstrap, names(REQUESTS_LOG), args.partitions, args.records)
        sunk = await _sink(broker.bootstrap, names, args.records, args.batch_rows, data, args.decode)
        raw_rate, sink_rate = args.records / raw, args.records / sunk
        print(f"baseline (raw aiokafka consume): {raw_rate:>10,.0f} records/s  ({raw:.2f} s)")
        path = "decode, rows" if args.decode else "JSON rows"
        print(f"sink ({path}, ClickHouse): {sink_rate:>10,.0f} rows/s     ({sunk:.2f} s)")
        print(f"sink / baseline: {sink_rate / raw_rate:.2f}   target ≥ 100,000 rows/s: "
              f"{'met' if sink_rate >= 100_000 else 'NOT met'}")  # fmt: skip
        return 0
    finally:
        await delete_topics_with_prefix(broker.bootstrap, prefix)
        await broker.stop_if_ours()
        shutil.rmtree(data, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--decode", action="store_true", help="the decode path (no JSON rows)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
