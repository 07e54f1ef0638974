"""One company's orders by card last 4, latest state, from the `orders` projection sorted by
(company, last 4) (migrations 0006, 0014, 0016) instead of `orders FINAL`; amount_orders reads an
amount range the same way, from the projection sorted by (company, amount).

FINAL never reads a projection, and a card's few orders are spread over the whole period: FINAL
reads the company's every granule of it (the largest company's 30 days: ~120 granules, 100-300
ms for a page or its totals), the projection a few. Each order's latest version is taken as
FINAL takes it, by the highest version (versions that tie are replays of one row): conditions
on columns no version changes select rows before grouping (all of an order's versions or none),
those on status and provider apply to the latest values. The projection holds every column of
a transactions page (0014), so a page is one read of it; a page of other columns (the stored
JSON) reads its rows by (order, version) from `orders`, a granule per order.
"""

from __future__ import annotations

from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports.filters import FIXED_COLUMNS, TransactionFilter, conditions

# The projection's columns (migration 0014): the only ones `latest` can return.
PROJECTION_COLUMNS = (
    "order_id", "company_id", "product_id", "product_type", "provider", "amount_value", "fee_value",
    "currency", "status", "status_reason", "recipient_kind", "card_bin", "card_last4", "end_user_id",
    "external_id", "sandbox", "created_at", "updated_at", "version",
)  # fmt: skip
_KEY_COLUMNS = ("order_id", "created_at", "amount_value", "version", "status", "provider")


def applies(f: TransactionFilter) -> bool:
    """One company's card, and no condition on a column the projection lacks (end user,
    external id)."""
    return (
        f.card_last4 is not None and len(f.company_ids) == 1
        and f.end_user_id is None and f.external_id is None
    )  # fmt: skip


def latest_value(column: str) -> str:
    if column == "version":
        return "max(version) AS l_version"
    if column in FIXED_COLUMNS:  # every version agrees
        return f"any({column}) AS l_{column}"
    return f"argMax({column}, version) AS l_{column}"


def latest(
    ch: ColumnReads, f: TransactionFilter, fixed: tuple[str, ...] = (),
    columns: tuple[str, ...] = ("order_id", "created_at", "amount_value", "fee_value", "currency", "version",
                                "status", "provider"),
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """A subquery: each matching order's latest `columns` (of PROJECTION_COLUMNS, named as in
    `orders`, which the conditions name; status and provider are always there for them).
    `fixed`: further conditions on columns no version changes (a keyset)."""
    c = conditions(f)
    wanted = [col for col in PROJECTION_COLUMNS if col in columns or col in ("status", "provider")]
    where = " AND ".join((*c.fixed, *fixed))
    # Inner aliases unlike the columns: the conditions on fixed columns must see the columns.
    inner = ", ".join(latest_value(col) for col in wanted if col != "order_id")
    outer = ", ".join("order_id" if col == "order_id" else f"l_{col} AS {col}" for col in wanted)
    sql = (
        f"SELECT {outer} FROM (SELECT order_id, {inner} FROM {ch.table('orders')} WHERE {where} GROUP BY order_id)"
        + (f" WHERE {' AND '.join(c.changing)}" if c.changing else "")
    )
    return sql, dict(c.parameters)


async def totals(ch: ColumnReads, f: TransactionFilter) -> list[list[Any]]:
    """Columns (currency, count, amount, fee), by currency."""
    sql, params = latest(ch, f, columns=("currency", "amount_value", "fee_value"))
    return await ch.query_columns(
        f"SELECT currency, count(), sum(amount_value), sum(fee_value) FROM ({sql}) GROUP BY currency ORDER BY currency",
        params,
    )


async def page(
    ch: ColumnReads, f: TransactionFilter, columns: str, order_by: str, fixed: tuple[str, ...],
    fixed_params: dict[str, Any], want: int,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """`columns` of the first `want` orders in `order_by` (over created_at or amount_value,
    then order_id)."""
    names = tuple(name.strip() for name in columns.split(","))
    if set(names) <= set(PROJECTION_COLUMNS):
        sql, params = latest(ch, f, fixed, names + _KEY_COLUMNS)
        return await ch.query(
            f"SELECT {columns} FROM ({sql}) {order_by} LIMIT {{want:UInt32}}",
            {**params, **fixed_params, "want": want},
        )
    sql, params = latest(ch, f, fixed, _KEY_COLUMNS)
    keys = await ch.query(
        f"SELECT order_id, created_at, version FROM ({sql}) {order_by} LIMIT {{want:UInt32}}",
        {**params, **fixed_params, "want": want},
    )
    if not keys:
        return []
    # The primary key (company, created_at, order_id) finds each row's granule; the pair picks
    # the version. A replayed version is the same row twice: one is kept.
    return await ch.query(
        f"SELECT {columns} FROM {ch.table('orders')} "
        "PREWHERE company_id = {company_id:String} AND created_at IN {k_ats:Array(DateTime64(3, 'UTC'))} "
        "AND order_id IN {k_ids:Array(String)} WHERE (order_id, version) IN {k_pairs:Array(Tuple(String, UInt32))} "
        f"{order_by} LIMIT 1 BY order_id",
        {"company_id": f.company_ids[0], "k_ats": [k[1] for k in keys], "k_ids": [k[0] for k in keys],
         "k_pairs": [(k[0], k[2]) for k in keys]},  # fmt: skip
    )
