"""The transactions report: a keyset-paginated page of orders (latest state) for a filter,
and the filter's totals per currency. Pages come from `page_window` (FINAL over one page's
window only).

Latest state: `orders` is a ReplacingMergeTree(version), so every read is `FINAL` and a stale
version of an order is never returned nor counted. Speed: the table is sorted by
(company_id, created_at, order_id), so a company and a date range narrow the read to a few
granules before the skip indexes (end user, external id, card last 4, amount) do the rest;
filters on columns no version changes run as PREWHERE, before FINAL merges versions
(`filters.final_clause`), and status and provider after it.
Sort columns come from a whitelist; every value is a bound parameter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports import amount_orders
from analytics.reports.common import check_limit, utc
from analytics.reports.cursor import cursor_datetime, cursor_int, cursor_str, decode_cursor, encode_cursor
from analytics.reports.filters import TransactionFilter
from analytics.reports.order_sums import order_sums
from analytics.reports.page_window import PageReader, PageSpec
from domain.errors import InvalidCursor


class SortField(str, enum.Enum):
    CREATED_AT = "created_at"
    AMOUNT = "amount"


# The only identifiers a sort can put into SQL.
_SORT_COLUMNS: Mapping[SortField, str] = MappingProxyType(
    {SortField.CREATED_AT: "created_at", SortField.AMOUNT: "amount_value"}
)
_SORT_TYPES: Mapping[SortField, str] = MappingProxyType(
    {SortField.CREATED_AT: "DateTime64(3, 'UTC')", SortField.AMOUNT: "Int64"}
)


@dataclass(frozen=True, slots=True)
class Sort:
    field: SortField = SortField.CREATED_AT
    descending: bool = True

    @property
    def name(self) -> str:
        return f"{self.field.value}:{'desc' if self.descending else 'asc'}"


@dataclass(frozen=True, slots=True)
class TransactionKey:
    """Keyset position: the sort value and order id of the last row of a page."""

    value: datetime | int
    order_id: str


@dataclass(frozen=True, slots=True)
class Transaction:
    order_id: str
    company_id: str
    product_id: str
    product_type: str
    provider: str
    amount_value: int
    fee_value: int
    currency: str
    status: str
    status_reason: str
    recipient_kind: str
    card_bin: str
    card_last4: str
    end_user_id: str
    external_id: str
    sandbox: bool
    created_at: datetime
    updated_at: datetime
    version: int

    def key(self, sort: Sort) -> TransactionKey:
        value = self.created_at if sort.field is SortField.CREATED_AT else self.amount_value
        return TransactionKey(value, self.order_id)


TRANSACTION_COLUMNS = (
    "order_id, company_id, product_id, product_type, provider, amount_value, fee_value, currency, "
    "status, status_reason, recipient_kind, card_bin, card_last4, end_user_id, external_id, "
    "sandbox, created_at, updated_at, version"
)


def transaction_from_row(row: tuple[Any, ...]) -> Transaction:
    """A row of TRANSACTION_COLUMNS."""
    values = list(row)
    values[15] = bool(values[15])
    values[16], values[17] = utc(values[16]), utc(values[17])
    values[5], values[6], values[18] = int(values[5]), int(values[6]), int(values[18])
    return Transaction(*values)


@dataclass(frozen=True, slots=True)
class TransactionPage:
    items: list[Transaction]
    next_key: TransactionKey | None  # None: this was the last page


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    count: int
    amount: int  # minor units
    fee: int


@dataclass(frozen=True, slots=True)
class Totals:
    count: int
    currencies: list[CurrencyTotals]


def encode_key(sort: Sort, key: TransactionKey | None) -> str | None:
    return None if key is None else encode_cursor(f"tx:{sort.name}", [key.value, key.order_id])


def decode_key(sort: Sort, token: str) -> TransactionKey:
    """InvalidCursor for a cursor of another sort, or one this API did not hand out."""
    values = decode_cursor(f"tx:{sort.name}", token)
    if len(values) != 2:
        raise InvalidCursor("not a cursor from this API", "cursor")
    raw, order_id = values
    value = cursor_datetime(raw) if sort.field is SortField.CREATED_AT else cursor_int(raw)
    return TransactionKey(value, cursor_str(order_id))


class ClickHouseTransactions:
    """Plain async reads over one ClickHouse (the staff report, the partner list, the bench)."""

    def __init__(self, clickhouse: ColumnReads, amount_cap: int = amount_orders.CAP) -> None:
        self._ch = clickhouse
        self._pages = PageReader(clickhouse, amount_cap)

    async def _rows(
        self, columns: str, f: TransactionFilter, sort: Sort, after: TransactionKey | None, limit: int
    ) -> list[tuple[Any, ...]]:
        check_limit(limit)
        spec = PageSpec(
            columns, _SORT_COLUMNS[sort.field], _SORT_TYPES[sort.field], sort.descending,
            None if after is None else (after.value, after.order_id), limit + 1,
        )  # fmt: skip
        return await self._pages.rows(f, spec)

    async def page(
        self,
        f: TransactionFilter,
        sort: Sort = Sort(),
        after: TransactionKey | None = None,
        limit: int = 50,
    ) -> TransactionPage:
        rows = await self._rows(TRANSACTION_COLUMNS, f, sort, after, limit)
        items = [transaction_from_row(r) for r in rows[:limit]]
        return TransactionPage(items, items[-1].key(sort) if len(rows) > limit else None)

    async def snapshots(
        self,
        f: TransactionFilter,
        sort: Sort = Sort(),
        after: TransactionKey | None = None,
        limit: int = 50,
    ) -> tuple[list[str], TransactionKey | None]:
        """The stored order JSON of a page (the partner list reads whole orders back)."""
        rows = await self._rows("snapshot, created_at, amount_value, order_id", f, sort, after, limit)
        page = rows[:limit]
        next_key = None
        if len(rows) > limit:
            _, created_at, amount, order_id = page[-1]
            value = utc(created_at) if sort.field is SortField.CREATED_AT else int(amount)
            next_key = TransactionKey(value, order_id)
        return [r[0] for r in page], next_key

    async def totals(self, f: TransactionFilter, *, live: bool = False) -> Totals:
        """Count, amount and fee of every order the filter matches, per currency: whole clean
        days from the daily rollup when the filter allows (order_sums); `live`: never."""
        columns = await order_sums(self._ch, (), f, live=live)
        currencies = [CurrencyTotals(c, int(n), int(a), int(fee)) for c, n, a, fee in zip(*columns, strict=True)]
        return Totals(sum(c.count for c in currencies), currencies)
