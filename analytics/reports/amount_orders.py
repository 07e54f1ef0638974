"""One company's orders in an amount range, latest state, from the `orders` projection sorted by
(company, amount) (migration 0016) instead of the two-step FINAL page (page_window) or the
company's whole `orders FINAL` (totals).

The company's orders are sorted by time in `orders`, so a sparse amount range reads every
granule of the company (the median company's page: three queries over ~25 granules of ~19
parts, ~130 ms of CPU on 10 M orders); the projection holds only the range's rows and every
page column, so a page or the totals are one read that keeps each order's latest version as
FINAL would, as a card's read does (card_orders.latest says why it is exact).

A card has a few orders; an amount range may match millions, and grouping costs per row. So
the read takes at most CAP + 1 matching rows (any: it stops early) and counts them, and the
answer is used only when the count is at most CAP, i.e. when every matching row was read: then
it is exact. Otherwise (None) the caller reads as before. Orders whose latest version fails a
condition on a changing column (status, provider) are flagged, not filtered in SQL: the count
must come back even when no order passes. (A separate count first costs a query, ~20 ms of CPU
on 10 M orders, on every page.) page_window asks only when a range looks sparse.
"""

from __future__ import annotations

from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports.card_orders import PROJECTION_COLUMNS
from analytics.reports.filters import TransactionFilter, conditions

# Matching rows (all versions) read at most. On 10 M orders the largest company's 1,000.00-
# 5,000.00 (~6,800 rows) grouped takes ~80 ms of CPU, the median company's (~110 rows) ~45.
# A range denser than the cap pays the capped read and then the two-step path: at 10,000 that
# took the back office's largest-company 100-200 page (page and totals) from 193 to 333 ms
# p95 (bench.ui_pages); at 2,000 it is 287 ms, while ranges this small still take one read.
CAP = 2_000
_KEY_COLUMNS = ("order_id", "created_at", "amount_value", "version", "status", "provider")


def applies(f: TransactionFilter, columns: str = "") -> bool:
    """One company and an amount bound, no card (card_orders reads that: fewer rows), no end
    user or external id (the bloom filters of `orders` find those in a few granules), and only
    columns the projection holds (`columns` of a page; "" for totals)."""
    names = {name.strip() for name in columns.split(",") if name.strip()}
    return (
        len(f.company_ids) == 1 and (f.amount_min is not None or f.amount_max is not None)
        and f.card_last4 is None and f.end_user_id is None and f.external_id is None
        and names <= set(PROJECTION_COLUMNS)
    )  # fmt: skip


def _latest(
    ch: ColumnReads, f: TransactionFilter, fixed: tuple[str, ...], columns: tuple[str, ...], cap: int
) -> tuple[str, dict[str, Any]]:
    """A subquery: each matching order's latest `columns`, plus `matched_rows` (the rows read,
    at most cap + 1) and `passes` (whether the latest version meets the changing conditions)."""
    c = conditions(f)
    wanted = [col for col in PROJECTION_COLUMNS if col in columns or col in ("status", "provider")]
    where = " AND ".join((*c.fixed, *fixed))
    read_columns = ", ".join(col for col in PROJECTION_COLUMNS if col in wanted or col in ("order_id", "version"))
    read = (
        f"SELECT {read_columns}, count() OVER () AS matched_rows FROM "
        f"(SELECT {read_columns} FROM {ch.table('orders')} WHERE {where} LIMIT {{cap_rows:UInt32}})"
    )
    # Each order's latest version as FINAL takes it (card_orders says why that is exact). A
    # sort and LIMIT BY rather than card_orders' argMax grouping: ClickHouse plans it faster
    # (the median company's page on 10 M orders: 29 against 41 ms of CPU, most of it planning).
    latest = f"SELECT * FROM ({read}) ORDER BY order_id, version DESC LIMIT 1 BY order_id"
    passes = " AND ".join(c.changing) or "1"
    sql = f"SELECT {', '.join(wanted)}, matched_rows, ({passes}) AS passes FROM ({latest})"
    return sql, {**c.parameters, "cap_rows": cap + 1}


async def page(
    ch: ColumnReads, f: TransactionFilter, columns: str, order_by: str, fixed: tuple[str, ...],
    fixed_params: dict[str, Any], want: int, cap: int = CAP,
) -> list[tuple[Any, ...]] | None:  # fmt: skip
    """`columns` of the first `want` orders in `order_by` (over created_at or amount_value, then
    order_id; `fixed`: the keyset), or None when more than `cap` rows match."""
    names = tuple(name.strip() for name in columns.split(","))
    sql, params = _latest(ch, f, fixed, names + _KEY_COLUMNS, cap)
    # Orders that pass first: the page is theirs; the others only fill up the LIMIT.
    rows = await ch.query(
        f"SELECT {columns}, matched_rows, passes FROM ({sql}) "
        f"{order_by.replace('ORDER BY ', 'ORDER BY passes DESC, ', 1)} LIMIT {{want:UInt32}}",
        {**params, **fixed_params, "want": want},
    )
    if rows and rows[0][-2] > cap:
        return None
    return [row[:-2] for row in rows if row[-1]]


async def totals(ch: ColumnReads, f: TransactionFilter, cap: int = CAP) -> list[list[Any]] | None:
    """Columns (currency, count, amount, fee) by currency, or None when more than `cap` rows match."""
    sql, params = _latest(ch, f, (), ("currency", "amount_value", "fee_value"), cap)
    columns = await ch.query_columns(
        "SELECT currency, countIf(passes), sumIf(amount_value, passes), sumIf(fee_value, passes), "
        f"max(matched_rows) FROM ({sql}) GROUP BY currency ORDER BY currency",
        params,
    )
    if not columns or not columns[0]:
        return []
    if max(columns[4]) > cap:
        return None
    keep = [i for i, n in enumerate(columns[1]) if n]  # currencies with no passing order: none
    return [[column[i] for i in keep] for column in columns[:4]]
