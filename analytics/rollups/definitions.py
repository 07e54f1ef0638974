"""The rollups: which table they summarise, by which day column, into which groups.

Group columns of the orders and ledger rollups keep their source names in the rollup table, so
a report filter's conditions (analytics.reports.filters.conditions) apply to either table as
they are. The decision rollups group by computed keys (`computed`: the hour, the score bucket,
a rule hit) inside each day; a day is still what is marked and recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# What an entry does to available and to reserved (statements and ledger_daily sum the same).
AVAILABLE_DELTA = "multiIf(target = 'available', amount, source = 'available', -amount, 0)"
RESERVED_DELTA = "multiIf(target = 'reserved', amount, source = 'reserved', -amount, 0)"


@dataclass(frozen=True, slots=True)
class Rollup:
    name: str  # its rows in rollup_days and rollup_dirty
    source: str  # a ReplacingMergeTree, read with FINAL
    time_column: str  # the day of a row is toDate(time_column) (a UTC DateTime64)
    target: str  # the rollup table: (day, computed_from, *keys, *measures)
    keys: tuple[str, ...]  # group columns: same name in source and target unless computed
    measures: tuple[tuple[str, str], ...]  # (target column, aggregate over the source)
    # Keys computed from the source: target column -> expression (never a source column's name)
    computed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    array_join: str = ""  # `ARRAY JOIN …` after `FROM source FINAL`: one row per element

    def key_expression(self, key: str) -> str:
        return f"{self.computed[key]} AS {key}" if key in self.computed else key


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

# The score panel's bucket (analytics.dashboards.risk.SCORE_BUCKETS of width 0.05, a score of 1
# in the last); 255 for a decision without a model score (score < 0), which that panel leaves out.
SCORE_BUCKET = "if(score >= 0, least(toUInt8(floor(score * 20)), 19), 255)"
NO_SCORE = 255
HOUR = "toStartOfHour(toDateTime(at, 'UTC'))"

DECISIONS = Rollup(
    name="decisions",
    # The same rows as `decisions`, sorted by time (migration 0010, as orders_by_time above).
    source="decisions_by_time",
    time_column="at",
    target="decisions_hourly",
    keys=("company_id", "hour", "outcome", "score_bucket"),
    measures=(("decisions", "count()"),),
    computed=MappingProxyType({"hour": HOUR, "score_bucket": SCORE_BUCKET}),
)

RULE_HITS = Rollup(
    name="rule_hits",
    source="decisions_by_time",
    time_column="at",
    target="rule_hits_hourly",
    keys=("company_id", "hour", "rule", "fired"),
    measures=(("hits", "count()"),),
    computed=MappingProxyType({"hour": HOUR, "rule": "hit.2", "fired": "hit.1"}),
    # Each fired and each shadow rule of a decision: one row, as the panels' ARRAY JOIN counts.
    array_join=(
        "ARRAY JOIN arrayConcat(arrayMap(r -> (toUInt8(1), r), fired_rules), "
        "arrayMap(r -> (toUInt8(0), r), shadow_rules)) AS hit"
    ),
)

# The sink marks both decision rollups for every batch of decisions (marks.MarkDays).
DECISION_ROLLUPS = (DECISIONS, RULE_HITS)
ROLLUPS = (ORDERS, LEDGER, *DECISION_ROLLUPS)
