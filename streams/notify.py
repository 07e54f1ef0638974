"""The notify agent: partner webhooks for order and balance events, retried for up to a day.

Inputs (keyed by company, co-partitioned, one consumer group): `orders.events`,
`partner.events` (`balance.low` from the ledger) and `webhooks.replays` (staff replays).
An event a company's endpoint wants becomes a message (domain.webhook_events) and a pending
delivery; per-company tasks attempt deliveries over HTTP (streams.webhook_sender).

Durability. Pending deliveries live in a compacted state topic, `webhooks.state`, keyed by
message id, in the partition of their company (so the consumer that owns a company's input
partition also owns its pending deliveries). Every write goes through ONE transactional
producer: a new delivery (state record + `attempt 0` log line) is committed in the same
transaction as the input offsets that produced it, and every attempt's outcome (updated state,
or a tombstone once delivered or exhausted, + a log line on `webhooks.attempts`) is committed
shortly after the attempt. Hence:
- a restart (or a rebalance) reloads the partition's pending deliveries from the state topic
  and carries on with their retry schedule: nothing accepted is lost;
- an input event is turned into a delivery exactly once (its offset moves with it), so an
  event delivered and forgotten is never picked up again;
- what can repeat is one attempt whose outcome had not been committed when the process died:
  at-least-once, and the partner de-duplicates by `webhook-id`, which never changes.

Isolation. Each company has its own task and outbox (domain.webhook_outbox): a partner that is
down or slow only delays itself. Within a company, messages of one order go one after another
(a lane); different orders go concurrently up to `per_company_concurrency`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import ProducerFenced

from domain.fraud import FraudReport
from domain.webhook_events import fraud_report_message, low_balance_message, order_message
from domain.webhook_outbox import Outbox
from domain.webhooks import (
    AttemptRecord, AttemptResult, Delivery, RetrySchedule, WebhookEndpoint, WebhookMessage, enqueue,
    record_attempt,
)  # fmt: skip
from streams import messages
from streams import webhook_messages as wm
from streams.fault_points import crash_point
from streams.fencing import FenceWatch
from streams.kafka_clients import commit_deadline_s, is_failure, stop_all, within
from streams.topic_reader import drain

log = logging.getLogger(__name__)

RECENTLY_FINAL = 100_000
EndpointLookup = Callable[[str], WebhookEndpoint | None]


class Sender(Protocol):
    async def attempt(self, message: WebhookMessage, endpoint: WebhookEndpoint | None) -> AttemptResult: ...


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    bootstrap: str
    group_id: str
    transactional_id: str
    orders_topic: str
    partner_events_topic: str
    replays_topic: str
    state_topic: str
    attempts_topic: str
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    per_company_concurrency: int = 4
    max_batch: int = 500
    session_timeout_ms: int = 10_000
    transaction_timeout_ms: int = 15_000
    retry_backoff_s: float = 1.0
    # The longest a delivery task sleeps before it reads the clock again. Retry times are wall-
    # clock times: a clock that jumps (an NTP step, a resumed VM, a test's simulated clock) is
    # noticed within this, instead of after a sleep computed from the old reading (up to 10 h).
    max_wait_s: float = 60.0

    @property
    def input_topics(self) -> tuple[str, ...]:
        return (self.orders_topic, self.partner_events_topic, self.replays_topic)


@dataclass
class _Company:
    partition: int
    outbox: Outbox = field(default_factory=Outbox)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, notify: Notify) -> None:
        self._notify = notify

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._notify._on_revoked({tp.partition for tp in revoked})

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self._notify._on_assigned({tp.partition for tp in assigned})


class Notify:
    def __init__(
        self,
        config: NotifyConfig,
        endpoints: EndpointLookup,
        sender: Sender,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        endpoints_synced: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._config = config
        self._endpoints = endpoints
        # Before a batch is matched against endpoints, the endpoint replica catches up: a
        # partner who set an endpoint and then ordered must not lose the first webhooks.
        self._endpoints_synced = endpoints_synced
        self._sender = sender
        self._clock = clock
        self._companies: dict[str, _Company] = {}
        self._partitions: set[int] = set()  # whose state is loaded
        self._fences = FenceWatch()
        self._outcomes: list[tuple[int, AttemptRecord]] = []  # attempted, not yet committed
        # Ids of deliveries that ended lately. Webhooks are at-least-once (partners dedupe by
        # webhook-id) and relevant order events are written exactly once, so this is only a
        # cheap, bounded guard against near duplicates, not a durable record.
        self._recently_final: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()  # transactions and rebalances never interleave
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self.attempts = 0
        self.delivered = 0

    def pending(self) -> int:
        return sum(len(c.outbox) for c in self._companies.values())

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Deliver until stop(); after any failure start over from the committed state."""
        while not self._stopping.is_set():
            try:
                await self._open()
                await self._loop()
            except ProducerFenced:  # streams/fencing.py: an aborted transaction, or a twin
                if self._fences.too_many():
                    log.error("%s: fenced again and again: another instance has this id; stopping",
                              self._config.transactional_id)  # fmt: skip
                    raise
                log.warning("%s: fenced; reopening from the last commit", self._config.transactional_id)
                await asyncio.sleep(self._config.retry_backoff_s)
            except (Exception, asyncio.CancelledError) as exc:
                if not is_failure(exc):
                    raise  # our own cancellation: a stop
                log.exception("%s failed; restarting from the last commit", self._config.transactional_id)
                await asyncio.sleep(self._config.retry_backoff_s)
            finally:
                await self._close()

    async def _open(self) -> None:
        c = self._config
        self._producer = AIOKafkaProducer(
            bootstrap_servers=c.bootstrap, transactional_id=c.transactional_id,
            enable_idempotence=True, acks="all", transaction_timeout_ms=c.transaction_timeout_ms,
            linger_ms=2,
        )  # fmt: skip
        await within(self._producer.start(), commit_deadline_s(c.transaction_timeout_ms), "notify's producer start")
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=c.bootstrap, group_id=c.group_id, enable_auto_commit=False,
            auto_offset_reset="earliest", isolation_level="read_committed",
            partition_assignment_strategy=(RangePartitionAssignor,),  # keeps co-partitioning
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=max(1000, c.session_timeout_ms // 4), max_poll_records=c.max_batch,
        )  # fmt: skip
        await self._consumer.start()
        self._consumer.subscribe(list(c.input_topics), listener=_Rebalance(self))

    async def _close(self) -> None:
        async with self._lock:
            await self._drop(set(self._partitions))
            self._outcomes.clear()  # uncommitted: those attempts are made again after a restart
        await stop_all(self._consumer, self._producer)
        self._consumer = self._producer = None

    async def _loop(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._stopping.is_set():
            batch = await consumer.getmany(timeout_ms=100, max_records=self._config.max_batch)
            if batch and self._endpoints_synced is not None:
                await self._endpoints_synced()
            if batch or self._outcomes:
                async with self._lock:
                    await self._commit(batch)
        async with self._lock:  # a graceful stop keeps what was attempted
            if self._outcomes:
                await self._commit({})

    async def _commit(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """One transaction: new deliveries with their input offsets, and attempt outcomes."""
        producer = self._producer
        assert producer is not None
        c = self._config
        outcomes, self._outcomes = self._outcomes, []
        admitted: list[tuple[int, Delivery]] = []
        await producer.begin_transaction()
        try:
            for tp, records in batch.items():
                for record in records:
                    delivery = self._admit(record, admitted)
                    if delivery is not None:
                        admitted.append((tp.partition, delivery))
                        outcomes.append((tp.partition, AttemptRecord(delivery, delivery.enqueued_at)))
            for partition, attempt in outcomes:
                d = attempt.delivery
                state = None if d.status.is_final else wm.encode_delivery(d)  # None: tombstone
                await producer.send(c.state_topic, state, key=d.message.id.encode(), partition=partition)
                await producer.send(c.attempts_topic, wm.encode_attempt(attempt), key=d.message.company_id.encode())
            if batch:
                offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
                await producer.send_offsets_to_transaction(offsets, c.group_id)
            await within(producer.commit_transaction(), commit_deadline_s(c.transaction_timeout_ms), "notify's commit")
        except BaseException:
            await self._drop(set(self._partitions))  # reloaded from committed state on reopen
            raise
        for partition, delivery in admitted:
            self._schedule(partition, delivery)

    def _admit(self, record: ConsumerRecord, admitted: list[tuple[int, Delivery]]) -> Delivery | None:
        """The new delivery a record asks for, if any (decode, one domain call, no I/O)."""
        c = self._config
        round_id = ""
        try:
            if record.topic == c.orders_topic:
                message = order_message(messages.decode_order_event(record.value))
            elif record.topic == c.partner_events_topic:
                event = wm.decode_partner_event(record.value)
                if isinstance(event, FraudReport):
                    message = fraud_report_message(event)
                else:
                    message = low_balance_message(event) if event is not None else None
            else:
                replay = wm.decode_replay(record.value)
                message, round_id = replay.message, replay.replay_id
        except messages.MessageError as exc:
            log.warning("notify skipped %s@%s/%s: %s", record.topic, record.partition, record.offset, exc)
            return None
        if message is None:
            return None
        if not round_id and message.id in self._recently_final:
            return None  # a duplicate of an event whose delivery just ended
        if not round_id:  # staff replays go out whatever the endpoint; events only when wanted
            endpoint = self._endpoints(message.company_id)
            if endpoint is None or not endpoint.wants(message.event_type):
                return None
        queued = self._queued(message.id)
        fresh = [d for _, d in admitted if d.message.id == message.id]
        if any(d.round == round_id for d in [*([queued] if queued else []), *fresh]):
            return None  # already pending (a duplicate event or replay request)
        return enqueue(message, self._clock(), c.schedule, round_id)

    def _queued(self, message_id: str) -> Delivery | None:
        for company in self._companies.values():
            found = company.outbox.get(message_id)
            if found is not None:
                return found
        return None

    # --- delivery tasks ---

    def _schedule(self, partition: int, delivery: Delivery) -> None:
        company_id = delivery.message.company_id
        company = self._companies.get(company_id)
        if company is None:
            company = self._companies[company_id] = _Company(partition)
            company.task = asyncio.create_task(self._deliver(company), name=f"notify:{company_id}")
        company.outbox.add(delivery)
        company.wake.set()

    async def _deliver(self, company: _Company) -> None:
        limit = self._config.per_company_concurrency
        attempts: set[asyncio.Task[None]] = set()
        try:
            while True:
                company.wake.clear()
                free = limit - len(company.outbox.in_flight)
                for delivery in company.outbox.due(self._clock(), free):
                    company.outbox.in_flight.add(delivery.message.id)
                    task = asyncio.create_task(self._attempt(company, delivery))
                    attempts.add(task)
                    task.add_done_callback(attempts.discard)
                next_at = company.outbox.next_due_at()
                if next_at is None or len(company.outbox.in_flight) >= limit:
                    timeout = None  # an attempt finishing or a new message wakes us
                else:
                    timeout = min(max(0.0, (next_at - self._clock()).total_seconds()), self._config.max_wait_s)
                try:
                    await asyncio.wait_for(company.wake.wait(), timeout)
                except TimeoutError:
                    pass
        finally:
            for task in list(attempts):
                task.cancel()
            await asyncio.gather(*attempts, return_exceptions=True)

    async def _attempt(self, company: _Company, before: Delivery) -> None:
        message = before.message
        try:
            result = await self._sender.attempt(message, self._endpoints(message.company_id))
        except Exception as exc:  # a bug, not the partner's fault: retried like a failure
            log.exception("webhook attempt for %s failed unexpectedly", message.id)
            result = AttemptResult(self._clock(), "", 0, 0, f"internal error: {type(exc).__name__}")
        crash_point("notify")  # sent, its outcome not committed: the attempt is made again
        after = record_attempt(before, result, self._config.schedule)
        self.attempts += 1
        self.delivered += result.succeeded
        if company.outbox.settle(before, after):
            if after.status.is_final and not after.round:
                self._recently_final[message.id] = None
                while len(self._recently_final) > RECENTLY_FINAL:
                    self._recently_final.popitem(last=False)
            self._outcomes.append((company.partition, AttemptRecord(
                after, result.at, result.url, result.response_status, result.duration_ms, result.error,
            )))  # fmt: skip
        company.wake.set()

    # --- partitions ---

    async def _on_assigned(self, partitions: set[int]) -> None:
        async with self._lock:
            wanted = partitions - self._partitions
            if not wanted:
                return
            loaded = await self._load(wanted)
            self._partitions |= wanted
            for partition, deliveries in loaded.items():
                for delivery in deliveries:
                    self._schedule(partition, delivery)

    async def _on_revoked(self, partitions: set[int]) -> None:
        async with self._lock:
            if self._outcomes and self._producer is not None:
                try:  # keep what was attempted; the next owner loads it
                    await self._commit({})
                except Exception:
                    log.exception("could not record webhook outcomes before a rebalance")
            await self._drop(partitions & self._partitions)

    async def _drop(self, partitions: set[int]) -> None:
        gone = [cid for cid, company in self._companies.items() if company.partition in partitions]
        tasks = [t for cid in gone if (t := self._companies.pop(cid).task) is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._outcomes = [(p, o) for p, o in self._outcomes if p not in partitions]
        self._partitions -= partitions

    async def _load(self, partitions: set[int]) -> dict[int, list[Delivery]]:
        """The pending deliveries of these partitions, read whole from the state topic."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self._config.bootstrap, group_id=None, enable_auto_commit=False,
            isolation_level="read_committed",
        )  # fmt: skip
        await reader.start()
        try:
            tps = [TopicPartition(self._config.state_topic, p) for p in sorted(partitions)]
            reader.assign(tps)
            await reader.seek_to_beginning(*tps)
            ends = await reader.end_offsets(tps)
            found: dict[int, dict[bytes, bytes]] = {p: {} for p in partitions}

            def apply(tp: TopicPartition, record: ConsumerRecord) -> None:
                if record.value is None:
                    found[tp.partition].pop(record.key, None)
                else:
                    found[tp.partition][record.key] = record.value

            await drain(reader, tps, ends, apply)
        finally:
            await reader.stop()
        loaded: dict[int, list[Delivery]] = {}
        for partition, values in found.items():
            loaded[partition] = []
            for raw in values.values():
                try:
                    loaded[partition].append(wm.decode_delivery(raw))
                except messages.MessageError as exc:
                    log.warning("notify dropped an unreadable pending delivery: %s", exc)
        log.info("notify: loaded %d pending deliveries of partitions %s",
                 sum(map(len, loaded.values())), sorted(partitions))  # fmt: skip
        return loaded
