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

from analytics.rollups.amount_bands import AMOUNT_BAND

# What an entry does to available and to reserved (statements and ledger_daily sum the same).
AVAILABLE_DELTA = "multiIf(target = 'available', amount, source = 'available', -amount, 0)"
RESERVED_DELTA = "multiIf(target = 'reserved', amount, source = 'reserved', -amount, 0)"


@dataclass(frozen=True, slots=True)
class Join:
    """`LEFT JOIN (SELECT {select} FROM {table} FINAL PREWHERE <days> WHERE {where} GROUP BY {group})
    AS {alias} ON {on}`: <days> is the computed days (or a read's live ranges) as a condition on
    `time_column` (the first of the table's key, so filtering before FINAL merges is exact), so
    a day's computation reads the joined table's same day only; `where` applies after FINAL."""

    table: str
    time_column: str
    select: str
    where: str
    group: str
    alias: str
    on: str

    def sql(self, table: str, days: str) -> str:
        """`table`: the database-qualified `self.table`; `days`: the condition on time_column."""
        return (
            f"LEFT JOIN (SELECT {self.select} FROM {table} FINAL PREWHERE {days} WHERE {self.where} "
            f"GROUP BY {self.group}) AS {self.alias} ON {self.on}"
        )


@dataclass(frozen=True, slots=True)
class DailyTotals:
    """A rollup's rows summed over everything but `keys` per (day, computed_from): every
    company's whole days in a few rows (migration 0015). Written by each computation from its
    own rows, with its computed_from (refresh.recompute), so a computation's totals are its
    rows' sums, and taken by the same (day, computed_from) as its rows."""

    table: str  # (day, computed_from, *keys, *measures)
    keys: tuple[str, ...]  # columns of the rollup's target kept
    measures: tuple[str, ...]  # measure columns of the rollup's target, summed


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
    join: Join | None = None  # a LEFT JOIN after `FROM source FINAL`, over the same days
    # Whose dirty marks make a day of this rollup dirty: its own name unless its sources are
    # written by sinks that mark other rollups (the same source rows and time column).
    marked_by: tuple[str, ...] = ()
    totals: DailyTotals | None = None  # also written by each computation

    @property
    def marks(self) -> tuple[str, ...]:
        return self.marked_by or (self.name,)

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

# The same groups by amount band as well (analytics/rollups/amount_bands.py, migration 0017): the
# totals and aggregates of an amount range. A day of it is computed from the same rows as
# orders_daily's, marked by the same marks, but on its own: the two tables never mix in a read.
ORDER_AMOUNTS = Rollup(
    name="order_amounts",
    source=ORDERS.source,
    time_column=ORDERS.time_column,
    target="order_amounts_daily",
    keys=(*ORDERS.keys, "amount_band"),
    measures=ORDERS.measures,
    computed=MappingProxyType({"amount_band": AMOUNT_BAND}),
    marked_by=(ORDERS.name,),
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
    totals=DailyTotals("decisions_daily_totals", ("outcome", "score_bucket"), ("decisions",)),
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
    totals=DailyTotals("rule_hits_daily_totals", ("rule", "fired"), ("hits",)),
)

# The top-suspects panels' scores: the highest of each flagged order's decision (its latest
# copy: FINAL), as the panels take it. A decision's `at` is its order's created_at (intake stamps
# both with the receive time, analytics/dashboards/risk.py), so an order's day holds its decision.
FLAGGED_SCORES = Join(
    table="flagged_decisions",
    time_column="at",
    select="order_id AS scored_order, max(score) AS score",
    where="outcome IN ('declined', 'in_review')",
    group="scored_order",
    alias="d",
    on="d.scored_order = order_id",
)

# Flagged (held or declined) orders per company, hour, end user and recipient, with their
# counts by outcome and highest score: the top-suspects panels sum these over a range. About one
# row per flagged order (an end user rarely has two in an hour); what it saves is the panels'
# FINAL merge and score join of every flagged order of the range. Its sources are copies that
# materialized views write within the inserts into `orders` and `decisions`, whose sinks mark
# the days of the `orders` and `decisions` rollups: those marks are this rollup's.
# The top lists' groups hashed (analytics/dashboards/suspect_panels.py says why that stays exact).
END_USER_HASH = "cityHash64(company_id, end_user_id)"
RECIPIENT_HASH = "cityHash64(recipient, recipient_kind, card)"

SUSPECTS = Rollup(
    name="suspects",
    source="flagged_orders",
    time_column="created_at",
    target="suspects_hourly",
    keys=("company_id", "hour", "end_user_id", "recipient_kind", "recipient", "card", "end_user_hash",
          "recipient_hash"),  # fmt: skip
    measures=(
        ("declined", "countIf(outcome = 'declined')"),
        ("in_review", "countIf(outcome = 'in_review')"),
        ("max_score", "max(d.score)"),  # NULL: no decision stored for any of them
    ),
    computed=MappingProxyType({
        "hour": "toStartOfHour(toDateTime(created_at, 'UTC'))", "end_user_hash": END_USER_HASH,
        "recipient_hash": RECIPIENT_HASH,
    }),  # fmt: skip
    join=FLAGGED_SCORES,
    marked_by=(ORDERS.name, DECISIONS.name),
)

# The sink marks both decision rollups for every batch of decisions (marks.MarkDays).
DECISION_ROLLUPS = (DECISIONS, RULE_HITS)
ROLLUPS = (ORDERS, ORDER_AMOUNTS, LEDGER, *DECISION_ROLLUPS, SUSPECTS)
