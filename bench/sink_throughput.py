"""Sink throughput: records/s from one topic into embedded ClickHouse, next to a raw consume.

Produces `--records` realistic records of one `--topic` (bench/sink_records.py: request-log
lines by default, ~650 bytes of JSON each; order events, ledger entries, webhook attempts) to a
fresh topic, then drains them twice in this process, timed from the first fetch to the last
record:

- baseline: a group-less AIOKafkaConsumer reading the same records (no decoding, no storage),
  with the sink's fetch settings: the ceiling Kafka and aiokafka allow here;
- sink: the real `streams.sink.Sink` with the route `quadra sink` runs for that topic (its
  fast path if it has one; `--decode`: decoded in Python and inserted as rows), batched
  inserts and commits, into a fresh chdb database in a temporary directory.

    .venv/bin/python -m bench.sink_throughput [--topic requests] [--records 200000] [--decode]

Prints records/s of both, the sink's ratio to the baseline, how long ClickHouse was busy
inserting, the process's CPU time per record (steadier than rates on a shared machine), and
rows/s (a record of some topics is several rows: an order event is an order_events and an
orders row). `--reuse` keeps the produced topic for the next run with the same topic, count and
partitions (producing is slower than the sink and loads the shared machine); delete such
topics with `--drop`. Keep runs short: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from bench.broker import create_topics, delete_topics_with_prefix, open_broker
from bench.sink_records import KINDS, RecordKind
from quadra.runtime import sink_routes
from streams.sink import FETCH_MAX_BYTES, MAX_PARTITION_FETCH_BYTES, Sink, SinkConfig
from streams.topics import TopicNames

REUSE_PREFIX = "benchsinkkeep."


async def _produce(bootstrap: str, topic: str, kind: RecordKind, count: int) -> float:
    started = time.monotonic()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, compression_type=None
    )
    await producer.start()
    try:
        pending = []
        for n in range(count):
            key, value = kind.make(n)
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.monotonic() - started


async def _records_in(bootstrap: str, topic: str, partition_count: int) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partition_count)])
        return sum(ends.values())
    finally:
        await consumer.stop()


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


@dataclass
class TimedClickHouse:
    """The real ClickHouse, adding up the time the sink's inserts took (the sink awaits them
    while it fetches the next batch: busy ≈ elapsed means ClickHouse is the bottleneck)."""

    ch: ClickHouse
    busy: float = 0.0
    inserts: int = 0
    cpu: float = 0.0  # CPU seconds of the whole process while the sink ran
    loop_cpu: float = 0.0  # of which the event loop's (Kafka fetches, Python decoding)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.ch, name)
        if not name.startswith("insert"):
            return method

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()
            try:
                return await method(*args, **kwargs)
            finally:
                self.busy += time.monotonic() - started
                self.inserts += 1

        return timed


async def _sink(
    bootstrap: str, names: TopicNames, kind: RecordKind, count: int, batch_rows: int, data: Path,
    decode: bool,
) -> tuple[float, TimedClickHouse]:
    clickhouse = await asyncio.to_thread(ClickHouse.connect, f"chdb:///{data}", "bench")
    try:
        await asyncio.to_thread(migrate, clickhouse)
        # The route `quadra sink` runs (its fast path unless --decode).
        [route] = [r for r in sink_routes(names) if r.topic == names(kind.topic)]
        if decode:
            route = replace(route, json=False, from_json=None)
        timed = TimedClickHouse(clickhouse)
        group = f"{names.prefix}bench-sink-{secrets.token_hex(4)}"  # from the beginning each run
        sink = Sink(SinkConfig(bootstrap, group, batch_rows, 0.5), timed, [route])  # type: ignore[arg-type]
        await sink.start()
        task = asyncio.create_task(sink.run())
        started = None
        cpu = time.process_time()  # every thread of this process: the loop's and ClickHouse's
        loop_cpu = time.thread_time()  # this thread's: the event loop the sink runs on
        while sink.written_messages < count:
            if task.done():
                task.result()
                raise RuntimeError("the sink stopped early")
            if started is None and sink.fetched_messages:
                started = time.monotonic()
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - (started or time.monotonic())
        timed.cpu = time.process_time() - cpu
        timed.loop_cpu = time.thread_time() - loop_cpu
        await sink.stop()
        await task
        [(stored,)] = await clickhouse.query(f"SELECT count() FROM {clickhouse.table(kind.count_table)}")
        if stored != count:
            raise RuntimeError(f"the sink stored {stored} rows of {count}")
        return elapsed, timed
    finally:
        clickhouse.close()


async def _topic(bootstrap: str, args: argparse.Namespace, kind: RecordKind) -> tuple[TopicNames, str]:
    """The topic to drain, produced now unless `--reuse` finds it complete from a former run."""
    if args.reuse:
        names = TopicNames(f"{REUSE_PREFIX}{args.topic}.{args.records}.{args.partitions}.")
    else:
        names = TopicNames(f"benchsink{secrets.token_hex(4)}.")
    topic = names(kind.topic)
    await create_topics(bootstrap, [topic], args.partitions)
    held = await _records_in(bootstrap, topic, args.partitions)
    if args.reuse and held == args.records:
        print(f"reusing {topic}: {held} records")
        return names, topic
    if held:
        raise RuntimeError(f"{topic} holds {held} records, not {args.records}: run with --drop")
    produced = await _produce(bootstrap, topic, kind, args.records)
    print(f"produced {args.records} {kind.topic.name} records in {produced:.1f} s")
    return names, topic


async def main_async(args: argparse.Namespace) -> int:
    broker = await open_broker(allow_remote=False)
    if args.drop:
        try:
            print("deleted", await delete_topics_with_prefix(broker.bootstrap, REUSE_PREFIX))
        finally:
            await broker.stop_if_ours()
        return 0
    data = Path(tempfile.mkdtemp(prefix="quadra-sink-bench-"))
    kind = KINDS[args.topic]
    names = None
    try:
        names, topic = await _topic(broker.bootstrap, args, kind)
        raw = await _raw_consume(broker.bootstrap, topic, args.partitions, args.records)
        sunk, ch = await _sink(broker.bootstrap, names, kind, args.records, args.batch_rows, data, args.decode)
        raw_rate, sink_rate = args.records / raw, args.records / sunk
        print(f"baseline (raw aiokafka consume): {raw_rate:>10,.0f} records/s  ({raw:.2f} s)")
        path = "decode, rows" if args.decode else "as routed"
        print(f"sink ({path}, ClickHouse): {sink_rate:>10,.0f} records/s  ({sunk:.2f} s; "
              f"inserting {ch.busy:.2f} s in {ch.inserts} inserts)")  # fmt: skip
        print(f"sink rows: {sink_rate * kind.rows_per_record:>10,.0f} rows/s  "
              f"({kind.rows_per_record:g} rows per record)")  # fmt: skip
        per = 1e6 / args.records
        print(f"sink CPU per record: {ch.cpu * per:.1f} µs, of which {ch.loop_cpu * per:.1f} µs on "
              "the event loop, the rest mostly ClickHouse (compare runs by it: steadier than rates)")  # fmt: skip
        met = sink_rate * kind.rows_per_record >= 100_000
        print(f"sink / baseline: {sink_rate / raw_rate:.2f}   target ≥ 100,000 rows/s: "
              f"{'met' if met else 'NOT met'}")  # fmt: skip
        return 0
    finally:
        if names is not None and not args.reuse:
            await delete_topics_with_prefix(broker.bootstrap, names.prefix)
        await broker.stop_if_ours()
        shutil.rmtree(data, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topic", choices=sorted(KINDS), default="requests")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--decode", action="store_true", help="the decode path (no fast path)")
    parser.add_argument("--reuse", action="store_true", help="keep the topic for the next run")
    parser.add_argument("--drop", action="store_true", help="delete the topics --reuse kept, and exit")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
