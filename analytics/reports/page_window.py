"""One page of orders (latest state) in two steps, so FINAL never merges more than a page.

`orders FINAL … ORDER BY … LIMIT n` cannot stop early: FINAL merges every version of every
order in the filtered range before the sort picks a page (the largest of 200 companies took
80-200 ms per page on 10 M orders, an all-companies day ~400 ms). So:

1. Candidates, without FINAL: every version that matches the whole filter, read in sort order
   and cut at `n` rows (ClickHouse reads in key order and stops). Each order whose latest
   version matches is among them, because that version is a matching row; stale versions
   that match are extra candidates, never missing ones.
2. The exact page: the same filter with FINAL, limited to the window from the page's start to
   the last candidate (inclusive). Every order that matches but lies beyond the window sorts
   after it, so when the window holds a full page that page is the true one; when step 1
   ran out of candidates the window reaches the end of the filter. Otherwise (too many stale
   candidates) step 1 asks for more; after a few rounds, the unwindowed query answers.

Versions of one order share its sort key (created_at, amount, order_id never change), so a
window never splits an order. Pages without one company pinned read `orders_by_time`, the
same rows sorted by time (migration 0006); a card's last 4 digits use the `orders`
projection sorted by them, which ClickHouse only picks when not reading in key order. One
company's card pages skip both steps: each of the card's orders, latest state, is grouped from
the projection, which holds every page column (analytics/reports/card_orders.py, migrations 0014,
0016). One company's amount range is grouped the same way from the projection sorted by amount
when it looks sparse (analytics/reports/amount_orders.py). Pages by time, newest first, look
for candidates in the upper end's month first (`_month_split`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports import amount_orders, card_orders
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, conditions, final_clause

ROUNDS = 3  # candidate rounds (n, 4n, 16n) before the unwindowed FINAL query
_GROWTH = 4


@dataclass(frozen=True, slots=True)
class Candidates:
    """Distinct (sort value, order id) of matching rows in sort order; `exhausted`: the filter
    has no row after them (the only case where a round may hold fewer than it asked for)."""

    keys: list[tuple[Any, str]]
    exhausted: bool


@dataclass(frozen=True, slots=True)
class PageSpec:
    """What to read: `column` (created_at or amount_value, whitelisted by the caller) of SQL
    type `kind` sorts the page, ties broken by order_id; `after`: the keyset of the previous
    page's last row, (value, order_id)."""

    columns: str
    column: str
    kind: str
    descending: bool
    after: tuple[datetime | int, str] | None
    want: int  # rows to return (a page plus one, to tell whether another page follows)


def table_for(f: TransactionFilter, columns: str) -> str:
    """`orders` when one company is pinned (its sort key starts there) or a column only it
    has is read; otherwise the time-sorted copy."""
    return "orders" if len(f.company_ids) == 1 or "snapshot" in columns else "orders_by_time"


def _bound(spec: PageSpec, name: str, value: Any, order_id: str, strict: bool, upper: bool) -> tuple[str, dict]:
    """`(column, order_id)` above or below a key; the plain bound on the column alone lets
    the primary key skip granules."""
    plain = "<=" if upper else ">="
    tuple_op = plain if not strict else ("<" if upper else ">")
    sql = (
        f"{spec.column} {plain} {{{name}_v:{spec.kind}}} AND "
        f"({spec.column}, order_id) {tuple_op} ({{{name}_v:{spec.kind}}}, {{{name}_id:String}})"
    )
    return sql, {f"{name}_v": value, f"{name}_id": order_id}


def _after(spec: PageSpec) -> tuple[tuple[str, ...], dict]:
    if spec.after is None:
        return (), {}
    # Descending pages continue below the previous page's last key, ascending ones above it.
    sql, params = _bound(spec, "after", *spec.after, strict=True, upper=spec.descending)
    return (sql,), params


def _through(spec: PageSpec, last: tuple[Any, str]) -> tuple[str, dict]:
    """The window's far end: the last candidate, inclusive."""
    return _bound(spec, "through", *last, strict=False, upper=not spec.descending)


class PageReader:
    def __init__(self, clickhouse: ColumnReads, amount_cap: int = amount_orders.CAP) -> None:
        self._ch = clickhouse
        self._amount_cap = amount_cap  # tests make it small, to read the fallback

    async def rows(self, f: TransactionFilter, spec: PageSpec) -> list[tuple[Any, ...]]:
        if card_orders.applies(f):
            after, after_params = _after(spec)
            return await card_orders.page(self._ch, f, spec.columns, self._order_by(spec), after, after_params,
                                          spec.want)  # fmt: skip
        table = self._ch.table(table_for(f, spec.columns))
        n = spec.want + spec.want // 4 + 1
        near: Candidates | None = None
        if amount_orders.applies(f, spec.columns):
            # One company's amount range: grouped from the projection sorted by amount when it
            # looks sparse. A page by time, newest first, looks at this month's candidates
            # first: when they fill the round the range is dense and the two steps answer at
            # the cost they always had; when they do not, they serve the first round.
            split = _month_split(f, spec)
            if split is not None:
                near = await self._split_rows(table, f, spec, n, split, near=True, enough=spec.want)
            if near is None or (near.exhausted and len(near.keys) < n):
                after, after_params = _after(spec)
                found = await amount_orders.page(self._ch, f, spec.columns, self._order_by(spec), after,
                                                 after_params, spec.want, self._amount_cap)  # fmt: skip
                if found is not None:
                    return found
        for _ in range(ROUNDS):
            candidates = await self._candidates(table, f, spec, n, near)
            near = None
            if not candidates.keys:
                return []
            found = await self._final(table, f, spec, candidates.keys[-1])
            if len(found) >= spec.want or candidates.exhausted:
                return found[: spec.want]
            n *= _GROWTH
        return await self._final(table, f, spec, None)

    def _order_by(self, spec: PageSpec) -> str:
        direction = "DESC" if spec.descending else "ASC"
        return f"ORDER BY {spec.column} {direction}, order_id {direction}"

    async def _candidates(
        self, table: str, f: TransactionFilter, spec: PageSpec, n: int, near: Candidates | None = None
    ) -> Candidates:
        """`near`: this round's candidates on the split's near side, when already read."""
        split = _month_split(f, spec)
        if split is None:
            return await self._candidate_rows(table, f, spec, n, spec.want)
        # The latest month first, the rest only when it holds fewer than n (see _month_split).
        found = near if near is not None else await self._split_rows(table, f, spec, n, split, True, spec.want)
        if found.exhausted and len(found.keys) < n:
            older = await self._split_rows(table, f, spec, n - len(found.keys), split, False,
                                           spec.want - len(found.keys))  # fmt: skip
            found = Candidates(found.keys + older.keys, older.exhausted)
        return found

    async def _split_rows(
        self, table: str, f: TransactionFilter, spec: PageSpec, n: int, split: datetime, near: bool, enough: int
    ) -> Candidates:
        """Candidates on one side of the split: the page's side (`near`: descending, the newer) or
        the other; `enough`: the distinct orders still wanted (see _candidate_rows)."""
        newer, older = "created_at >= {split:DateTime64(3, 'UTC')}", "created_at < {split:DateTime64(3, 'UTC')}"
        side = (newer if spec.descending else older) if near else (older if spec.descending else newer)
        return await self._candidate_rows(table, f, spec, n, enough, side, {"split": split})

    async def _candidate_rows(
        self, table: str, f: TransactionFilter, spec: PageSpec, n: int, enough: int, side: str = "",
        side_params: dict[str, Any] | None = None,
    ) -> Candidates:
        """Up to `n` distinct (value, order id) in sort order, from `n` rows read, of the rows that
        meet every condition on any version (a superset of the orders whose latest version
        matches), after the keyset, and `side` (a split's, with `side_params`). Versions of one
        order are rows of their own here (the sink writes one per state change; the newest
        minutes hold several per order until merges drop the old ones): when the rows read hold
        fewer than `enough` distinct orders (the page's rows still wanted), more rows are read,
        which is cheaper than another round of both steps, and than `DISTINCT` in SQL, which
        loses the early stop of a read in order (16 vs 9 ms for 64 candidates of the largest
        company on 10 M orders). A few repeats are what the round's margin (n > want) is for."""
        c = conditions(f)
        after, after_params = _after(spec)
        parts = c.fixed + c.changing + after + ((side,) if side else ())
        params = {**c.parameters, **after_params, **(side_params or {})}
        clause = ("WHERE " + " AND ".join(parts)) if parts else ""
        limit = n
        while True:
            rows = await self._ch.query(
                f"SELECT {spec.column}, order_id FROM {table} {clause} {self._order_by(spec)} "
                "LIMIT {n:UInt32}",
                {**params, "n": limit},
                _candidate_settings(f, table),
            )
            found = list(dict.fromkeys((value, order_id) for value, order_id in rows))
            exhausted = len(rows) < limit
            if exhausted or len(found) >= min(n, enough):
                return Candidates(found[:n], exhausted and len(found) <= n)
            # As many more rows as the repeats so far suggest, with a margin: a read ahead in
            # sort order costs by its depth (an amount range is sparse in time).
            limit *= min(_GROWTH, max(2, math.ceil(1.25 * enough / len(found))))

    async def _final(
        self, table: str, f: TransactionFilter, spec: PageSpec, last: tuple[Any, str] | None
    ) -> list[tuple[Any, ...]]:
        fixed, params = _after(spec)
        if last is not None:
            through, through_params = _through(spec, last)
            fixed, params = fixed + (through,), {**params, **through_params}
        # The bounds are on created_at/amount_value and order_id: fixed, so PREWHERE too.
        where = final_clause(f, fixed)
        return await self._ch.query(
            f"SELECT {spec.columns} FROM {table} FINAL {where.sql} {self._order_by(spec)} "
            "LIMIT {want:UInt32}",
            {**where.parameters, **params, "want": spec.want},
            FINAL_SETTINGS,
        )


def _month_split(f: TransactionFilter, spec: PageSpec) -> datetime | None:
    """Where a page sorted by created_at descending splits its candidates: the first instant of
    the month of the page's upper end (the previous page's last key, the filter's end, or now).

    Reading in sort order cannot stop early across parts: ClickHouse merges one stream per part
    and starts each by reading a block, so a read over every month's parts reads ~a block of
    each (the largest company's amount-range page: 50-160 ms for 64 candidates; from this
    month's parts only, ~15 ms). Partitions are months (toYYYYMM(created_at)), so the split
    prunes the older parts; they are read only when this month has too few candidates.
    Ascending pages and pages by amount are not split (None), nor ranges within one month."""
    if spec.column != "created_at" or not spec.descending:
        return None
    upper = spec.after[0] if spec.after is not None else (f.created_to or datetime.now(UTC))
    if not isinstance(upper, datetime):
        return None
    upper = (upper if upper.tzinfo else upper.replace(tzinfo=UTC)).astimezone(UTC)
    # The bound is exclusive: an end at a month's first instant splits at the month before.
    split = (upper - timedelta(milliseconds=1)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = f.created_from
    if start is not None and (start if start.tzinfo else start.replace(tzinfo=UTC)) >= split:
        return None
    return split


def _candidate_settings(f: TransactionFilter, table: str) -> Mapping[str, Any]:
    if f.card_last4 is not None and table.endswith(".orders"):
        # Reading in key order would win over the projection sorted by last 4 digits.
        return {"optimize_read_in_order": 0}
    # Otherwise the projection only costs: when it holds every column a query reads, ClickHouse
    # may pick it and lose the read in key order (on 10 M orders a company's amount-range page
    # took ~3x longer).
    return {"optimize_use_projections": 0}
