"""One clickhouse-connect client per process, called from a worker thread.

The embedded engine (chdb) blocks and is bound to one path per process, so every call goes
through a single-thread executor: the event loop never blocks and calls never interleave.
The same SQL runs on the embedded engine and on a ClickHouse server.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import clickhouse_connect
import orjson

from analytics.json_rows import AfterRowsError, JsonRows, quoted, settings_sql

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# JSON objects inserted as they are (insert_json): strict about what the object holds, so a
# message the Python decoder would refuse fails the insert instead of becoming a row of defaults.
JSON_INSERT_SETTINGS: dict[str, Any] = {
    "date_time_input_format": "best_effort",  # ISO 8601 with fractions and offsets
    "input_format_skip_unknown_fields": 1,  # the schema version "v", fields added later
    "input_format_force_null_for_omitted_fields": 1,  # a missing field: NULL, refused below
    "input_format_null_as_default": 0,  # else a missing field's NULL becomes the default
    # CPU, the sink's limit (bench/sink_throughput.py): a batch parsed by one thread costs less
    # than split among threads that compete with the event loop for the same cores; and
    # replaced rows collapse in merges and FINAL reads anyway, as they do across batches.
    "input_format_parallel_parsing": 0,
    "optimize_on_insert": 0,
}


class Reads(Protocol):
    """What reading ClickHouse takes: a `ClickHouse`, or `ReadLanes` (analytics/read_lanes.py)."""

    @property
    def database(self) -> str: ...

    def table(self, name: str) -> str: ...

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[tuple]: ...


class ColumnReads(Reads, Protocol):
    """Reads that also return columns (ClickHouse.query_columns): what the transactions report takes."""

    async def query_columns(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[list[Any]]: ...


class ClickHouse:
    def __init__(self, client: Any, database: str, embedded: bool = False) -> None:
        if not _IDENTIFIER.match(database):
            raise ValueError(f"bad database name {database!r}")
        self._client = client
        self.database = database
        self.embedded = embedded  # chdb in this process, not a server
        self._stages: set[str] = set()  # staging tables created by this process
        # Column types of each table inserted into: the driver asks `DESCRIBE TABLE` before
        # every insert that names no types, a statement as costly as a small insert itself
        # (bench.pipeline.sink_flush). Migrations run before any insert; a failed insert
        # forgets its table's types, and `forget_column_types` forgets them all.
        self._column_types: dict[str, dict[str, str]] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")

    @classmethod
    def connect(cls, dsn: str, database: str) -> ClickHouse:
        """Blocking: call at start-up (or via asyncio.to_thread), never at import time."""
        client = clickhouse_connect.get_client(dsn=dsn)
        client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
        return cls(client, database, embedded=dsn.startswith("chdb:"))

    def table(self, name: str) -> str:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"bad table name {name!r}")
        return f"{self.database}.{name}"

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[tuple]:
        """`settings`: ClickHouse settings for this query only (e.g. how FINAL merges)."""
        result = await self._run(
            self._client.query, sql, parameters=parameters or {}, settings=dict(settings or {})
        )
        return list(result.result_rows)

    async def query_bytes(
        self, sql: str, parameters: dict[str, Any] | None = None, fmt: str = "CSV",
        settings: Mapping[str, Any] | None = None,
    ) -> bytes:  # fmt: skip
        """The result as ClickHouse formats it (`fmt`: CSV, TSV, …): no Python object per row."""
        return bytes(
            await self._run(
                self._client.raw_query, sql, parameters=parameters or {}, settings=dict(settings or {}), fmt=fmt
            )
        )

    async def query_columns(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> list[list[Any]]:
        """The result as one list per column, for String and integer columns only: ClickHouse
        writes them as JSON (JSONCompactColumns, 64-bit integers as numbers) and orjson reads
        them in one call, instead of the driver building each value and each row in Python
        (a 90-day aggregate by day and company is 18,360 rows). [] or empty lists when there
        are no rows."""
        settings = {**(settings or {}), "output_format_json_quote_64bit_integers": 0}
        data = await self._run(
            self._client.raw_query, f"{sql} SETTINGS {settings_sql(settings)}", parameters=parameters or {},
            fmt="JSONCompactColumns",
        )  # fmt: skip
        columns: list[list[Any]] = orjson.loads(data)
        return columns

    async def command(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: Mapping[str, Any] | None = None
    ) -> Any:
        return await self._run(
            self._client.command, sql, parameters=parameters or {}, settings=dict(settings or {})
        )

    async def insert(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        if rows:
            await self._run(self.insert_sync, table, rows, column_names)

    async def insert_json(self, table: str, objects: Sequence[bytes], column_names: Sequence[str]) -> None:
        """`objects`: JSON objects whose keys are `column_names` (plus ignored extras), inserted
        as JSONEachRow in one statement: ClickHouse parses them, not Python. All or nothing."""
        if objects:
            await self._run(self.insert_json_sync, table, objects, column_names)

    def insert_json_sync(self, table: str, objects: Sequence[bytes], column_names: Sequence[str]) -> None:
        self._client.raw_insert(
            self.table(table), list(column_names), b"\n".join(objects),
            settings=JSON_INSERT_SETTINGS, fmt="JSONEachRow",
        )  # fmt: skip

    async def insert_from_json(self, objects: Sequence[bytes], rows: JsonRows) -> None:
        """`objects`: JSON messages; each of `rows.tables` gets the rows ClickHouse computes from
        them, then `rows.days` are written from those rows. A refused message (its check) or any
        other failure raises, possibly after part of the rows were written: the tables are
        ReplacingMergeTree, a retry replaces them. A failure once every table's rows are written
        raises AfterRowsError."""
        if objects:
            await self._run(self.insert_from_json_sync, objects, rows)

    def insert_from_json_sync(self, objects: Sequence[bytes], rows: JsonRows) -> None:
        data = b"\n".join(objects)
        if not self.embedded:  # a server reads the data sent along, once per statement
            for table in rows.tables:
                self._client.command(rows.server_insert_sql(table, self.table(table.table)), data=data)
            self._after_rows((rows.server_days_sql(d, self.table(d.into)) for d in rows.days), data)
            return
        # chdb takes no data along with an INSERT … SELECT: it reads a file. For several tables
        # (or days to mark), the messages are read and checked once into a staging table (in
        # memory, this process's alone: chdb is one process), then copied to each table.
        with tempfile.NamedTemporaryFile(prefix="quadra-sink-", suffix=".jsonl") as file:
            file.write(data)
            file.flush()
            source = f"file({quoted(file.name)}, {quoted(rows.format)}, {quoted(rows.structure)})"
            if len(rows.tables) == 1 and not rows.days:
                [table] = rows.tables
                self._client.command(rows.insert_sql(table, self.table(table.table), source))
                return
            stage = self.table(f"sink_stage_{rows.name}")
            if stage not in self._stages:  # the SQL may have changed since the last run
                self._client.command(rows.create_stage_sql(stage, source))
                self._stages.add(stage)
            try:
                self._client.command(rows.stage_sql(stage, source))
                for index, table in enumerate(rows.tables):
                    self._client.command(rows.from_stage_sql(index, self.table(table.table), stage))
                self._after_rows(rows.days_from_stage_sql(d, self.table(d.into), stage) for d in rows.days)
            finally:
                self._client.command(f"TRUNCATE TABLE {stage}")

    def _after_rows(self, statements: Iterable[str], data: bytes | None = None) -> None:
        try:
            for sql in statements:
                self._client.command(sql, data=data)
        except Exception as exc:
            raise AfterRowsError(f"rows written, their days not marked: {exc}") from exc

    def command_sync(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        return self._client.command(sql, parameters=parameters or None)

    def insert_sync(
        self, table: str, rows: Sequence[Sequence[Any]], column_names: Sequence[str]
    ) -> None:
        qualified = self.table(table)
        types = self._column_types.get(qualified)
        if types is None or any(c not in types for c in column_names):
            described = self._client.query(f"DESCRIBE TABLE {qualified}").named_results()
            types = {d["name"]: d["type"] for d in described}
            self._column_types[qualified] = types
        try:
            self._client.insert(
                qualified, list(rows), column_names=list(column_names),
                column_type_names=[types[c] for c in column_names],
            )  # fmt: skip
        except Exception:
            # Perhaps a type changed under us (a migration from another process): the retry
            # (the sink re-reads a failed batch) describes the table again.
            self._column_types.pop(qualified, None)
            raise

    def forget_column_types(self) -> None:
        """After a schema change in a running process: the next inserts describe again."""
        self._column_types.clear()

    def query_sync(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple]:
        return list(self._client.query(sql, parameters=parameters or {}).result_rows)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._client.close()
