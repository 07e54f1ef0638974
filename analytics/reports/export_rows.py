"""The rows of a transactions export, read from ClickHouse in keyset chunks.

Constant memory: a chunk is one short query of at most `chunk_rows` orders in sort-key order
(company_id, created_at, order_id), resumed after the last key of the previous chunk. Between
two chunks the shared ClickHouse executor is free for other queries, so a long export (or a
slow download) never holds it. (clickhouse-connect's `raw_stream` does stream CSV from the
embedded engine, block by block, but it holds the engine handle and our one executor thread
until the whole export is read, and with per-query settings it reads the whole result first.)

Latest state: `orders` is a ReplacingMergeTree(version), read with `FINAL`; the filter applies
to the latest version only. Every order version shares its sort key, so the keyset is stable,
and the keyset is on fixed columns: it goes to PREWHERE with the filter's fixed conditions
(`filters.final_clause`), before FINAL merges versions.

Every cell leaves ClickHouse as finished text, so Python only copies strings (a million rows
in seconds): timestamps as ISO 8601 in UTC ("2025-01-02T03:04:05.678Z"); amounts as exact
decimals in the currency's exponent (integer arithmetic, never a float); text a spreadsheet
would evaluate as a formula (first character = + - @ tab CR) with a leading `'`. The keyset
columns (order and company ids: our own identifiers, never partner text) stay raw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, Where, final_clause
from domain.money import CURRENCY_EXPONENTS

CHUNK_ROWS = 50_000

# The header of every export, in column order.
EXPORT_COLUMNS = (
    "order_id", "company_id", "created_at", "updated_at", "status", "status_reason",
    "product_id", "product_type", "provider", "amount", "fee", "currency", "end_user_id",
    "card_last4", "external_id",
)  # fmt: skip
AMOUNT_COLUMNS = (9, 10)  # decimal strings in the currency's exponent
CURRENCY_COLUMN = 11
FORMULA_START = r"^[=+\-@\t\r]"

ExportRow = tuple[str, ...]  # one line of the export: every cell as text, in EXPORT_COLUMNS order


def _text(column: str) -> str:
    return f"if(match({column}, {{formula_start:String}}), concat('''', {column}), {column})"


_EXPONENT = (
    "transform(currency, {currency_codes:Array(String)}, {currency_exponents:Array(UInt8)}, toUInt8(2))"
)


def _amount(column: str) -> str:
    units = f"toString(intDiv(abs({column}), intExp10({_EXPONENT})))"
    minor = f"leftPad(toString(abs({column}) % intExp10({_EXPONENT})), {_EXPONENT}, '0')"
    return f"concat(if({column} < 0, '-', ''), {units}, if({_EXPONENT} = 0, '', concat('.', {minor})))"


_SELECT = ", ".join([
    "order_id", "company_id",
    "replaceOne(toString(created_at), ' ', 'T') || 'Z'",
    "replaceOne(toString(updated_at), ' ', 'T') || 'Z'",
    *map(_text, ("status", "status_reason", "product_id", "product_type", "provider")),
    _amount("amount_value"), _amount("fee_value"),
    *map(_text, ("currency", "end_user_id", "card_last4", "external_id")),
])  # fmt: skip
_FORMAT_PARAMETERS = {
    "formula_start": FORMULA_START,
    "currency_codes": list(CURRENCY_EXPONENTS),
    "currency_exponents": list(CURRENCY_EXPONENTS.values()),
}
_ORDER = "ORDER BY company_id, created_at, order_id"
_AT = "DateTime64(3, 'UTC')"
# After the last row of the previous chunk (up to the last row of this one), spelled out so
# the primary key can skip granules.
_AFTER = (
    "(company_id > {after_company:String} OR (company_id = {after_company:String} AND "
    f"(created_at > {{after_at:{_AT}}} OR (created_at = {{after_at:{_AT}}} "
    "AND order_id > {after_order:String}))))"
)
_UPTO = (
    "(company_id < {upto_company:String} OR (company_id = {upto_company:String} AND "
    f"(created_at < {{upto_at:{_AT}}} OR (created_at = {{upto_at:{_AT}}} "
    "AND order_id <= {upto_order:String}))))"
)
# Every chunk query: FINAL merges within partitions only (see filters.FINAL_SETTINGS), and one
# thread: a chunk is a narrow key range read in order, which more threads only split into
# ranges and merge back (on the embedded engine of a 2-core machine: a fifth more CPU for no
# time saved), and the other cores stay free for the API.
EXPORT_SETTINGS: Mapping[str, Any] = MappingProxyType({**FINAL_SETTINGS, "max_threads": 1})
# ClickHouse's CSV: every string quoted, quotes doubled, CRLF line ends (RFC 4180).
CSV_SETTINGS: Mapping[str, Any] = MappingProxyType(
    {**EXPORT_SETTINGS, "output_format_csv_crlf_end_of_line": 1}
)
Key = tuple[str, str, datetime]  # order id, company id, created_at: a row's sort key


def _row_key(row: ExportRow) -> Key:
    # created_at as exported ("…T…Z", milliseconds): exactly the stored DateTime64(3).
    return row[0], row[1], datetime.fromisoformat(row[2])


def _bounded(f: TransactionFilter, after: Key | None, upto: Key | None) -> Where:
    """The filter's `PREWHERE … WHERE …` for the rows after `after`, up to `upto` included."""
    keyset: list[str] = []
    params: dict[str, Any] = {}
    if after is not None:
        keyset.append(_AFTER)
        params.update(after_order=after[0], after_company=after[1], after_at=after[2])
    if upto is not None:
        keyset.append(_UPTO)
        params.update(upto_order=upto[0], upto_company=upto[1], upto_at=upto[2])
    where = final_clause(f, tuple(keyset))
    return Where(where.sql, {**where.parameters, **params, **_FORMAT_PARAMETERS})


class ClickHouseExportRows:
    def __init__(self, clickhouse: ClickHouse, chunk_rows: int = CHUNK_ROWS) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")
        self._ch = clickhouse
        self._chunk_rows = chunk_rows

    async def count(self, f: TransactionFilter) -> int:
        where = final_clause(f)
        rows = await self._ch.query(
            f"SELECT count() FROM {self._ch.table('orders')} FINAL {where.sql}", where.parameters, FINAL_SETTINGS
        )
        return int(rows[0][0])

    async def chunks(self, f: TransactionFilter) -> AsyncIterator[list[ExportRow]]:
        """The filter's orders in sort-key order, `chunk_rows` at a time (the last may be short)."""
        table = self._ch.table("orders")
        after: Key | None = None
        while True:
            where = _bounded(f, after, None)
            rows = await self._ch.query(
                f"SELECT {_SELECT} FROM {table} FINAL {where.sql} {_ORDER} LIMIT {{chunk_rows:UInt32}}",
                {**where.parameters, "chunk_rows": self._chunk_rows}, EXPORT_SETTINGS,
            )  # fmt: skip
            if rows:
                yield rows
                after = _row_key(rows[-1])
            if len(rows) < self._chunk_rows:
                return

    async def csv_chunks(self, f: TransactionFilter) -> AsyncIterator[tuple[int, bytes]]:
        """The same rows as CSV lines formatted by ClickHouse (no header), with their count:
        no Python object per row. Each chunk is bounded by the key of its last row, found
        first with a key-only query (the CSV itself cannot be read back for it)."""
        table = self._ch.table("orders")
        after: Key | None = None
        while True:
            where = _bounded(f, after, None)
            found = await self._ch.query(
                f"SELECT order_id, company_id, created_at FROM {table} FINAL {where.sql} {_ORDER} "
                "LIMIT 1 OFFSET {last_offset:UInt64}",
                {**where.parameters, "last_offset": self._chunk_rows - 1}, EXPORT_SETTINGS,
            )  # fmt: skip
            upto: Key | None = tuple(found[0]) if found else None  # type: ignore[assignment]
            rows = self._chunk_rows
            if upto is None:  # the last chunk: however many rows are left
                rest = await self._ch.query(
                    f"SELECT count() FROM {table} FINAL {where.sql}", where.parameters, EXPORT_SETTINGS
                )
                rows = int(rest[0][0])
                if rows == 0:
                    return
            where = _bounded(f, after, upto)
            data = await self._ch.query_bytes(
                f"SELECT {_SELECT} FROM {table} FINAL {where.sql} {_ORDER}", where.parameters, "CSV", CSV_SETTINGS
            )
            yield rows, data
            if upto is None:
                return
            after = upto
