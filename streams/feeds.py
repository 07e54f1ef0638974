"""Group-less tails of topics that API processes read whole: every API node sees every message.

- `TopicTail`: one consumer assigned all partitions of some topics, from the end or the
  beginning, dispatching each message to a handler.
- `KeyDirectory`: the API keys, read from their compacted topic before the API serves.
- `OrderFeed`: intake replies and order events: resolves waiting requests, keeps recent orders.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from domain.companies import ApiKey
from domain.intake import Admission
from domain.orders import Order, OrderStatus
from streams import messages

log = logging.getLogger(__name__)


class TopicTail:
    def __init__(
        self,
        bootstrap: str,
        topics: dict[str, int],
        handle: Callable[[ConsumerRecord], None],
        from_beginning: bool,
    ) -> None:
        """`topics` maps each topic name to its partition count (checked by ensure_topics)."""
        self._bootstrap = bootstrap
        self._topics = dict(topics)
        self._handle = handle
        self._from_beginning = from_beginning
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            group_id=None,
            isolation_level="read_committed",  # aborted ledger outputs never reach callers
        )
        await consumer.start()
        partitions = [TopicPartition(t, p) for t, count in self._topics.items() for p in range(count)]
        consumer.assign(partitions)
        if self._from_beginning:
            await consumer.seek_to_beginning(*partitions)
            targets = await consumer.end_offsets(partitions)
        else:
            await consumer.seek_to_end(*partitions)
            targets = {}
        for tp in partitions:  # resolve positions now, so nothing produced after start is missed
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run(targets), name=f"tail:{self._topics}")

    async def _run(self, targets: dict[TopicPartition, int]) -> None:
        consumer = self._consumer
        assert consumer is not None
        pending = {tp: end for tp, end in targets.items() if end > 0}
        if not pending:
            self.caught_up.set()
        while True:
            fetched = await consumer.getmany(timeout_ms=200, max_records=5000)
            for records in fetched.values():
                for record in records:
                    try:
                        self._handle(record)
                    except messages.MessageError as exc:
                        log.warning("skipping bad message on %s: %s", record.topic, exc)
            if pending:
                # Positions, not record offsets: transactional topics end in commit markers,
                # which take an offset but are never returned as records.
                for tp, end in list(pending.items()):
                    if await consumer.position(tp) >= end:
                        del pending[tp]
                if not pending:
                    self.caught_up.set()

    async def sync(self, timeout: float = 2.0) -> bool:
        """Wait until everything published before this call has been read (False on timeout).

        For readers that must see a change another process has confirmed (a command reply)
        before they act on a later event."""
        consumer = self._consumer
        assert consumer is not None, "start() first"
        ends = await consumer.end_offsets(list(consumer.assignment()))
        deadline = asyncio.get_running_loop().time() + timeout
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()


class SingleTopicReplica:
    """A process's replica of one single-partition compacted topic, read from the beginning:
    subclasses apply each record in `_on_record`."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._tail = TopicTail(bootstrap, {topic: 1}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        raise NotImplementedError

    async def start(self, timeout: float = 30.0) -> None:
        """Returns once everything already on the topic has been read."""
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def sync(self, timeout: float = 2.0) -> bool:
        return await self._tail.sync(timeout)

    async def stop(self) -> None:
        await self._tail.stop()


class KeyDirectory:
    """API keys by hash. Revocations arrive as newer records for the same hash."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._tail = TopicTail(bootstrap, {topic: 1}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        self.remember(messages.decode_api_key(record.value))

    def remember(self, key: ApiKey) -> None:
        """Keep the newest version: a registry reply may be applied before the record arrives."""
        known = self._keys.get(key.key_hash)
        if known is None or key.version >= known.version:
            self._keys[key.key_hash] = key

    def lookup(self, key_hash: str) -> ApiKey | None:
        key = self._keys.get(key_hash)
        return None if key is None or key.revoked else key

    def for_company(self, company_id: str) -> list[ApiKey]:
        """Every key of the company, revoked ones included (a scan: keys are few)."""
        return [k for k in self._keys.values() if k.company_id == company_id]

    async def start(self, timeout: float = 30.0) -> None:
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def stop(self) -> None:
        await self._tail.stop()


class OrderFeed:
    """Delivers intake replies to the requests awaiting them and tracks recent order states.

    Every API node reads every reply and event, so any node can answer for any order it has
    seen; older orders are read from ClickHouse.
    """

    def __init__(
        self,
        bootstrap: str,
        replies_topic: str,
        events_topic: str,
        partitions: int,
        remember: int = 100_000,
    ) -> None:
        self._replies_topic = replies_topic
        self._replies: dict[str, asyncio.Future[messages.IntakeReply]] = {}
        self._watchers: dict[str, list[tuple[frozenset[OrderStatus], asyncio.Future[Order]]]] = {}
        self._recent: OrderedDict[str, Order] = OrderedDict()
        self._remember = remember
        self._tail = TopicTail(
            bootstrap,
            {replies_topic: partitions, events_topic: partitions},
            self._on_record,
            from_beginning=False,
        )

    async def start(self) -> None:
        await self._tail.start()

    async def stop(self) -> None:
        await self._tail.stop()

    def expect_reply(self, request_id: str) -> asyncio.Future[messages.IntakeReply]:
        future: asyncio.Future[messages.IntakeReply] = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        return future

    def forget_reply(self, request_id: str) -> None:
        self._replies.pop(request_id, None)

    def recent(self, order_id: str) -> Order | None:
        return self._recent.get(order_id)

    async def sync(self, timeout: float) -> bool:
        """Wait until every reply and event published before the call has been read. False
        when that takes longer than `timeout` or the broker cannot say (a GET that asked
        answers from what it has, never with a broker error)."""
        try:
            return await asyncio.wait_for(self._tail.sync(timeout), timeout)
        except (TimeoutError, KafkaError) as exc:
            log.warning("order feed could not catch up: %r", exc)
            return False

    def remember(self, order: Order) -> Order:
        """Keep the newest version seen; returns the newest known (may be newer than given)."""
        known = self._recent.get(order.id)
        if known is not None and known.version >= order.version:
            return known
        self._recent[order.id] = order
        self._recent.move_to_end(order.id)
        while len(self._recent) > self._remember:
            self._recent.popitem(last=False)
        for statuses, future in self._watchers.get(order.id, []):
            if order.status in statuses and not future.done():
                future.set_result(order)
        return order

    async def wait_for_status(
        self, order: Order, statuses: frozenset[OrderStatus], timeout: float
    ) -> Order:
        """The order once it reaches one of `statuses`, or its newest known state at timeout."""
        known = self._recent.get(order.id)
        current = known if known is not None and known.version >= order.version else order
        if current.status in statuses or timeout <= 0:
            return current
        future: asyncio.Future[Order] = asyncio.get_running_loop().create_future()
        entry = (statuses, future)
        self._watchers.setdefault(order.id, []).append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return self._recent.get(order.id, current)
        finally:
            watchers = self._watchers.get(order.id, [])
            if entry in watchers:
                watchers.remove(entry)
            if not watchers:
                self._watchers.pop(order.id, None)

    def _on_record(self, record: ConsumerRecord) -> None:
        if record.topic == self._replies_topic:
            reply = messages.decode_intake_reply(record.value)
            future = self._replies.pop(reply.request_id, None)
            if future is not None and not future.done():
                future.set_result(reply)
            if reply.admission is Admission.CREATED and reply.order is not None:
                # A replay's order is intake's snapshot from when it was created: stale.
                self.remember(reply.order)
        else:
            self.remember(messages.decode_order_event(record.value).order)
