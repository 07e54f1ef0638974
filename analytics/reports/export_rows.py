"""The rows of a transactions export, read from ClickHouse in keyset chunks.

Constant memory: a chunk is one short query of at most `chunk_rows` orders in sort-key order
(company_id, created_at, order_id), resumed after the last key of the previous chunk. Between
two chunks the shared ClickHouse executor is free for other queries, so a long export (or a
slow download) never holds it. (clickhouse-connect's `query_row_block_stream` also works on
the embedded engine, but it would hold the one executor thread for the whole export.)

Latest state: `orders` is a ReplacingMergeTree(version), read with `FINAL`; the filter applies
to the latest version only. Every order version shares its sort key, so the keyset is stable.

Every cell leaves ClickHouse as finished text, so Python only copies strings (a million rows
in seconds): timestamps as ISO 8601 in UTC ("2025-01-02T03:04:05.678Z"); amounts as exact
decimals in the currency's exponent (integer arithmetic, never a float); text a spreadsheet
would evaluate as a formula (first character = + - @ tab CR) with a leading `'`. The keyset
columns (order and company ids: our own identifiers, never partner text) stay raw.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter, Where, where_clause
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
_KEY = "order_id, company_id, replaceOne(toString(created_at), ' ', 'T') || 'Z'"
# After the last row of the previous chunk (up to the last row of this one), spelled out so
# the primary key can skip granules.
_AFTER = (
    "(company_id > {after_company:String} OR (company_id = {after_company:String} AND "
    "(created_at > parseDateTime64BestEffort({after_at:String}, 3, 'UTC') OR "
    "(created_at = parseDateTime64BestEffort({after_at:String}, 3, 'UTC') "
    "AND order_id > {after_order:String}))))"
)
_UPTO = (
    "(company_id < {upto_company:String} OR (company_id = {upto_company:String} AND "
    "(created_at < parseDateTime64BestEffort({upto_at:String}, 3, 'UTC') OR "
    "(created_at = parseDateTime64BestEffort({upto_at:String}, 3, 'UTC') "
    "AND order_id <= {upto_order:String}))))"
)
# ClickHouse's CSV: every string quoted, quotes doubled, CRLF line ends (RFC 4180).
CSV_SETTINGS = {"output_format_csv_crlf_end_of_line": 1}
Key = tuple[str, str, str]  # order id, company id, created_at text: a row's sort key


def _bounded(where: Where, after: Key | None, upto: Key | None) -> tuple[str, dict[str, Any]]:
    conditions = [where.sql.removeprefix("WHERE ")] if where.sql else []
    params = {**where.parameters, **_FORMAT_PARAMETERS}
    if after is not None:
        conditions.append(_AFTER)
        params.update(after_order=after[0], after_company=after[1], after_at=after[2])
    if upto is not None:
        conditions.append(_UPTO)
        params.update(upto_order=upto[0], upto_company=upto[1], upto_at=upto[2])
    return ("WHERE " + " AND ".join(conditions)) if conditions else "", params


class ClickHouseExportRows:
    def __init__(self, clickhouse: ClickHouse, chunk_rows: int = CHUNK_ROWS) -> None:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be positive")
        self._ch = clickhouse
        self._chunk_rows = chunk_rows

    async def count(self, f: TransactionFilter) -> int:
        where = where_clause(f)
        rows = await self._ch.query(
            f"SELECT count() FROM {self._ch.table('orders')} FINAL {where.sql}", where.parameters
        )
        return int(rows[0][0])

    async def chunks(self, f: TransactionFilter) -> AsyncIterator[list[ExportRow]]:
        """The filter's orders in sort-key order, `chunk_rows` at a time (the last may be short)."""
        where, table = where_clause(f), self._ch.table("orders")
        last: ExportRow | None = None
        while True:
            sql, params = _bounded(where, None if last is None else (last[0], last[1], last[2]), None)
            params["chunk_rows"] = self._chunk_rows
            rows = await self._ch.query(
                f"SELECT {_SELECT} FROM {table} FINAL {sql} {_ORDER} LIMIT {{chunk_rows:UInt32}}", params
            )
            if rows:
                yield rows
                last = rows[-1]
            if len(rows) < self._chunk_rows:
                return

    async def csv_chunks(self, f: TransactionFilter) -> AsyncIterator[tuple[int, bytes]]:
        """The same rows as CSV lines formatted by ClickHouse (no header), with their count:
        no Python object per row. Each chunk is bounded by the key of its last row, found
        first with a key-only query (the CSV itself cannot be read back for it)."""
        where, table = where_clause(f), self._ch.table("orders")
        after: Key | None = None
        while True:
            sql, params = _bounded(where, after, None)
            params["last_offset"] = self._chunk_rows - 1
            found = await self._ch.query(
                f"SELECT {_KEY} FROM {table} FINAL {sql} {_ORDER} LIMIT 1 OFFSET {{last_offset:UInt64}}", params
            )
            upto: Key | None = tuple(found[0]) if found else None  # type: ignore[assignment]
            if upto is None:  # the last chunk: however many rows are left
                rest = await self._ch.query(f"SELECT count() FROM {table} FINAL {sql}", params)
                if int(rest[0][0]) == 0:
                    return
            sql, params = _bounded(where, after, upto)
            data = await self._ch.query_bytes(
                f"SELECT {_SELECT} FROM {table} FINAL {sql} {_ORDER}", params, "CSV", CSV_SETTINGS
            )
            yield (self._chunk_rows if upto is not None else int(rest[0][0])), data
            if upto is None:
                return
            after = upto
