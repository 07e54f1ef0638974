"""The sink's JSON rows (routes marked `json`): the values go to ClickHouse as JSONEachRow. The
rows equal what the decode path stores, a malformed message is skipped (the batch falls back to
decoding) and the rest is written, and a storage failure re-reads the batch as before."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest

from analytics import rows
from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from streams import messages
from streams.sink import Sink, SinkConfig, SinkRoute, TableTarget
from tests.streams.test_sink_batches import TOPIC, FakeConsumer, _run


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


ROUTE = SinkRoute(
    TOPIC, messages.decode_request_log,
    (TableTarget("request_log", rows.REQUEST_LOG_COLUMNS, rows.request_log_row),), json=True,
)  # fmt: skip


def _record(n: int, **changes: Any) -> messages.RequestLogRecord:
    at = datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC) + timedelta(seconds=n)
    record = messages.RequestLogRecord(
        request_id=f"req-{n:04d}", direction="inbound", at=at, company_id="cmp_a", method="POST",
        path="/v1/orders", query="a=1&b=%20", status=201, duration_ms=n, client_ip="203.0.113.7",
        correlation_id=f"corr-{n}", idempotency_key=f"k-{n}",
        request_headers='{"content-type":"application/json"}', request_body='{"x":"é\\n"}',
        response_body="{}", error_type="",
    )  # fmt: skip
    return replace(record, **changes)


def _tricky() -> list[messages.RequestLogRecord]:
    """Values where a text format could drift from the decode path."""
    plus_two = timezone(timedelta(hours=2))
    return [
        _record(0),
        _record(1, at=datetime(2026, 11, 26, 14, 0, 0, 999999, tzinfo=plus_two)),  # offset, 999999 µs
        _record(2, at=datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)),  # no fraction at all
        _record(3, request_body='quotes " \\ back\\slash\ttab\nnewline \x00\x1f nul',
                response_body="ünïcödé ✓ 😀 \u2028"),  # fmt: skip
        _record(4, status=65535, duration_ms=4_294_967_295, query="", error_type="outside-catalog"),
        _record(5, direction="outbound", method="GET", request_headers="", request_body=""),
    ]


def _sink(consumer: FakeConsumer, ch: Any, route: SinkRoute = ROUTE, batch_rows: int = 100) -> Sink:
    config = SinkConfig("fake:9092", "g", batch_rows=batch_rows, flush_interval_s=0.05, retry_backoff_s=0.01)
    return Sink(config, ch, [route], consumer_factory=lambda *a, **k: consumer)  # type: ignore[arg-type]


async def _stored(ch: ClickHouse) -> list[tuple]:
    return await ch.query(f"SELECT * FROM {ch.table('request_log')} ORDER BY request_id")


@dataclass
class SpyClickHouse:
    """The real embedded ClickHouse, counting which insert path each batch took."""

    ch: ClickHouse
    json_inserts: int = 0
    row_inserts: int = 0

    async def insert_json(self, table: str, objects: Any, columns: Any) -> None:
        self.json_inserts += 1
        await self.ch.insert_json(table, objects, columns)

    async def insert(self, table: str, rows_: Any, columns: Any) -> None:
        self.row_inserts += 1
        await self.ch.insert(table, rows_, columns)


async def test_json_rows_equal_the_decoded_rows(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    values = [messages.encode_request_log(r) for r in _tricky()]
    migrate(clickhouse)
    fast = SpyClickHouse(clickhouse)
    await _run(_sink(FakeConsumer(list(values)), fast), lambda: fast.json_inserts)

    decoded_db = ClickHouse.connect(clickhouse_dsn, f"test_{uuid.uuid4().hex[:12]}")
    try:
        migrate(decoded_db)
        slow = SpyClickHouse(decoded_db)
        route = replace(ROUTE, json=False)
        await _run(_sink(FakeConsumer(list(values)), slow, route), lambda: slow.row_inserts)
        assert (fast.json_inserts, fast.row_inserts, slow.json_inserts) == (1, 0, 0)
        stored = await _stored(clickhouse)
        assert len(stored) == len(values)
        assert stored == await _stored(decoded_db)
    finally:
        decoded_db.command_sync(f"DROP DATABASE IF EXISTS {decoded_db.database}")
        decoded_db.close()


_GOOD = [messages.encode_request_log(_record(n)) for n in range(9)]
_WHOLE = orjson.loads(_GOOD[0])
MALFORMED = {
    # looks like a message but lacks a column: the decoder refuses it, so must ClickHouse
    "missing column": orjson.dumps({k: v for k, v in _WHOLE.items() if k != "status"}),
    "unreadable time": orjson.dumps(_WHOLE | {"request_id": "bad-at", "at": "yesterday"}),
    "not JSON": _GOOD[8][:-1] + b',"x":}',
    "not even the prefix": b"garbage",
    "another schema version": orjson.dumps(_WHOLE | {"v": 2, "request_id": "v2"}),
}


@pytest.mark.parametrize("bad", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_message_is_skipped_and_the_rest_written(clickhouse: ClickHouse, bad: bytes) -> None:
    migrate(clickhouse)
    values = _GOOD[:4] + [bad] + _GOOD[4:]
    consumer = FakeConsumer(values)
    sink = _sink(consumer, SpyClickHouse(clickhouse), batch_rows=len(values))
    await _run(sink, lambda: consumer.committed_offset == len(values))
    assert (sink.skipped_messages, sink.written_messages) == (1, len(values))
    ids = [row[0] for row in await _stored(clickhouse)]
    assert ids == [f"req-{n:04d}" for n in range(9)]


@dataclass
class FlakyClickHouse:
    """Storage away for the first `failures` inserts of either kind."""

    failures: int
    inserts: list[list[Any]] = field(default_factory=list)

    def _maybe_fail(self) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("clickhouse away")

    async def insert_json(self, table: str, objects: Any, columns: Any) -> None:
        self._maybe_fail()
        self.inserts.append([orjson.loads(o)["request_id"] for o in objects])

    async def insert(self, table: str, rows_: Any, columns: Any) -> None:
        self._maybe_fail()
        self.inserts.append([r[0] for r in rows_])


async def test_storage_away_rereads_the_batch_and_writes_each_message_once_more() -> None:
    values = [messages.encode_request_log(_record(n)) for n in range(8)]
    consumer = FakeConsumer(values)
    ch = FlakyClickHouse(failures=3)  # JSON refused, decoded rows refused, JSON refused again
    sink = _sink(consumer, ch, batch_rows=4)
    await _run(sink, lambda: consumer.committed_offset == 8)
    written = [i for batch in ch.inserts for i in batch]
    assert sorted(written) == [f"req-{n:04d}" for n in range(8)]  # nothing twice, nothing lost
    assert consumer.commits == [4, 8]
    assert sink.skipped_messages == 0
