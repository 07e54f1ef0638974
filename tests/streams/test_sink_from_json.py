"""The sink's `from_json` routes (ClickHouse computes the rows from the raw values): a clean
batch is one insert of raw values; a batch holding a message the SQL refuses takes the decode
path, which stores every other message as before and skips the bad one. Either way the tables
hold what the decode path alone stores."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import orjson

from analytics.clickhouse import ClickHouse
from analytics.json_rows import JsonRows
from analytics.migrate import migrate
from quadra.runtime import sink_routes
from streams.sink import Sink, SinkConfig, SinkRoute
from streams.topics import LEDGER_ENTRIES, ORDERS_EVENTS, TopicNames
from tests.analytics.json_rows_helpers import second_database, stored
from tests.analytics.test_ledger_json_rows import _entry as ledger_entry
from tests.analytics.test_ledger_json_rows import _tricky as ledger_messages
from tests.analytics.test_order_json_rows import _event, _order, _tricky
from tests.streams.test_sink_batches import TOPIC, FakeConsumer, _run

ROUTE = replace(next(r for r in sink_routes(TopicNames("")) if r.topic == ORDERS_EVENTS.name), topic=TOPIC)


@dataclass
class SpyClickHouse:
    """The real embedded ClickHouse, counting which insert path each batch took."""

    ch: ClickHouse
    json_inserts: int = 0
    row_inserts: int = 0

    async def insert_from_json(self, objects: Any, rows: JsonRows) -> None:
        self.json_inserts += 1
        await self.ch.insert_from_json(objects, rows)

    async def insert(self, table: str, rows_: Any, columns: Any) -> None:
        if table != "rollup_dirty":  # the rollup marks are rows either way
            self.row_inserts += 1
        await self.ch.insert(table, rows_, columns)


async def _sink_run(
    ch: ClickHouse, values: list[bytes], route: SinkRoute, json_min_messages: int = 0
) -> tuple[Sink, SpyClickHouse]:
    migrate(ch)
    consumer, spy = FakeConsumer(list(values)), SpyClickHouse(ch)
    config = SinkConfig(
        "fake:9092", "g", batch_rows=len(values), flush_interval_s=0.05, retry_backoff_s=0.01,
        json_min_messages=json_min_messages,
    )  # fmt: skip
    sink = Sink(config, spy, [route], consumer_factory=lambda *a, **k: consumer)  # type: ignore[arg-type]
    await _run(sink, lambda: consumer.committed_offset == len(values))
    return sink, spy


async def _both_ways(clickhouse: ClickHouse, dsn: str, values: list[bytes]) -> tuple[Sink, SpyClickHouse]:
    sink, spy = await _sink_run(clickhouse, values, ROUTE)
    with second_database(dsn) as slow:
        decoded, python = await _sink_run(slow, values, replace(ROUTE, from_json=None))
        assert (python.json_inserts, decoded.skipped_messages) == (0, sink.skipped_messages)
        for table in ("orders", "order_events"):
            assert stored(clickhouse, table, final=True) == stored(slow, table, final=True), table
    return sink, spy


async def test_a_clean_batch_is_one_insert_of_the_raw_values(clickhouse: ClickHouse, clickhouse_dsn: str) -> None:
    values = _tricky()
    sink, spy = await _both_ways(clickhouse, clickhouse_dsn, values)
    assert (spy.json_inserts, spy.row_inserts) == (1, 0)
    assert (sink.written_messages, sink.skipped_messages) == (len(values), 0)
    # Undecoded, the batch still marks the days of its orders for the daily rollup.
    days = {datetime.fromisoformat(orjson.loads(v)["order"]["created_at"]).astimezone(UTC).date() for v in values}
    marked = clickhouse.query_sync(
        f"SELECT DISTINCT day FROM {clickhouse.table('rollup_dirty')} WHERE rollup_name = 'orders'"
    )
    assert {d for (d,) in marked} == days


async def test_a_refused_message_sends_its_batch_to_the_decode_path(
    clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    spaced = orjson.dumps(orjson.loads(_event(_order(7)))).replace(b'","', b'", "')  # stored, normalized
    unknown = _event(_order(8)).replace(b'"received"', b'"teleported"')  # skipped by the decoder
    values = [*_tricky(), spaced, unknown, b"not even JSON"]
    sink, spy = await _both_ways(clickhouse, clickhouse_dsn, values)
    assert spy.json_inserts == 1 and spy.row_inserts == 2  # refused, then decoded: both tables
    assert (sink.written_messages, sink.skipped_messages) == (len(values), 2)
    [(snapshot,)] = clickhouse.query_sync(
        f"SELECT snapshot FROM {clickhouse.table('orders')} WHERE order_id = 'ord_0007'"
    )
    assert snapshot == orjson.dumps(orjson.loads(_event(_order(7)))["order"]).decode().replace(
        '"card_ciphertext":"v1:c2VjcmV0"', '"card_ciphertext":null'
    )


async def test_an_undecoded_ledger_batch_marks_the_utc_days_of_its_entries(clickhouse: ClickHouse) -> None:
    """Without its marks, the daily ledger rollup would keep serving the days this batch
    changed: ClickHouse writes them from the rows it computed, each entry's UTC day."""
    late = datetime(2026, 11, 28, 1, 30, tzinfo=timezone(timedelta(hours=2)))  # the 27th in UTC
    values = [*ledger_messages(), ledger_entry(9, at=late)]
    [route] = [r for r in sink_routes(TopicNames("")) if r.topic == LEDGER_ENTRIES.name]
    sink, spy = await _sink_run(clickhouse, values, replace(route, topic=TOPIC))
    assert (spy.json_inserts, spy.row_inserts, sink.skipped_messages) == (1, 0, 0)
    marked = clickhouse.query_sync(
        f"SELECT DISTINCT day FROM {clickhouse.table('rollup_dirty')} WHERE rollup_name = 'ledger'"
    )
    assert {d for (d,) in marked} == {date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 31)}


async def test_a_batch_under_json_min_messages_is_decoded_and_stores_the_same(
    clickhouse: ClickHouse, clickhouse_dsn: str
) -> None:
    """Below the threshold the SQL's analysis would cost more than decoding: the batch takes the
    decode path, with the same rows, skips and rollup marks as the fast path stores."""
    unknown = _event(_order(8)).replace(b'"received"', b'"teleported"')  # skipped by the decoder
    values = [*_tricky(), unknown]
    decoded, spy = await _sink_run(clickhouse, values, ROUTE, json_min_messages=len(values) + 1)
    assert (spy.json_inserts, spy.row_inserts) == (0, 2)
    assert (decoded.written_messages, decoded.skipped_messages) == (len(values), 1)
    with second_database(clickhouse_dsn) as fast:
        sink, fast_spy = await _sink_run(fast, values, ROUTE, json_min_messages=len(values))
        assert fast_spy.json_inserts == 1  # refused for `unknown`, then decoded: as always
        assert sink.skipped_messages == 1
        for table in ("orders", "order_events"):
            assert stored(clickhouse, table, final=True) == stored(fast, table, final=True), table
        marks = "SELECT DISTINCT rollup_name, day FROM {} ORDER BY 1, 2"
        assert clickhouse.query_sync(marks.format(clickhouse.table("rollup_dirty"))) == fast.query_sync(
            marks.format(fast.table("rollup_dirty"))
        )


async def test_a_clean_batch_at_json_min_messages_takes_the_fast_path(clickhouse: ClickHouse) -> None:
    values = _tricky()
    sink, spy = await _sink_run(clickhouse, values, ROUTE, json_min_messages=len(values))
    assert (spy.json_inserts, spy.row_inserts, sink.skipped_messages) == (1, 0, 0)
