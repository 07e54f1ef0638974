"""The sink's batch discipline without a broker: a fake consumer and a fake ClickHouse show
that a failed write or commit leaves nothing behind in the batch (the retry writes each
message once more, never twice), and offsets move only after the rows are written (and after
a table's after-insert hook)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from analytics.json_rows import AfterRowsError, JsonDays, JsonRows, JsonTable
from streams.messages import JSON_PREFIX
from streams.sink import Sink, SinkConfig, SinkRoute, TableTarget

TOPIC = "log"
TP = TopicPartition(TOPIC, 0)


def _record(offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(TOPIC, 0, offset, 0, 0, None, value, None, len(value), 0, [])


@dataclass
class FakeConsumer:
    """One partition of `values`; commits and positions as a group member sees them."""

    values: list[bytes]
    commits_to_refuse: int = 0
    at: int = 0
    committed_offset: int | None = None
    commits: list[int] = field(default_factory=list)

    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[ConsumerRecord]]:
        end = min(len(self.values), self.at + (max_records or len(self.values)))
        records = [_record(o, self.values[o]) for o in range(self.at, end)]
        self.at = end
        if not records:
            await asyncio.sleep(timeout_ms / 1000)
        return {TP: records} if records else {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.commits_to_refuse:
            self.commits_to_refuse -= 1
            raise CommitFailedError("rebalanced")
        self.committed_offset = offsets[TP]
        self.commits.append(offsets[TP])

    async def committed(self, tp: TopicPartition) -> int | None:
        return self.committed_offset

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        self.at = 0

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.at = offset

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {TP: len(self.values)}

    async def position(self, tp: TopicPartition) -> int:
        return self.at


@dataclass
class FakeClickHouse:
    failures: int = 0
    inserts: list[list[tuple[Any, ...]]] = field(default_factory=list)

    async def insert(self, table: str, rows: list[tuple[Any, ...]], columns: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("clickhouse away")
        self.inserts.append(list(rows))


def _decode(raw: bytes | None) -> int:
    return int(raw or b"")  # b"x" raises ValueError: a bad message, skipped


def _sink(consumer: FakeConsumer, ch: FakeClickHouse, batch_rows: int = 4) -> Sink:
    route = SinkRoute(TOPIC, _decode, (TableTarget("t", ("n",), lambda n: (n,) if n % 5 else None),))
    config = SinkConfig("fake:9092", "g", batch_rows=batch_rows, flush_interval_s=0.05, retry_backoff_s=0.01)
    sink = Sink(config, ch, [route], consumer_factory=lambda *a, **k: consumer)  # type: ignore[arg-type]
    return sink


async def _run(sink: Sink, done: Any) -> None:
    await sink.start()
    task = asyncio.create_task(sink.run())
    for _ in range(400):
        if done():
            break
        await asyncio.sleep(0.01)
    await sink.stop()
    await asyncio.wait_for(task, 5)


async def test_a_failed_write_is_retried_with_exactly_the_messages_it_held() -> None:
    consumer = FakeConsumer([str(n).encode() for n in range(1, 11)] + [b"x"])
    ch = FakeClickHouse(failures=2)
    sink = _sink(consumer, ch)
    await _run(sink, lambda: consumer.committed_offset == 11)
    written = [row for rows in ch.inserts for row in rows]
    assert sorted(written) == [(n,) for n in range(1, 11) if n % 5]  # None rows: not for this table
    assert len(written) == len(set(written))  # nothing left over from the failed batches
    assert consumer.commits == sorted(consumer.commits) and consumer.commits[-1] == 11
    assert sink.skipped_messages == 1


async def test_a_refused_commit_rereads_the_batch_and_writes_the_same_rows() -> None:
    consumer = FakeConsumer([str(n).encode() for n in range(1, 5)], commits_to_refuse=1)
    ch = FakeClickHouse()
    sink = _sink(consumer, ch)
    await _run(sink, lambda: consumer.committed_offset == 4)
    # Written twice (replaced in ClickHouse by the same keys), but each batch alone is whole.
    assert ch.inserts == [[(1,), (2,), (3,), (4,)], [(1,), (2,), (3,), (4,)]]
    assert sink.written_messages == 4



async def test_the_next_batch_is_fetched_while_one_is_written_but_commits_stay_in_order() -> None:
    events: list[str] = []

    class SlowClickHouse(FakeClickHouse):
        async def insert(self, table: str, rows: list[tuple[Any, ...]], columns: Any) -> None:
            events.append(f"insert {rows[0][0]}")
            await asyncio.sleep(0.05)
            await super().insert(table, rows, columns)

    class WatchedConsumer(FakeConsumer):
        async def getmany(self, timeout_ms: int = 0, max_records: int | None = None) -> Any:
            fetched = await super().getmany(timeout_ms, max_records)
            if fetched:
                events.append(f"fetch {fetched[TP][0].offset + 1}")
            return fetched

        async def commit(self, offsets: dict[TopicPartition, int]) -> None:
            await super().commit(offsets)
            events.append(f"commit {offsets[TP]}")

    consumer = WatchedConsumer([str(n).encode() for n in (1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14)])
    sink = _sink(consumer, SlowClickHouse())
    await _run(sink, lambda: consumer.committed_offset == 12)
    assert [e for e in events if not e.startswith("fetch")] == [
        "insert 1", "commit 4", "insert 6", "commit 8", "insert 11", "commit 12",
    ]  # fmt: skip
    # The second batch was fetched while the first was being written.
    assert events.index("fetch 5") < events.index("commit 4")


def _hooked_sink(consumer: FakeConsumer, ch: FakeClickHouse, events: list[str], failures: int = 0) -> Sink:
    """A sink whose table has an after-insert hook (what the daily rollups' marks are)."""
    left = [failures]

    async def after_insert(clickhouse: Any, rows: Any) -> None:
        assert clickhouse is ch
        if left[0]:
            left[0] -= 1
            raise ConnectionError("marks refused")
        events.append(f"hook {[r[0] for r in rows]}")

    route = SinkRoute(TOPIC, _decode, (TableTarget("t", ("n",), lambda n: (n,), after_insert),))
    config = SinkConfig("fake:9092", "g", batch_rows=2, flush_interval_s=0.05, retry_backoff_s=0.01)
    return Sink(config, ch, [route], consumer_factory=lambda *a, **k: consumer)  # type: ignore[arg-type]


class _Watched(FakeConsumer):
    events: list[str]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await super().commit(offsets)
        self.events.append(f"commit {offsets[TP]}")


class _WatchedClickHouse(FakeClickHouse):
    events: list[str]

    async def insert(self, table: str, rows: list[tuple[Any, ...]], columns: Any) -> None:
        await super().insert(table, rows, columns)
        self.events.append(f"insert {[r[0] for r in rows]}")


async def test_the_after_insert_hook_runs_after_the_insert_and_before_the_commit() -> None:
    events: list[str] = []
    consumer = _Watched([str(n).encode() for n in range(1, 5)])
    ch = _WatchedClickHouse()
    consumer.events = ch.events = events
    await _run(_hooked_sink(consumer, ch, events), lambda: consumer.committed_offset == 4)
    assert events == ["insert [1, 2]", "hook [1, 2]", "commit 2", "insert [3, 4]", "hook [3, 4]", "commit 4"]


async def test_a_failed_hook_leaves_the_offsets_and_the_batch_is_written_and_hooked_again() -> None:
    events: list[str] = []
    consumer = _Watched([str(n).encode() for n in range(1, 3)])
    ch = _WatchedClickHouse()
    consumer.events = ch.events = events
    await _run(_hooked_sink(consumer, ch, events, failures=1), lambda: consumer.committed_offset == 2)
    # Inserted, the hook failed, nothing committed; re-read: inserted again (the same rows
    # replace themselves), hooked, committed.
    assert events == ["insert [1, 2]", "insert [1, 2]", "hook [1, 2]", "commit 2"]


_ROWS = JsonRows("t", "n UInt8", "1", (JsonTable("t", ("n", "at"), ("n", "now64(3)")),))
_MARKED = replace(_ROWS, days=(JsonDays("marks", ("name", "day"), "t", "t", "at"),))


class _WatchedJsonClickHouse(_WatchedClickHouse):
    """Inserts from JSON (rows, then their days); its first `after_rows_failures` fail after
    the rows are written, as a refused mark would."""

    after_rows_failures: int = 0

    async def insert_from_json(self, objects: Any, rows: JsonRows) -> None:
        self.events.append(f"insert_from_json {[orjson.loads(o)['n'] for o in objects]}")
        if self.after_rows_failures:
            self.after_rows_failures -= 1
            raise AfterRowsError("marks refused")
        self.events.append(f"days {[d.name for d in rows.days]}")


async def test_an_undecoded_batch_is_marked_after_its_rows_and_a_failed_mark_retries_it() -> None:
    """The JSON fast path's marks (the rollup days of undecoded messages) are written with the
    rows, before the commit; failing, they are a storage failure: the batch is re-read and
    inserted again undecoded (not sent down the decode path)."""
    events: list[str] = []
    consumer = _Watched([JSON_PREFIX + b'"n":%d}' % n for n in (1, 2)])
    ch = _WatchedJsonClickHouse()
    ch.after_rows_failures = 1
    consumer.events = ch.events = events

    async def after_insert(clickhouse: Any, rows: Any) -> None: ...

    target = TableTarget("t", ("n", "at"), lambda n: (n, None), after_insert)
    route = SinkRoute(TOPIC, _decode, (target,), from_json=_MARKED)
    config = SinkConfig("fake:9092", "g", batch_rows=2, flush_interval_s=0.05, retry_backoff_s=0.01)
    sink = Sink(config, ch, [route], consumer_factory=lambda *a, **k: consumer)  # type: ignore[arg-type]
    await _run(sink, lambda: consumer.committed_offset == 2)
    assert events == ["insert_from_json [1, 2]", "insert_from_json [1, 2]", "days ['t']", "commit 2"]
    assert sink.skipped_messages == 0


def test_a_table_has_one_hook_and_undecoded_routes_need_their_own() -> None:
    async def hook(ch: Any, rows: Any) -> None: ...

    target = TableTarget("t", ("n", "at"), lambda n: (n, None), hook)
    with pytest.raises(ValueError, match="from_json.days"):
        SinkRoute(TOPIC, _decode, (target,), json=True)
    with pytest.raises(ValueError, match="from_json.days"):
        SinkRoute(TOPIC, _decode, (target,), from_json=_ROWS)
    # Undecoded messages are marked by ClickHouse instead, from the rows it computed.
    SinkRoute(TOPIC, _decode, (target,), from_json=_MARKED)
    routes = [SinkRoute(TOPIC, _decode, (TableTarget("t", ("n",), lambda n: (n,), hook),)),
              SinkRoute("other", _decode, (TableTarget("t", ("n",), lambda n: (n,)),))]  # fmt: skip
    with pytest.raises(ValueError, match="after_insert"):
        Sink(SinkConfig("fake:9092", "g", 2, 0.05), FakeClickHouse(), routes)  # type: ignore[arg-type]
