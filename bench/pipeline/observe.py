"""How the bench sees orders finish without adding work to the pipeline.

`EventWatcher` is a group-less aiokafka consumer of `orders.events` (read_committed, from the
end at start): it joins no group, commits nothing and writes nothing, so the only extra cost is
one more fetch session on the broker, which the API's own order feed already pays for the same
topic. Polling `GET /v1/orders/{id}` would cost the API a request and a ClickHouse read per
poll; `Prefer: wait` holds one request open per order, which is not open-loop friendly.

`WebhookReceiver` is the partner's endpoint: the notify agent is a live stage only if a webhook
endpoint is set, so the bench sets one (sandbox keys may use a local `http://` URL) and answers
every delivery 204 at once. Its arrival times give POST → webhook received, the last stage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.hook_server import HookServer

FINAL_STATUSES = frozenset({"completed", "failed", "declined", "rejected", "in_review"})


def order_status(raw: bytes) -> tuple[str, str] | None:
    """(order id, status) of an encoded order event (streams/messages.py); None if unreadable."""
    try:
        order = orjson.loads(raw)["order"]
        return str(order["id"]), str(order["history"][-1]["status"])
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        return None


class EventWatcher:
    """First arrival time (perf_counter) of each status of each order on `orders.events`."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.seen: dict[str, dict[str, float]] = {}
        self.events = 0
        self.unreadable = 0
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            isolation_level="read_committed", request_timeout_ms=30_000,
            fetch_max_wait_ms=10,  # low latency: the default 500 ms would show up in every figure
        )  # fmt: skip
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await asyncio.wait_for(self._consumer.start(), 30)
        partitions = None
        for _ in range(100):
            partitions = self._consumer.partitions_for_topic(self.topic)
            if partitions:
                break
            await self._consumer._client.force_metadata_update()  # a fresh topic's metadata
            await asyncio.sleep(0.1)
        if not partitions:
            raise RuntimeError(f"topic {self.topic} has no partitions")
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(tps)
        await self._consumer.seek_to_end(*tps)
        for tp in tps:
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._run(), name="event-watcher")

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.perf_counter()
            for records in batch.values():
                for record in records:
                    self.events += 1
                    found = order_status(record.value) if record.value else None
                    if found is None:
                        self.unreadable += 1
                        continue
                    self.seen.setdefault(found[0], {}).setdefault(found[1], now)

    def check_alive(self) -> None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            exc = self._task.exception()
            if exc is not None:
                raise RuntimeError(f"event watcher died: {exc!r}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._consumer.stop(), 30)


class WebhookReceiver(HookServer):
    """The partner's endpoint: 204 to every delivery, arrival time per order."""

    def __init__(self) -> None:
        super().__init__()
        self.received: dict[str, float] = {}
        self.deliveries = 0

    def answer(self, headers: dict[bytes, bytes], body: bytes) -> bool:
        self._record(body)
        return True

    def _record(self, body: bytes) -> None:
        self.deliveries += 1
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            order_id = str(orjson.loads(body)["data"]["id"])
            self.received.setdefault(order_id, time.perf_counter())
