"""Storing the same messages both ways: ClickHouse computing the rows from the JSON (the sink's
fast path) and Python decoding + converting them (its decode path), in two databases of the
one embedded engine, to compare what each stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.json_rows import JsonRows
from analytics.migrate import migrate

Converters = Mapping[str, Callable[[Any], tuple[Any, ...] | None]]  # table → row of a decoded message


@contextmanager
def second_database(dsn: str) -> Iterator[ClickHouse]:
    ch = ClickHouse.connect(dsn, f"test_{uuid.uuid4().hex[:12]}")
    try:
        migrate(ch)
        yield ch
    finally:
        ch.command_sync(f"DROP DATABASE IF EXISTS {ch.database}")
        ch.close()


def stored(ch: ClickHouse, table: str, final: bool = False) -> list[tuple[Any, ...]]:
    """Every row as inserted, unless `final`: as reports read them, replaced rows collapsed
    (needed where messages share a key, as an order's events do: the decode path's insert
    collapses them at once, the SQL's in merges)."""
    return ch.query_sync(f"SELECT * FROM {ch.table(table)} {'FINAL' if final else ''} ORDER BY ALL")


def store_both_ways(
    fast: ClickHouse, slow: ClickHouse, values: Sequence[bytes], rows: JsonRows,
    decode: Callable[[bytes], Any], converters: Converters, final: bool = False,
) -> dict[str, tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:  # fmt: skip
    """Per table: (rows the SQL stored, rows the decode path stored)."""
    migrate(fast)
    fast.insert_from_json_sync(values, rows)
    decoded = [decode(v) for v in values]
    found = {}
    for table in rows.tables:
        python_rows = [r for r in map(converters[table.table], decoded) if r is not None]
        if python_rows:
            slow.insert_sync(table.table, python_rows, table.columns)
        found[table.table] = (stored(fast, table.table, final), stored(slow, table.table, final))
    return found
