"""Exactly-once keyed-state processing on Kafka transactions (aiokafka).

A batch from co-partitioned input topics is handed, record by record, to a handler that reads
and writes the keyed state of the record's partition and returns outputs. Per input partition,
the outputs, the changed state (to a compacted state topic, same partition) and the input
offsets are then written in ONE transaction: after a crash (kill -9 at any instant), a broker
restart or any error, nothing of an unfinished batch is visible to `read_committed` readers, the
state is reloaded from the state topic and the batch is processed again from the committed
offsets.

Why not Faust tables here: Faust flushes changelog and outputs without a transaction, so a
crash can persist one and not the other; money needs both or neither.

Fencing: one transactional id per input partition, `<group>.p<partition>` (the pre-KIP-447
Kafka Streams scheme), whoever owns it. The new owner of a partition starts its producer before
it loads the partition's state, which fences every earlier owner, dead or merely paused past its
session timeout, and aborts what it left open; a paused one's late commit then fails instead of
writing a second time what the new owner writes (the soak saw ledger entries and fraud facts
twice with one id per worker: aiokafka sends no group generation with the offsets). A fenced
processor therefore reopens from the last commit and rejoins the group; so does one whose
transaction the broker aborted for its timeout, which looks the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import ProducerFenced

from streams.fault_points import crash_point
from streams.kafka_clients import TransactionStuck, commit_deadline_s, is_failure, stop_all, within
from streams.topic_reader import drain

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    bootstrap: str
    group_id: str
    transactional_id: str  # this worker's name in logs; transactions use <group_id>.p<partition>
    input_topics: tuple[str, ...]
    state_topic: str
    max_batch: int = 500
    transaction_timeout_ms: int = 15_000
    session_timeout_ms: int = 10_000
    retry_backoff_s: float = 1.0
    fault_point: str = ""  # a test-only crash point before each commit (streams/fault_points.py)

    @property
    def commit_deadline_s(self) -> float:
        return commit_deadline_s(self.transaction_timeout_ms)


@dataclass(frozen=True, slots=True)
class Output:
    topic: str
    key: bytes
    value: bytes
    partition: int | None = None  # None: by key, as the default partitioner does


@dataclass
class PartitionState:
    """The keyed state of one partition, plus what changed since the last commit."""

    partition: int
    data: dict[bytes, bytes] = field(default_factory=dict)
    changed: dict[bytes, bytes | None] = field(default_factory=dict)  # None: deleted
    # In-memory state a handler derives from committed logs (see `Restoring`); it lives and
    # dies with this object, so a failed batch, which drops the states, drops it too.
    derived: Any = None

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def put(self, key: bytes, value: bytes) -> None:
        self.data[key] = value
        self.changed[key] = value

    def delete(self, key: bytes) -> None:
        if self.data.pop(key, None) is not None:
            self.changed[key] = None  # a tombstone: compaction forgets the key

    # Mapping-style access, for stores written against a dict-like table.
    def __contains__(self, key: object) -> bool:
        return key in self.data

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.put(key, value)

    def __delitem__(self, key: bytes) -> None:
        self.delete(key)


Handler = Callable[[PartitionState, ConsumerRecord], Sequence[Output]]


@runtime_checkable
class BatchHandling(Protocol):
    """A handler that wants a partition's records of one topic at once (micro-batching)."""

    def handle_batch(self, state: PartitionState, records: Sequence[ConsumerRecord]) -> Sequence[Output]: ...


@runtime_checkable
class Restoring(Protocol):
    """A handler that rebuilds derived state for freshly loaded partitions."""

    def restore(self, states: Mapping[int, PartitionState]) -> Awaitable[None]: ...


class PartitionLoadError(RuntimeError):
    """The state of assigned partitions could not be loaded (or rebuilt): the processor must
    not process them without it, so it reopens from the last commit, which rejoins the group
    and loads them again."""

    def __init__(self, partitions: Sequence[int], why: str) -> None:
        super().__init__(f"state of partitions {sorted(partitions)} not loaded: {why}")
        self.partitions = sorted(partitions)


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, processor: TransactionalProcessor) -> None:
        self._processor = processor

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._processor._on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        await self._processor._on_assigned(assigned)


class TransactionalProcessor:
    def __init__(self, config: ProcessorConfig, handler: Handler | BatchHandling) -> None:
        self._config = config
        self._handler = handler
        self._states: dict[int, PartitionState] = {}
        self._lock = asyncio.Lock()  # a batch and a rebalance never interleave
        self._stopping = asyncio.Event()
        # Why the last assignment's state is missing: aiokafka only logs what a rebalance
        # listener raises and keeps the partitions assigned, so the loop raises it instead.
        self._load_failure: PartitionLoadError | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producers: dict[int, AIOKafkaProducer] = {}  # by owned input partition
        self.committed_batches = 0
        self.failed_batches = 0

    async def run(self) -> None:
        """Process until stop(); on any failure start over from the committed state."""
        while not self._stopping.is_set():
            try:
                await self._open()
                await self._loop()
            except ProducerFenced:
                self.failed_batches += 1
                log.warning("%s: fenced (a partition's new owner, or a transaction the broker aborted "
                            "for its timeout); reopening from the last commit", self._config.transactional_id)  # fmt: skip
                await asyncio.sleep(self._config.retry_backoff_s)
            except TransactionStuck as exc:
                self.failed_batches += 1
                log.error("%s: %s; reopening from the last commit", self._config.transactional_id, exc)
                await asyncio.sleep(self._config.retry_backoff_s)
            except (Exception, asyncio.CancelledError) as exc:
                if not is_failure(exc):
                    raise  # our own cancellation: a stop
                self.failed_batches += 1
                log.exception("%s: batch failed; restarting from the last commit",
                              self._config.transactional_id)  # fmt: skip
                await asyncio.sleep(self._config.retry_backoff_s)
            finally:
                await self._close()

    async def stop(self) -> None:
        self._stopping.set()

    async def _open(self) -> None:
        c = self._config
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=c.bootstrap,
            group_id=c.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            # Range keeps partition N of every input topic on the same worker (co-partitioning).
            partition_assignment_strategy=(RangePartitionAssignor,),
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=max(1000, c.session_timeout_ms // 4),
            max_poll_records=c.max_batch,
        )
        await self._consumer.start()
        self._consumer.subscribe(list(c.input_topics), listener=_Rebalance(self))

    async def _close(self) -> None:
        async with self._lock:
            self._states.clear()  # reloaded from the state topic on the next assignment
            self._load_failure = None
            producers, self._producers = list(self._producers.values()), {}
        await stop_all(self._consumer, *producers)
        self._consumer = None

    async def _producer_of(self, partition: int) -> AIOKafkaProducer:
        """The partition's transactional producer; starting it fences every earlier owner."""
        c = self._config
        producer = AIOKafkaProducer(
            bootstrap_servers=c.bootstrap, transactional_id=f"{c.group_id}.p{partition}",
            enable_idempotence=True, acks="all", transaction_timeout_ms=c.transaction_timeout_ms,
            linger_ms=2,
        )  # fmt: skip
        try:
            await within(producer.start(), c.commit_deadline_s, f"{c.group_id}.p{partition}'s producer start")
        except BaseException:
            await stop_all(producer)
            raise
        return producer

    async def _loop(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._stopping.is_set():
            self._raise_load_failure()  # also when the failed partitions are idle
            batch = await consumer.getmany(timeout_ms=200, max_records=self._config.max_batch)
            if batch:
                async with self._lock:
                    self._raise_load_failure()
                    missing = {tp.partition for tp in batch} - set(self._states)
                    if missing:  # never a KeyError deep in a batch
                        raise PartitionLoadError(sorted(missing), "records came before their state")
                    await self._process(batch)

    def _raise_load_failure(self) -> None:
        failure, self._load_failure = self._load_failure, None
        if failure is not None:
            raise failure

    async def _process(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        by_partition: dict[int, dict[TopicPartition, list[ConsumerRecord]]] = {}
        for tp, records in batch.items():
            by_partition.setdefault(tp.partition, {})[tp] = records
        try:
            # Each partition's transaction on its own producer, side by side; all of them end
            # before a failure reopens (which stops the producers).
            deadline_s = self._config.commit_deadline_s
            results = await asyncio.gather(
                *(within(self._commit(p, part), deadline_s, f"{self._config.group_id}.p{p}'s transaction")
                  for p, part in by_partition.items()),
                return_exceptions=True,
            )  # fmt: skip
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        except BaseException:
            # The in-memory state now holds uncommitted changes: the caller reopens, which
            # reloads committed state and re-reads from committed offsets.
            self._states.clear()
            raise
        self.committed_batches += 1

    async def _commit(self, partition: int, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        producer = self._producers[partition]
        state = self._states[partition]
        await producer.begin_transaction()
        for records in batch.values():
            for out in self._outputs(state, records):
                await producer.send(out.topic, out.value, key=out.key, partition=out.partition)
        for key, value in state.changed.items():
            await producer.send(self._config.state_topic, value, key=key, partition=partition)
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
        await producer.send_offsets_to_transaction(offsets, self._config.group_id)
        crash_point(self._config.fault_point)
        await producer.commit_transaction()
        state.changed.clear()

    def _outputs(self, state: PartitionState, records: list[ConsumerRecord]) -> Sequence[Output]:
        handler = self._handler
        if isinstance(handler, BatchHandling):
            return handler.handle_batch(state, records)
        return [out for record in records for out in handler(state, record)]

    async def _on_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:
            gone = {tp.partition for tp in revoked}
            for partition in gone:
                self._states.pop(partition, None)
            await stop_all(*(self._producers.pop(p) for p in gone if p in self._producers))

    async def _on_assigned(self, assigned: list[TopicPartition]) -> None:
        async with self._lock:
            wanted = {tp.partition for tp in assigned} - set(self._states)
            if not wanted:
                return
            try:
                for partition in sorted(wanted - set(self._producers)):  # fence, then read the state
                    self._producers[partition] = await self._producer_of(partition)
                loaded = await self._load(wanted)
                if isinstance(self._handler, Restoring):
                    await self._handler.restore(loaded)
            except Exception as exc:
                # Raised from here, aiokafka would log it and go on with these partitions
                # assigned and no state: the loop raises it, and run() reopens.
                log.exception("%s: loading the state of partitions %s failed; reopening",
                              self._config.transactional_id, sorted(wanted))  # fmt: skip
                failure = PartitionLoadError(sorted(wanted), f"{type(exc).__name__}: {exc}")
                failure.__cause__ = exc
                self._load_failure = failure
                return
            self._states.update(loaded)

    async def _load(self, partitions: set[int]) -> dict[int, PartitionState]:
        """Read the committed state of these partitions from the compacted state topic."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self._config.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await reader.start()
        try:
            tps = [TopicPartition(self._config.state_topic, p) for p in sorted(partitions)]
            reader.assign(tps)
            await reader.seek_to_beginning(*tps)
            ends = await reader.end_offsets(tps)
            states = {p: PartitionState(p) for p in partitions}

            def apply(tp: TopicPartition, record: ConsumerRecord) -> None:
                if record.value is None:  # a tombstone
                    states[tp.partition].data.pop(record.key, None)
                else:
                    states[tp.partition].data[record.key] = record.value

            await drain(reader, tps, ends, apply)
            log.info("%s: loaded state of partitions %s (%d keys)", self._config.transactional_id,
                     sorted(partitions), sum(len(s.data) for s in states.values()))  # fmt: skip
            return states
        finally:
            await reader.stop()
