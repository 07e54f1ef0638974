"""The baseline: the slice's data path built from aiokafka alone, a consume → produce passthrough.

A producer writes order-shaped JSON messages keyed by the one company to a fresh input topic, a
consumer-group passthrough copies them to an output topic (commit after the sends are
acknowledged), and a group-less reader of the output resolves each message. Everything runs in
this process, so latency (produce → arrival on the output) is measured on one clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.broker import KAFKA_TIMEOUT_MS, create_topics
from bench.closed_loop import LoopResult, closed_loop
from bench.errors import BenchError, Failed
from bench.stats import CpuSample, PhaseResult

COMPANY_KEY = b"cmp_demo"  # the slice has one (demo) company: all its traffic is on one partition
BASELINE_PARTITIONS = 4  # the slice's default QUADRA_KAFKA_PARTITIONS


def baseline_message(message_id: str, sent_ns: int, size: int) -> bytes:
    """A JSON message shaped like an order request, padded to `size` bytes."""
    doc: dict[str, Any] = {
        "id": message_id,
        "sent_ns": sent_ns,
        "company_id": COMPANY_KEY.decode(),
        "product_id": "card-transfer-eur",
        "amount": {"value": 1500, "currency": "EUR"},
        "recipient": {"type": "card", "card_bin": "411111", "card_last4": "1111"},
        "end_user": {"id": f"bench-user-{message_id}"},
        "received_at": "2026-01-01T00:00:00.000000+00:00",
        "pad": "",
    }
    base = len(orjson.dumps(doc))
    doc["pad"] = "x" * max(0, size - base)
    return orjson.dumps(doc)


class Baseline:
    def __init__(
        self, bootstrap: str, prefix: str, message_bytes: int, op_timeout_s: float
    ) -> None:
        self.bootstrap = bootstrap
        self.in_topic = f"{prefix}baseline.in"
        self.out_topic = f"{prefix}baseline.out"
        self.group = f"{prefix}baseline-passthrough"
        self.message_bytes = message_bytes
        self.op_timeout_s = op_timeout_s
        self._waiters: dict[str, asyncio.Future[float]] = {}
        self._stream: list[float] | None = None
        self._stream_expected = 0
        self._stream_arrivals: list[float] = []
        self._stream_done = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: list[Any] = []
        self.passthrough_batches = 0
        self.passthrough_messages = 0

    def _producer(self) -> AIOKafkaProducer:
        # Same settings as the slice's API producer (quadra/runtime.py).
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True, linger_ms=1,
            request_timeout_ms=KAFKA_TIMEOUT_MS,
        )  # fmt: skip

    async def start(self) -> None:
        await create_topics(self.bootstrap, [self.in_topic, self.out_topic], BASELINE_PARTITIONS)
        self.load = self._producer()
        self.pass_producer = self._producer()
        self.pass_consumer = AIOKafkaConsumer(
            self.in_topic,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=KAFKA_TIMEOUT_MS,
        )
        self.reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            auto_offset_reset="earliest", request_timeout_ms=KAFKA_TIMEOUT_MS,
        )  # fmt: skip
        for client in (self.load, self.pass_producer, self.pass_consumer, self.reader):
            await asyncio.wait_for(client.start(), 30)
            self._clients.append(client)
        for topic in (self.in_topic, self.out_topic):  # metadata can lag a fresh CreateTopics
            await asyncio.wait_for(self._wait_for_partitions(topic), 30)
        parts = [TopicPartition(self.out_topic, p) for p in range(BASELINE_PARTITIONS)]
        self.reader.assign(parts)
        await self.reader.seek_to_beginning(*parts)
        for tp in parts:
            await self.reader.position(tp)
        self._tasks = [
            asyncio.create_task(self._passthrough(), name="baseline-passthrough"),
            asyncio.create_task(self._read_output(), name="baseline-reader"),
        ]

    async def _wait_for_partitions(self, topic: str) -> None:
        while len(await self.load.partitions_for(topic) or ()) < BASELINE_PARTITIONS:
            await asyncio.sleep(0.1)

    async def _passthrough(self) -> None:
        consumer, producer = self.pass_consumer, self.pass_producer
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            if not batch:
                continue
            sends = []
            for records in batch.values():
                for record in records:
                    sends.append(await producer.send(self.out_topic, record.value, key=record.key))
            await asyncio.gather(*sends)  # acknowledged (acks=all) ...
            await consumer.commit()  # ... before the input offsets move on
            self.passthrough_batches += 1
            self.passthrough_messages += len(sends)

    async def _read_output(self) -> None:
        while True:
            batch = await self.reader.getmany(timeout_ms=200, max_records=5000)
            for records in batch.values():
                for record in records:
                    arrived = time.perf_counter_ns()
                    doc = orjson.loads(record.value)
                    latency = (arrived - doc["sent_ns"]) / 1e9
                    waiter = self._waiters.pop(doc["id"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(latency)
                    elif self._stream is not None and doc["id"].startswith("s"):
                        self._stream.append(latency)
                        self._stream_arrivals.append(time.perf_counter())
                        if len(self._stream) >= self._stream_expected:
                            self._stream_done.set()

    def _check_alive(self) -> None:
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise Failed(f"baseline {task.get_name()} died: {task.exception()!r}")

    async def one(self, message_id: str) -> float:
        self._check_alive()
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[message_id] = waiter
        try:
            sent_ns = time.perf_counter_ns()
            value = baseline_message(message_id, sent_ns, self.message_bytes)
            try:
                await asyncio.wait_for(
                    self.load.send_and_wait(self.in_topic, value, key=COMPANY_KEY),
                    self.op_timeout_s,
                )
            except TimeoutError:
                raise Failed("produce timed out") from None
            try:
                return await asyncio.wait_for(waiter, self.op_timeout_s)
            except TimeoutError:
                raise Failed("no arrival on the output in time") from None
        finally:
            self._waiters.pop(message_id, None)

    async def stream(self, total: int, timeout_s: float) -> LoopResult:
        """Open loop: produce all messages as fast as the producer takes them, await arrivals."""
        self._stream, self._stream_arrivals, self._stream_expected = [], [], total
        self._stream_done.clear()
        started = time.perf_counter()
        sent = 0
        try:
            async with asyncio.timeout(timeout_s):
                for i in range(total):
                    value = baseline_message(f"s{i}", time.perf_counter_ns(), self.message_bytes)
                    await self.load.send(self.in_topic, value, key=COMPANY_KEY)
                    sent += 1
                await self.load.flush()
                await self._stream_done.wait()
        except TimeoutError:
            pass
        latencies, arrivals = list(self._stream), [t - started for t in self._stream_arrivals]
        self._stream = None
        errors: Counter[str] = Counter()
        if sent - len(latencies) > 0:
            errors["no arrival on the output before the deadline"] = sent - len(latencies)
        wall = max(arrivals[-1] if arrivals else time.perf_counter() - started, 1e-9)
        return LoopResult(latencies, errors, wall, total - sent, arrivals)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for client in reversed(self._clients):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.stop(), 30)


async def run_baseline(args: argparse.Namespace, bootstrap: str, prefix: str) -> PhaseResult:
    baseline = Baseline(bootstrap, prefix, args.message_bytes, args.op_timeout)
    await baseline.start()
    try:
        # Warm-up: group join and a warm broker path before anything is measured.
        warm = await closed_loop(
            args.baseline_warmup, args.concurrency,
            lambda i: baseline.one(f"w{i}"), args.phase_timeout, args.op_timeout,
        )  # fmt: skip
        if not warm.latencies:
            raise BenchError(f"baseline warm-up got nothing through: {dict(warm.errors)}")
        cpu0 = CpuSample.take()
        if args.baseline_mode == "stream":
            loop = await baseline.stream(args.orders, args.phase_timeout)
            pattern = (
                f"stream: {args.orders} produced back to back (open loop, no in-flight cap); "
                "latency includes queueing behind earlier messages"
            )
        else:
            loop = await closed_loop(
                args.orders, args.concurrency,
                lambda i: baseline.one(f"m{i}"), args.phase_timeout, args.op_timeout,
            )  # fmt: skip
            pattern = (
                f"closed loop, {args.concurrency} in flight like the slice "
                "(produce acks=all → passthrough → output reader)"
            )
        cpu1 = CpuSample.take()
        result = PhaseResult.from_loop("baseline", pattern, args.orders, loop)
        result.record_cpu(cpu0, cpu1, "bench process (producer + passthrough + reader)")
        if warm.errors:
            result.notes.append(f"warm-up errors: {dict(warm.errors)}")
        result.notes.append(
            f"passthrough committed {baseline.passthrough_batches} times for "
            f"{baseline.passthrough_messages} messages (warm-up included)"
        )
        return result
    finally:
        await baseline.stop()
