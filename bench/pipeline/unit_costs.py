"""What the transports every order goes through cost by themselves on this machine, at their
cheapest: no business logic, pre-encoded payloads, large batches, saturated.

- Kafka produce: a transactional producer (as the stages write) sends `messages` pre-encoded
  records in transactions of `batch`, keyed over four companies' partitions.
- Kafka consume: a consumer group reads them back (read_committed, `getmany` of up to 10,000,
  commit per batch).
- HTTP: an aiohttp client POSTs a small order-shaped JSON body to a bare FastAPI endpoint served
  by uvicorn as the API is (`bench.pipeline.echo`, in its own process), `concurrency` at once.

Each figure is CPU seconds per unit of the client (this process) plus the server (the broker,
or the echo process), from psutil, over the whole measurement; wall time gives the rate.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.baseline import baseline_message
from bench.broker import KAFKA_TIMEOUT_MS, create_topics
from bench.pipeline.stack import echo_server, wait_http

KEYS = (b"cmp_demo", b"cmp_a", b"cmp_b", b"cmp_c")


@dataclass(frozen=True)
class UnitCost:
    name: str
    units: int
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float | None  # None: the server's process is not on this machine or unknown

    @property
    def rate(self) -> float:
        return self.units / self.wall_s

    @property
    def client_ms(self) -> float:
        return self.client_cpu_s / self.units * 1000

    @property
    def server_ms(self) -> float | None:
        return None if self.server_cpu_s is None else self.server_cpu_s / self.units * 1000

    @property
    def total_ms(self) -> float:
        return self.client_ms + (self.server_ms or 0.0)


def cpu_s(proc: psutil.Process | None) -> float:
    """CPU seconds (user + system) a process has used so far; 0 for no process."""
    if proc is None:
        return 0.0
    t = proc.cpu_times()
    return t.user + t.system


class _Meter:
    """CPU of this process and of a server process, and wall time, from start to stop."""

    def __init__(self, server: psutil.Process | None) -> None:
        self.me, self.server = psutil.Process(), server

    def __enter__(self) -> _Meter:
        self.t0, self.c0, self.s0 = time.perf_counter(), cpu_s(self.me), cpu_s(self.server)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        self.client = cpu_s(self.me) - self.c0
        self.served = None if self.server is None else cpu_s(self.server) - self.s0


async def kafka_costs(
    bootstrap: str, prefix: str, broker: psutil.Process | None, messages: int, message_bytes: int, batch: int,
    warmup: int = 0,
) -> tuple[UnitCost, UnitCost]:
    """(transactional produce, group consume) per record. `warmup` records go through a topic
    of their own first, untimed: a broker just started compiles its hot paths (JIT) meanwhile."""
    if warmup:
        await _produce_consume(bootstrap, f"{prefix}floor.warmup", broker, warmup, message_bytes, batch)
    return await _produce_consume(bootstrap, f"{prefix}floor.records", broker, messages, message_bytes, batch)


async def _produce_consume(
    bootstrap: str, topic: str, broker: psutil.Process | None, messages: int, message_bytes: int, batch: int
) -> tuple[UnitCost, UnitCost]:
    await create_topics(bootstrap, [topic], len(KEYS))
    values = [baseline_message(f"f{i}", 0, message_bytes) for i in range(messages)]
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
        transactional_id=f"{topic}-producer", request_timeout_ms=KAFKA_TIMEOUT_MS,
        max_batch_size=512 * 1024,
    )  # fmt: skip
    await asyncio.wait_for(producer.start(), 30)
    try:
        with _Meter(broker) as produced:
            for start in range(0, messages, batch):
                async with producer.transaction():
                    for i in range(start, min(start + batch, messages)):
                        await producer.send(topic, values[i], key=KEYS[i % len(KEYS)])
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"{topic}-reader", enable_auto_commit=False,
        auto_offset_reset="earliest", isolation_level="read_committed", request_timeout_ms=KAFKA_TIMEOUT_MS,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )  # fmt: skip
    await asyncio.wait_for(consumer.start(), 30)
    seen = 0
    try:
        await asyncio.wait_for(_assigned(consumer), 60)
        with _Meter(broker) as consumed:
            while seen < messages:
                got = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                seen += sum(len(rows) for rows in got.values())
                if got:
                    await consumer.commit()
    finally:
        await consumer.stop()
    return (
        UnitCost("kafka produce (transactional)", messages, produced.wall, produced.client, produced.served),
        UnitCost("kafka consume (group)", seen, consumed.wall, consumed.client, consumed.served),
    )


async def _assigned(consumer: AIOKafkaConsumer) -> None:
    while not consumer.assignment():
        await asyncio.sleep(0.05)


async def http_cost(requests: int, concurrency: int) -> UnitCost:
    """aiohttp client → FastAPI/uvicorn echo (the http baseline's server), per request."""
    import aiohttp

    server, url = echo_server(Path(tempfile.mkdtemp(prefix="quadra-floor-")))
    body = orjson.dumps({"external_id": "x" * 16, "product_id": "card-transfer-eur",
                         "amount": {"value": 500, "currency": "EUR"},
                         "recipient": {"type": "card", "card_token": "t" * 24}})  # fmt: skip
    server.start()
    try:
        await wait_http(url, server, 30)
        async with aiohttp.ClientSession(
            url, connector=aiohttp.TCPConnector(limit=concurrency),
            headers={"Content-Type": "application/json"}, trust_env=False,
        ) as session:  # fmt: skip
            remaining = requests // 10  # warm-up, untimed: connections open, code paths hot

            async def worker() -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    async with session.post("/v1/orders", data=body) as response:
                        await response.read()
                        if response.status != 201:
                            raise RuntimeError(f"echo answered {response.status}")

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            remaining = requests
            with _Meter(psutil.Process(server.pid)) as m:
                await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await server.stop()
    return UnitCost("http request (aiohttp → FastAPI)", requests, m.wall, m.client, m.served)
