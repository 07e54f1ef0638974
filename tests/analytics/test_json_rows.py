"""The SQL twins' building blocks: a timestamp the SQL accepts is one Python reads to the same
instant and writes again unchanged; the statements keep columns and expressions paired; a
server's statements (one per table) store what the embedded engine's staging path stores."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime

import pytest

from analytics.clickhouse import ClickHouse
from analytics.json_rows import JsonRows, JsonTable, iso_time, iso_time_ok, quoted
from analytics.migrate import migrate
from quadra.runtime import sink_routes
from streams.topics import TopicNames
from tests.analytics import test_ledger_json_rows, test_order_json_rows, test_webhook_json_rows
from tests.analytics.json_rows_helpers import second_database, stored

TIMES = [
    "2026-11-26T12:00:00+00:00", "2026-11-26T12:00:00.123456+00:00", "2026-11-26T12:00:00.000001+02:00",
    "2026-11-26T23:59:59.999999-05:30", "2024-02-29T00:00:00+00:00", "1971-01-01T00:00:00+00:00",
    "2199-12-31T23:59:59+14:00",
    # each refused: Python writes it again otherwise, or refuses it, or it is out of range
    "2026-11-26T12:00:00Z", "2026-11-26T12:00:00", "2026-11-26 12:00:00+00:00",
    "2026-11-26T12:00:00.000000+00:00", "2026-11-26T12:00:00.123+00:00", "2026-11-26T12:00:00-00:00",
    "2026-11-26T12:00:00+00:00:00", "2025-02-29T00:00:00+00:00", "2026-04-31T00:00:00+00:00",
    "2026-11-26T24:00:00+00:00", "1970-01-01T00:30:00.5+01:00", "2300-01-01T00:00:00+00:00",
    "2026-11-26T12:00:00+0000", "20261126T120000+00:00", "yesterday", "",
]  # fmt: skip


async def test_an_accepted_timestamp_is_read_alike_and_written_again_unchanged(clickhouse: ClickHouse) -> None:
    sql = (f"SELECT {iso_time_ok('t')}, if({iso_time_ok('t')}, {iso_time('t', 6)}, NULL) "
           "FROM (SELECT arrayJoin({times:Array(String)}) AS t)")  # fmt: skip
    found = await clickhouse.query(sql, {"times": TIMES})
    accepted = [t for t, (ok, _) in zip(TIMES, found, strict=True) if ok]
    assert accepted == TIMES[:7]
    for text, (_, instant) in zip(TIMES[:7], found[:7], strict=True):
        python = datetime.fromisoformat(text)
        assert python.isoformat() == text
        assert (instant if instant.tzinfo else instant.replace(tzinfo=UTC)) == python


def test_a_table_needs_one_expression_per_column() -> None:
    with pytest.raises(ValueError, match="2 columns, 1 expressions"):
        JsonTable("t", ("a", "b"), ("1",))


def test_the_check_comes_first_and_the_where_after_it() -> None:
    rows = JsonRows("r", "a String", "a != ''", (JsonTable("t", ("a",), ("a",), where="a != 'x'"),))
    sql = rows.insert_sql(rows.tables[0], "db.t", "input('a String')")
    assert "WHERE throwIf(NOT (a != ''), 'message outside the JSON fast path') = 0 AND (a != 'x') SETTINGS" in sql
    assert quoted("it's \\ ok") == "'it\\'s \\\\ ok'"


# As the sink routes them: orders and ledger entries with their rollup days.
ROUTES = {r.topic: r.from_json for r in sink_routes(TopicNames("")) if r.from_json is not None}
MESSAGES = {"orders.events": test_order_json_rows._tricky, "ledger.entries": test_ledger_json_rows._tricky,
            "webhooks.attempts": test_webhook_json_rows._tricky}  # fmt: skip


@pytest.mark.parametrize("topic", ROUTES)
async def test_one_statement_per_table_stores_what_the_staging_table_does(
    clickhouse: ClickHouse, clickhouse_dsn: str, topic: str
) -> None:
    """A ClickHouse server runs one statement per table on the data sent along (no staging
    table, no file): those statements parse, and with the messages read from a file instead
    of sent along they store exactly the rows the embedded engine's staging path stores."""
    rows = ROUTES[topic]
    values = MESSAGES[topic]()
    migrate(clickhouse)
    clickhouse.insert_from_json_sync(values, rows)
    with second_database(clickhouse_dsn) as per_table, tempfile.NamedTemporaryFile() as file:
        file.write(b"\n".join(values))
        file.flush()
        source = f"file({quoted(file.name)}, {quoted(rows.format)}, {quoted(rows.structure)})"
        for table in rows.tables:
            clickhouse.command_sync(f"EXPLAIN AST {rows.server_insert_sql(table, 'db.t')}")
            per_table.command_sync(rows.insert_sql(table, per_table.table(table.table), source))
        for days in rows.days:
            clickhouse.command_sync(f"EXPLAIN AST {rows.server_days_sql(days, 'db.t')}")
            per_table.command_sync(rows.days_sql(days, per_table.table(days.into), source))
        for table in rows.tables:
            assert stored(per_table, table.table) == stored(clickhouse, table.table), table.table
            assert stored(clickhouse, table.table)
        marks = "SELECT DISTINCT rollup_name, day FROM {} ORDER BY ALL"
        assert per_table.query_sync(marks.format(per_table.table("rollup_dirty"))) == clickhouse.query_sync(
            marks.format(clickhouse.table("rollup_dirty"))
        )
        assert bool(rows.days) == bool(clickhouse.query_sync(marks.format(clickhouse.table("rollup_dirty"))))
