"""The sink: topics → ClickHouse in batches (by size or time), committed only after the write.

At-least-once by construction (offsets are committed after the insert); idempotent because
every row has a deterministic key in a ReplacingMergeTree, so a replayed batch replaces itself.
A table may have an after-insert hook (the daily rollups mark the days a batch touched): it
runs once the table's insert is acknowledged and before the offsets are committed, so if it
fails or the process dies first, the batch is read, inserted and hooked again.

A route marked `json` (its messages' JSON maps 1:1 onto its one table's columns) skips Python
decoding: the batch's values go to ClickHouse as they are, in one JSONEachRow insert. A route
with `from_json` (analytics/json_rows.py) skips it too: ClickHouse computes its tables' rows
from the values, when the batch is large enough to pay for the SQL's analysis
(`SinkConfig.json_min_messages`; a smaller batch is decoded). If that insert is refused (a malformed message, or one the SQL cannot store
exactly as the decoder would), the batch takes the decode path, which skips the bad messages
with a warning, as for every other route. Such a route's tables' hooks have their SQL twin in
`from_json.days` (the rollup marks), which ClickHouse writes from the batch after its rows,
before the commit: if they fail, the batch is re-read (a storage failure), not decoded.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from analytics.clickhouse import ClickHouse
from analytics.json_rows import AfterRowsError, JsonRows
from streams.fault_points import crash_point
from streams.messages import JSON_PREFIX, MessageError

log = logging.getLogger(__name__)

# Fetch sizes: the sink reads logs in bulk, so fetches far above aiokafka's 1 MiB per
# partition keep the consumer from being the bottleneck (bench/sink_throughput.py).
FETCH_MAX_BYTES = 64 * 1024 * 1024
MAX_PARTITION_FETCH_BYTES = 16 * 1024 * 1024
ConsumerFactory = Callable[..., AIOKafkaConsumer]
# Called with the ClickHouse the rows went to and the rows just inserted into the table.
AfterInsert = Callable[[ClickHouse, Sequence[tuple[Any, ...]]], Awaitable[None]]


class MessageWriteError(RuntimeError):
    """ClickHouse refused a batch; its messages are re-read from the last commit."""


@dataclass(frozen=True, slots=True)
class TableTarget:
    """`row` maps a decoded message to its row here, or to None: no row in this table.
    `after_insert` (per table: every target of the table must name the same one) runs after
    each insert of a batch's rows into the table, before the batch's offsets are committed."""

    table: str
    columns: Sequence[str]
    row: Callable[[Any], tuple[Any, ...] | None]
    after_insert: AfterInsert | None = None


@dataclass(frozen=True, slots=True)
class SinkRoute:
    """Messages of `topic`, decoded once, each become one row in every target table."""

    topic: str
    decode: Callable[[bytes | None], Any]
    targets: tuple[TableTarget, ...]
    # The message's JSON is the row of the one target: its fields are exactly the columns (plus
    # the schema version), in formats ClickHouse reads, and `decode` + `row` store the same row.
    json: bool = False
    # ClickHouse computes the targets' rows from the messages' JSON (the same rows as `decode`
    # + `row`, tests/analytics/test_*_json_rows.py), then what their after_insert hooks do for
    # decoded rows (`from_json.days`: the rollup marks).
    from_json: JsonRows | None = None

    def __post_init__(self) -> None:
        if self.json and (len(self.targets) != 1 or self.from_json is not None):
            raise ValueError(f"{self.topic}: a json route writes one table, as it is")
        if self.from_json is not None:
            sql = {(t.table, tuple(t.columns)) for t in self.from_json.tables}
            if sql != {(t.table, tuple(t.columns)) for t in self.targets}:
                raise ValueError(f"{self.topic}: from_json writes other tables than the targets")
        hooked = {t.table for t in self.targets if t.after_insert is not None}
        marked = {d.table for d in self.from_json.days} if self.from_json is not None else set()
        if self.raw and not hooked <= marked:
            # Undecoded messages have no rows for the tables' hooks: ClickHouse marks their days.
            raise ValueError(f"{self.topic}: a route inserted as JSON needs from_json.days for its hooks")

    @property
    def raw(self) -> bool:
        """Its messages go to ClickHouse undecoded."""
        return self.json or self.from_json is not None


@dataclass(frozen=True, slots=True)
class SinkConfig:
    bootstrap: str
    group_id: str
    batch_rows: int
    flush_interval_s: float
    retry_backoff_s: float = 1.0  # after a failed write: give ClickHouse a moment
    # A `from_json` route's batch of fewer messages takes the decode path. ClickHouse analyses
    # the route's SQL (9 KB of expressions for orders.events) on every insert: ~85 ms of CPU
    # whatever the batch holds, more than Python takes to decode several hundred messages
    # (bench.pipeline.sink_flush). 0: every clean batch takes the fast path.
    json_min_messages: int = 0


@dataclass
class _Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    raw: dict[str, list[ConsumerRecord]] = field(default_factory=dict)  # json routes, by topic
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    messages: int = 0

    def clear(self) -> None:
        self.rows.clear()
        self.raw.clear()
        self.next_offsets.clear()
        self.messages = 0


class Sink:
    def __init__(
        self, config: SinkConfig, clickhouse: ClickHouse, routes: Sequence[SinkRoute],
        consumer_factory: ConsumerFactory = AIOKafkaConsumer,
    ) -> None:  # fmt: skip
        self._config = config
        self._ch = clickhouse
        self._routes = {route.topic: route for route in routes}
        self._columns = {t.table: t.columns for r in routes for t in r.targets}
        self._after_insert = _hooks(routes)
        self._new_consumer = consumer_factory
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.fetched_messages = 0
        self.written_messages = 0
        self.skipped_messages = 0

    async def start(self) -> None:
        self._consumer = self._new_consumer(
            *self._routes,
            bootstrap_servers=self._config.bootstrap,
            group_id=self._config.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # never store what a ledger transaction aborted
            max_poll_records=self._config.batch_rows,
            fetch_max_bytes=FETCH_MAX_BYTES,
            max_partition_fetch_bytes=MAX_PARTITION_FETCH_BYTES,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stop(); the batch in hand is written and committed before returning.

        Batch N is written (and committed) while batch N+1 is fetched: the insert runs on the
        ClickHouse thread, the fetch on the loop. N+1 is written only after N is committed, so
        commits stay in order; if N fails, both are dropped and re-read from the last commit.
        """
        consumer = self._consumer
        assert consumer is not None, "start() first"
        batch, in_flight = _Batch(), _Batch()  # being filled; being written by `writing`
        writing: asyncio.Task[None] | None = None
        try:
            while not self._stopping.is_set() or writing is not None:
                try:
                    if not self._stopping.is_set():
                        await self._fill(consumer, batch)
                    if writing is not None:
                        await writing
                        writing = None
                        in_flight.clear()
                    if batch.next_offsets:
                        batch, in_flight = in_flight, batch
                        writing = asyncio.create_task(self._flush(consumer, in_flight))
                except MessageWriteError as exc:
                    writing = None
                    log.error("sink write failed, will re-read the batch: %s", exc)
                    await self._rewind(consumer, [*in_flight.next_offsets, *batch.next_offsets])
                    in_flight.clear()
                    batch.clear()
                    await asyncio.sleep(self._config.retry_backoff_s)
            await self._drain(consumer, batch)
        finally:
            if writing is not None:
                writing.cancel()
            in_flight.clear()
            batch.clear()
            await consumer.stop()

    async def _drain(self, consumer: AIOKafkaConsumer, batch: _Batch, timeout: float = 15.0) -> None:
        """On a graceful stop, write everything already in the topics (the API stops first, so
        nothing new arrives): what callers saw before the stop is stored before the exit."""
        assigned = list(consumer.assignment())
        if not assigned:
            return
        ends = await consumer.end_offsets(assigned)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                positions = {tp: await consumer.position(tp) for tp in assigned}
                if all(positions[tp] >= ends[tp] for tp in assigned):
                    break
                fetched = await consumer.getmany(timeout_ms=200, max_records=self._config.batch_rows)
                for tp, records in fetched.items():
                    self._add(batch, tp, records)
                if batch.messages >= self._config.batch_rows:
                    await self._flush(consumer, batch)
                    batch.clear()
            if batch.next_offsets:
                await self._flush(consumer, batch)
        except MessageWriteError as exc:
            log.error("sink could not drain before stopping (kept in Kafka for the next start): %s", exc)
        finally:
            batch.clear()

    async def _fill(self, consumer: AIOKafkaConsumer, batch: _Batch) -> None:
        deadline = time.monotonic() + self._config.flush_interval_s
        while batch.messages < self._config.batch_rows and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            fetched = await consumer.getmany(
                timeout_ms=int(min(remaining, 0.2) * 1000) + 1,  # short: a stop is noticed soon
                max_records=self._config.batch_rows - batch.messages,
            )
            for tp, records in fetched.items():
                self._add(batch, tp, records)

    def _add(self, batch: _Batch, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        if not records:
            return
        batch.next_offsets[tp] = records[-1].offset + 1
        batch.messages += len(records)
        self.fetched_messages += len(records)
        route = self._routes[tp.topic]
        if route.raw:
            # A cheap look at each value; whatever does not even start like a message of this
            # schema goes through the decoder (which skips it with a warning).
            raw = batch.raw.setdefault(tp.topic, [])
            for record in records:
                value = record.value
                if value is not None and value.startswith(JSON_PREFIX) and value.endswith(b"}"):
                    raw.append(record)
                else:
                    self._decode(batch, route, record)
        else:
            for record in records:
                self._decode(batch, route, record)

    def _decode(self, batch: _Batch, route: SinkRoute, record: ConsumerRecord) -> None:
        self._keep(batch, _rows_of(route, record))

    def _keep(self, batch: _Batch, rows: list[tuple[str, tuple[Any, ...] | None]] | None) -> None:
        if rows is None:
            self.skipped_messages += 1
            return
        for table, row in rows:
            if row is not None:
                batch.rows.setdefault(table, []).append(row)

    async def _flush(self, consumer: AIOKafkaConsumer, batch: _Batch) -> None:
        try:
            for topic, records in batch.raw.items():
                await self._insert_json(batch, self._routes[topic], records)
            for table, rows in batch.rows.items():
                await self._ch.insert(table, rows, self._columns[table])
                hook = self._after_insert.get(table)
                if hook is not None and rows:
                    await hook(self._ch, rows)
        except Exception as exc:  # any storage failure: retry the same messages later
            raise MessageWriteError(str(exc)) from exc
        if batch.messages:
            crash_point("sink")  # rows written, offsets not committed: the batch is written again
        try:
            await consumer.commit(dict(batch.next_offsets))
        except KafkaError as exc:
            # Written but not committed (a rebalance, a broker away): whoever reads these
            # partitions next writes the same rows again, which replace themselves.
            raise MessageWriteError(f"offsets not committed: {exc!r}") from exc
        self.written_messages += batch.messages

    async def _insert_json(self, batch: _Batch, route: SinkRoute, records: list[ConsumerRecord]) -> None:
        if not records:  # every message of the batch went through the decoder
            return
        if route.from_json is not None and len(records) < self._config.json_min_messages:
            # Small: decoding costs less than ClickHouse analysing the SQL (SinkConfig). Every
            # message is decoded as on the fallback below: the same rows, the same skips. In a
            # thread: a few hundred messages are tens of ms the loop (the API) need not wait.
            decoded = await asyncio.to_thread(lambda: [_rows_of(route, r) for r in records])
            for rows in decoded:
                self._keep(batch, rows)
            return
        values = [r.value for r in records]
        try:
            if route.from_json is not None:
                await self._ch.insert_from_json(values, route.from_json)
            else:
                [target] = route.targets
                await self._ch.insert_json(target.table, values, target.columns)
        except AfterRowsError:
            raise  # written, not marked: a storage failure, the batch is re-read (see _flush)
        except Exception as exc:  # noqa: BLE001 - refused data or storage away: decode to know
            # Bad messages are skipped by the decoder; if storage is away, the decoded rows'
            # insert fails too and the whole batch is re-read, as on the decode path.
            log.warning("sink: %s refused as JSON rows (%s), decoding its %d messages",
                        route.topic, str(exc)[:300], len(records))  # fmt: skip
            for record in records:
                self._decode(batch, route, record)

    async def _rewind(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> None:
        assigned = consumer.assignment()
        for tp in set(partitions):
            if tp not in assigned:  # revoked meanwhile: its new owner reads from the commit
                continue
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)


def _rows_of(route: SinkRoute, record: ConsumerRecord) -> list[tuple[str, tuple[Any, ...] | None]] | None:
    """The message's row in each target table (None: no row there), or None: skipped."""
    try:
        decoded = route.decode(record.value)
        return [(t.table, t.row(decoded)) for t in route.targets]
    except (MessageError, ValueError, KeyError, TypeError) as exc:
        log.warning("sink skipped %s@%s/%s: %s", record.topic, record.partition, record.offset, exc)
        return None


def _hooks(routes: Sequence[SinkRoute]) -> dict[str, AfterInsert]:
    """The after-insert hook of each table. A batch holds one list of rows per table, whichever
    route they came from, so a table has one hook or none."""
    hooks: dict[str, AfterInsert | None] = {}
    for target in (t for r in routes for t in r.targets):
        if hooks.setdefault(target.table, target.after_insert) != target.after_insert:
            raise ValueError(f"table {target.table}: its targets name different after_insert hooks")
    return {table: hook for table, hook in hooks.items() if hook is not None}
