"""`ClickHouse.insert`: the column types are described once per table, not before every insert
(the driver's DESCRIBE cost as much as a small insert: a fixed cost of every sink flush)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from analytics.clickhouse import ClickHouse


class RecordingClient:
    """The real driver client, recording the SELECT-like statements it is sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.queries: list[str] = []

    def query(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(sql)
        return self.inner.query(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_inserts_describe_a_table_once_and_store_typed_values(clickhouse: ClickHouse) -> None:
    table = clickhouse.table("typed_inserts")
    await clickhouse.command(
        f"CREATE TABLE {table} (id String, amount Int64, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id"
    )
    recording = RecordingClient(clickhouse._client)
    clickhouse._client = recording
    at = datetime(2026, 11, 27, 10, 0, 0, 123000, tzinfo=UTC)
    await clickhouse.insert("typed_inserts", [("a", -5, at)], ("id", "amount", "at"))
    await clickhouse.insert("typed_inserts", [("b", 7, at)], ("id", "amount", "at"))
    await clickhouse.insert("typed_inserts", [("c", 9)], ("id", "amount"))  # fewer columns: known types
    assert [q for q in recording.queries if q.startswith("DESCRIBE")] == [f"DESCRIBE TABLE {table}"]
    rows = await clickhouse.query(f"SELECT id, amount, toString(at) FROM {table} ORDER BY id")
    assert rows == [("a", -5, "2026-11-27 10:00:00.123"), ("b", 7, "2026-11-27 10:00:00.123"),
                    ("c", 9, "1970-01-01 00:00:00.000")]  # fmt: skip


async def test_a_column_added_later_is_described_again(clickhouse: ClickHouse) -> None:
    table = clickhouse.table("grown_inserts")
    await clickhouse.command(f"CREATE TABLE {table} (id String) ENGINE = MergeTree ORDER BY id")
    await clickhouse.insert("grown_inserts", [("a",)], ("id",))
    await clickhouse.command(f"ALTER TABLE {table} ADD COLUMN n UInt32")
    await clickhouse.insert("grown_inserts", [("b", 3)], ("id", "n"))
    assert await clickhouse.query(f"SELECT id, n FROM {table} ORDER BY id") == [("a", 0), ("b", 3)]


async def test_a_failed_insert_describes_its_table_again(clickhouse: ClickHouse) -> None:
    """A column's type changed by another process: the insert with the old type fails once, the
    retry (the sink re-reads a failed batch) uses the new one."""
    table = clickhouse.table("retyped_inserts")
    await clickhouse.command(f"CREATE TABLE {table} (id String, n UInt8) ENGINE = MergeTree ORDER BY id")
    await clickhouse.insert("retyped_inserts", [("a", 1)], ("id", "n"))
    await clickhouse.command(f"ALTER TABLE {table} MODIFY COLUMN n String")
    try:
        await clickhouse.insert("retyped_inserts", [("b", "x")], ("id", "n"))
    except Exception:  # noqa: BLE001 - the driver's own error for a str in a UInt8 column
        await clickhouse.insert("retyped_inserts", [("b", "x")], ("id", "n"))
    assert await clickhouse.query(f"SELECT id, n FROM {table} ORDER BY id") == [("a", "1"), ("b", "x")]
