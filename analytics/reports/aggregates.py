"""Aggregates of orders (latest state) by day, company, product type and/or status, per
currency: count, amount and fee in minor units. The date range and any other narrowing come
from the shared TransactionFilter; grouping expressions come from a whitelist."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from analytics.clickhouse import ClickHouse
from analytics.reports.filters import FINAL_SETTINGS, TransactionFilter, final_clause


class GroupBy(str, enum.Enum):
    DAY = "day"
    COMPANY = "company"
    PRODUCT_TYPE = "product_type"
    STATUS = "status"


# The only expressions a grouping can put into SQL (days are UTC calendar days).
_EXPRESSIONS: Mapping[GroupBy, str] = MappingProxyType(
    {
        GroupBy.DAY: "toString(toDate(created_at))",
        GroupBy.COMPANY: "company_id",
        GroupBy.PRODUCT_TYPE: "product_type",
        GroupBy.STATUS: "status",
    }
)


@dataclass(frozen=True, slots=True)
class AggregateRow:
    keys: tuple[str, ...]  # one per grouping, in the order asked for (a day as YYYY-MM-DD)
    currency: str
    count: int
    amount: int  # minor units
    fee: int


async def aggregate_orders(
    clickhouse: ClickHouse, group_by: Sequence[GroupBy], f: TransactionFilter
) -> list[AggregateRow]:
    """Rows ordered by the keys, then currency. `group_by`: 1-4 distinct groupings."""
    groupings = [GroupBy(g) for g in group_by]
    if not groupings or len(set(groupings)) != len(groupings):
        raise ValueError("group by one or more distinct groupings")
    keys = [f"{_EXPRESSIONS[g]} AS g{i}" for i, g in enumerate(groupings)]
    names = ", ".join(f"g{i}" for i in range(len(groupings)))
    where = final_clause(f)
    rows = await clickhouse.query(
        f"SELECT {', '.join(keys)}, currency, count(), sum(amount_value), sum(fee_value) "
        f"FROM {clickhouse.table('orders')} FINAL {where.sql} "
        f"GROUP BY {names}, currency ORDER BY {names}, currency",
        where.parameters,
        FINAL_SETTINGS,
    )
    width = len(groupings)
    return [
        AggregateRow(tuple(str(k) for k in r[:width]), r[width], int(r[width + 1]),
                     int(r[width + 2]), int(r[width + 3]))
        for r in rows
    ]  # fmt: skip


class ClickHouseAggregates:
    """`aggregate_orders` as an object, for the staff report service."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._ch = clickhouse

    async def aggregate(self, group_by: Sequence[GroupBy], f: TransactionFilter) -> list[AggregateRow]:
        return await aggregate_orders(self._ch, group_by, f)
