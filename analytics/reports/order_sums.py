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
condition (end user, card, external id) needs single orders: the whole period is read live
from `orders`, as before the rollups. A card's totals for one company are read from the `orders`
projection sorted by (company, last 4) instead (analytics/reports/card_orders.py).

An amount range: one company's is first tried from the `orders` projection sorted by (company,
amount), one read when it matches at most amount_orders.CAP rows (analytics/reports/
amount_orders.py). Otherwise, when at least one amount band lies wholly in the range, from
order_amounts_daily, the same groups by amount band (migration 0017): whole bands of clean days
from there, the pieces of bands at the range's ends on those days and the whole range on the
other days from single orders. Else live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from analytics.clickhouse import ColumnReads
from analytics.reports import amount_orders, card_orders
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, conditions, final_clause
from analytics.reports.page_window import table_for
from analytics.rollups.amount_bands import Cover, cover
from analytics.rollups.definitions import ORDER_AMOUNTS, ORDERS
from analytics.rollups.plan import day_ranges
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
    return f.amount_min is None and f.amount_max is None and banded_applies(f)


def banded_applies(f: TransactionFilter) -> bool:
    """Whether every condition of the filter is on a column order_amounts_daily keeps (an
    amount range is whole bands there plus pieces from single orders)."""
    return f.end_user_id is None and f.card_last4 is None and f.external_id is None


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
        if not live and banded_applies(f):
            amounts = cover(f.amount_min, f.amount_max)
            if amounts.whole:
                return await _from_rollup(ch, keys, f, group, amounts)
        return await _live(ch, keys, f, group)
    return await _from_rollup(ch, keys, f, group)


async def _from_rollup(
    ch: ColumnReads, keys: Sequence[Key], f: TransactionFilter, group: str, amounts: Cover | None = None
) -> list[list[Any]]:
    """orders_daily's clean whole days plus the rest live; with `amounts` (the filter's amount
    range as bands): order_amounts_daily's whole bands instead, plus the pieces of bands on those
    days from single orders."""
    rollup = ORDERS if amounts is None else ORDER_AMOUNTS
    split = await period_split(ch, rollup, f.created_from, f.created_to)
    undated = replace(f, created_from=None, created_to=None)  # the split bounds the period
    unbanded = replace(undated, amount_min=None, amount_max=None)  # the bands stand for the range
    c = conditions(unbanded)
    table = ch.table(table_for(f, ""))
    parts, params = [], dict(c.parameters)
    if split.rollup_days:
        stored, stored_params = computation_condition(split.rollup_days)
        where = [stored, *c.fixed, *c.changing]
        params |= stored_params
        if amounts is not None and amounts.first_band is not None:
            where.append("amount_band >= {first_band:Int64}")
            params["first_band"] = amounts.first_band
        if amounts is not None and amounts.last_band is not None:
            where.append("amount_band <= {last_band:Int64}")
            params["last_band"] = amounts.last_band
        parts.append(
            f"SELECT {_select(k.rollup for k in keys)}currency, sum(orders) AS n, sum(amount) AS a, "
            f"sum(fee) AS fe FROM {ch.table(rollup.target)} WHERE {' AND '.join(where)} GROUP BY {group}"
        )
        if amounts is not None and amounts.pieces:
            # The same days from single orders, in the pieces only (the days' time and the
            # amounts are fixed columns: PREWHERE, before FINAL).
            days, days_params = range_condition("created_at", day_ranges(d for d, _ in split.rollup_days), "day")
            pieces = []
            for i, (low, high) in enumerate(amounts.pieces):
                pieces.append(f"(amount_value >= {{piece{i}_low:Int64}} AND amount_value <= {{piece{i}_high:Int64}})")
                params |= {f"piece{i}_low": low, f"piece{i}_high": high}
            part, part_params = _live_part(table, keys, unbanded, (days, f"({' OR '.join(pieces)})"), group)
            parts.append(part)
            params |= days_params | part_params
    if split.live:
        ranges, range_params = range_condition("created_at", split.live, "live")
        part, part_params = _live_part(table, keys, undated, (ranges,), group)  # the whole amount range
        parts.append(part)
        params |= range_params | part_params
    if not parts:
        return []  # an empty period
    if any(k.day for k in keys) and amounts is None:
        # Rollup days and live ranges never share a day, so no group is in both parts: no
        # second aggregation (a 90-day aggregate by day and company is ~18,000 groups). The
        # pieces of bands share the rollup's days.
        return await ch.query_columns(
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) ORDER BY {group}", params, FINAL_SETTINGS
        )
    return await ch.query_columns(
        f"SELECT {group}, sum(n), sum(a), sum(fe) FROM ({' UNION ALL '.join(parts)}) "
        f"GROUP BY {group} ORDER BY {group}",
        params,
        FINAL_SETTINGS,
    )


def _live_part(
    table: str, keys: Sequence[Key], f: TransactionFilter, fixed: tuple[str, ...], group: str
) -> tuple[str, dict[str, Any]]:
    """`f`'s orders (latest state) that also meet `fixed` (conditions on fixed columns) summed."""
    w = final_clause(f, fixed)
    return (
        f"SELECT {_select(k.live for k in keys)}currency, count() AS n, sum(amount_value) AS a, "
        f"sum(fee_value) AS fe FROM {table} FINAL {w.sql} GROUP BY {group}",
        w.parameters,
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
