"""The two daily rollups: which table they summarise, by which day column, into which groups.

Group columns keep their source names in the rollup table, so a report filter's conditions
(analytics.reports.filters.conditions) apply to either table as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

# What an entry does to available and to reserved (statements and ledger_daily sum the same).
AVAILABLE_DELTA = "multiIf(target = 'available', amount, source = 'available', -amount, 0)"
RESERVED_DELTA = "multiIf(target = 'reserved', amount, source = 'reserved', -amount, 0)"


@dataclass(frozen=True, slots=True)
class Rollup:
    name: str  # its rows in rollup_days and rollup_dirty
    source: str  # a ReplacingMergeTree, read with FINAL
    time_column: str  # the day of a row is toDate(time_column) (a UTC DateTime64)
    target: str  # the rollup table: (day, computed_from, *keys, *measures)
    keys: tuple[str, ...]  # group columns: same name in source and target
    measures: tuple[tuple[str, str], ...]  # (target column, aggregate over the source)


ORDERS = Rollup(
    name="orders",
    # The same rows as `orders`, sorted by time (migration 0006: a materialized view writes
    # every inserted row, within the insert, so they are visible before the sink's mark): a day
    # of every company is a few granules there, hundreds in `orders`.
    source="orders_by_time",
    time_column="created_at",
    target="orders_daily",
    keys=("company_id", "currency", "product_type", "product_id", "provider", "status", "sandbox"),
    measures=(("orders", "count()"), ("amount", "sum(amount_value)"), ("fee", "sum(fee_value)")),
)

LEDGER = Rollup(
    name="ledger",
    source="ledger_entries",
    time_column="at",
    target="ledger_daily",
    keys=("company_id", "currency", "kind"),
    measures=(
        ("entries", "count()"),
        ("amount", "sum(amount)"),
        ("available_delta", f"sum({AVAILABLE_DELTA})"),
        ("reserved_delta", f"sum({RESERVED_DELTA})"),
    ),
)

ROLLUPS = (ORDERS, LEDGER)
