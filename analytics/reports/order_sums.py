"""Count, amount and fee of the orders (latest state) a filter matches, grouped by some keys and
currency: from the daily rollup (orders_daily) for whole clean days when the filter allows,
and from `orders FINAL` for everything else.

The rollup answers a filter that only narrows by what it groups by (company, status, product
type and id, provider, currency, sandbox) and by created_at: a whole UTC day in the period is
read from the day's latest computation when that day is clean (analytics.rollups.refresh says
why that equals the live answer); partial days at the edges, dirty days and days without a
rollup are read live, as few created_at ranges in the same query, from `orders_by_time` (the
same rows sorted by time, migration 0006) unless one company is pinned: a day of every company
is a few granules there, but hundreds in `orders`, whose granules are per company. Any other
condition (amount, end user, card, external id) needs single orders: the whole period is read
live from `orders`, as before the rollups. A card's totals for one company are read from the
`orders` projection sorted by (company, last 4) instead (analytics/reports/card_orders.py), and
an amount range's for one company from the one sorted by (company, amount) when it matches at
most amount_orders.CAP rows (analytics/reports/amount_orders.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports import amount_orders, card_orders
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, conditions, final_clause
from analytics.reports.page_window import table_for
from analytics.rollups.definitions import ORDERS
from analytics.rollups.ranges import computation_condition, range_condition
from analytics.rollups.state import period_split


@dataclass(frozen=True, slots=True)
class Key:
    """One grouping: the same value as an expression over orders_daily and over orders.
    `day`: the UTC day of created_at, which tells the rollup's rows from the live ones."""

    rollup: str
    live: str
    day: bool = False


def rollup_applies(f: TransactionFilter) -> bool:
    """Whether every condition of the filter is on a column orders_daily keeps."""
    return (
        f.amount_min is None and f.amount_max is None and f.end_user_id is None
        and f.card_last4 is None and f.external_id is None
    )  # fmt: skip


async def order_sums(
    ch: ColumnReads, keys: Sequence[Key], f: TransactionFilter, *, live: bool = False
) -> list[list[Any]]:
    """Columns (*keys, currency, count, amount, fee) of rows ordered by keys then currency
    (ClickHouse.query_columns: keys are Strings, sums integers). `live`: read `orders FINAL`
    only, as before the rollups (what the rollup must equal; tests and the bench compare)."""
    names = [f"g{i}" for i in range(len(keys))]
    group = ", ".join([*names, "currency"])
    if live or not rollup_applies(f):
        if not live and not keys and card_orders.applies(f):
            return await card_orders.totals(ch, f)
        if not live and not keys and amount_orders.applies(f):
            found = await amount_orders.totals(ch, f)
            if found is not None:  # else too many rows match for one grouped read
                return found
        return await _live(ch, keys, f, group)
    split = await period_split(ch, ORDERS, f.created_from, f.created_to)
    undated = replace(f, created_from=None, created_to=None)  # the split bounds the period
    c = conditions(undated)
    parts, params = [], dict(c.parameters)
    if split.rollup_days:
        stored, stored_params = computation_condition(split.rollup_days)
        where = " AND ".join([stored, *c.fixed, *c.changing])
        parts.append(
            f"SELECT {_select(k.rollup for k in keys)}currency, sum(orders) AS n, sum(amount) AS a, "
            f"sum(fee) AS fe FROM {ch.table(ORDERS.target)} WHERE {where} GROUP BY {group}"
        )
        params |= stored_params
    if split.live:
        ranges, range_params = range_condition("created_at", split.live, "live")
        w = final_clause(undated, (ranges,))
        table = ch.table(table_for(f, ""))
        parts.append(
            f"SELECT {_select(k.live for k in keys)}currency, count() AS n, sum(amount_value) AS a, "
            f"sum(fee_value) AS fe FROM {table} FINAL {w.sql} GROUP BY {group}"
        )
        params |= range_params
    if not parts:
        return []  # an empty period
    if any(k.day for k in keys):
        # Rollup days and live ranges never share a day, so no group is in both parts: no
        # second aggregation (a 90-day aggregate by day and company is ~18,000 groups).
        return await ch.query_columns(
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {group}", params, FINAL_SETTINGS
        )
    return await ch.query_columns(
        f"SELECT {group}, sum(n), sum(a), sum(fe) FROM ({' UNION ALL '.join(parts)}) "
        f"GROUP BY {group} ORDER BY {group}",
        params,
        FINAL_SETTINGS,
    )


def _select(expressions: Any) -> str:
    return "".join(f"{e} AS g{i}, " for i, e in enumerate(expressions))


async def _live(ch: ColumnReads, keys: Sequence[Key], f: TransactionFilter, group: str) -> list[list[Any]]:
    where = final_clause(f)
    return await ch.query_columns(
        f"SELECT {_select(k.live for k in keys)}currency, count(), sum(amount_value), sum(fee_value) "
        f"FROM {ch.table('orders')} FINAL {where.sql} GROUP BY {group} ORDER BY {group}",
        where.parameters,
        FINAL_SETTINGS,
    )
