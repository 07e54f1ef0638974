"""One company's orders by card last 4, latest state, from the `orders` projection sorted by
(company, last 4) (migration 0006) instead of `orders FINAL`.

FINAL never reads a projection, and a card's few orders are spread over the whole period: FINAL
reads the company's every granule of it (the largest company's 30 days: ~120 granules, 100-300
ms for a page or its totals), the projection a few. Each order's latest version is taken as
FINAL takes it, by the highest version (versions that tie are replays of one row): conditions
on columns no version changes select rows before grouping (all of an order's versions or none),
those on status and provider apply to the latest values. A page's rows are then read by
(order, version), without FINAL.
"""

from __future__ import annotations

from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import TransactionFilter, conditions


def applies(f: TransactionFilter) -> bool:
    """One company's card, and no condition on a column the projection lacks (end user,
    external id)."""
    return (
        f.card_last4 is not None and len(f.company_ids) == 1
        and f.end_user_id is None and f.external_id is None
    )  # fmt: skip


def latest(ch: ClickHouse, f: TransactionFilter, fixed: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """A subquery: each matching order's latest order_id, created_at, amount_value, fee_value,
    currency, version, status, provider (named as in `orders`, which the conditions name).
    `fixed`: further conditions on columns no version changes (a keyset)."""
    c = conditions(f)
    where = " AND ".join((*c.fixed, *fixed))
    # Inner aliases unlike the columns: the conditions on fixed columns must see the columns.
    sql = (
        "SELECT order_id, o_created AS created_at, o_amount AS amount_value, l_fee AS fee_value, "
        "o_currency AS currency, l_version AS version, l_status AS status, l_provider AS provider FROM ("
        " SELECT order_id, any(created_at) AS o_created, any(amount_value) AS o_amount, any(currency) AS o_currency,"
        "  max(version) AS l_version, argMax(fee_value, version) AS l_fee, argMax(status, version) AS l_status,"
        f"  argMax(provider, version) AS l_provider FROM {ch.table('orders')} WHERE {where} GROUP BY order_id)"
        + (f" WHERE {' AND '.join(c.changing)}" if c.changing else "")
    )
    return sql, dict(c.parameters)


async def totals(ch: ClickHouse, f: TransactionFilter) -> list[list[Any]]:
    """Columns (currency, count, amount, fee), by currency."""
    sql, params = latest(ch, f)
    return await ch.query_columns(
        f"SELECT currency, count(), sum(amount_value), sum(fee_value) FROM ({sql}) GROUP BY currency ORDER BY currency",
        params,
    )


async def page(
    ch: ClickHouse, f: TransactionFilter, columns: str, order_by: str, fixed: tuple[str, ...],
    fixed_params: dict[str, Any], want: int,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """`columns` of the first `want` orders in `order_by` (over columns of `latest`, then order_id)."""
    sql, params = latest(ch, f, fixed)
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
