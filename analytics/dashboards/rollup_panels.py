"""The risk dashboard's decision panels read from the hourly decision rollups (migration 0010)
plus `decisions FINAL` for what they do not cover (decision_parts.py): each query here returns
what its panel's SQL in risk.py returns over the decisions (the same columns, types and order),
counting each decision once. The panel SQL itself stays the definition (and Grafana's query);
tests/analytics/dashboards/test_rollup_panels.py compares the two on random histories.

Each builds its SQL from the hour splits of the rollups it reads (`Splits`: rollup name → split),
which the caller fetches once for every panel of a dashboard (analytics/rollups/state.py
hour_splits), so a render asks for the days' states once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Protocol

from analytics.clickhouse import Reads
from analytics.dashboards.decision_parts import (
    SETTINGS, Parts, Totals, all_live, parts_of, stored, totals_of, union,
)  # fmt: skip
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.risk import (
    ALERTS_BY_RULE, DECISIONS_BY_OUTCOME, FRAUD_RATE_BY_COMPANY, SCORE_BUCKETS, SCORE_DISTRIBUTION, TOP,
)  # fmt: skip
from analytics.rollups.definitions import DECISIONS, NO_SCORE, RULE_HITS, Rollup
from analytics.rollups.hours import HourSplit

_OUTCOMES = (
    "sumIf(n, outcome = 'approved') AS approved, sumIf(n, outcome = 'in_review') AS in_review, "
    "sumIf(n, outcome = 'declined') AS declined"
)
_HITS = (
    "arrayConcat(arrayMap(r -> (toUInt8(1), r), fired_rules), arrayMap(r -> (toUInt8(0), r), shadow_rules))"
)
_RANGE = "{from:DateTime64(3, 'UTC')}", "{to:DateTime64(3, 'UTC')}"
_DAY_START = "toDateTime(day, 'UTC')"  # a daily row's time, typed as the hourly rows' hour
Sql = tuple[str, dict[str, Any]]
Splits = Mapping[str, HourSplit]


def _parts_sql(ch: Reads, p: Parts, rollup_table: str, rollup_select: str, rollup_group: str,
               live_select: str, live_group: str, array_join: str = "", totals: Totals | None = None) -> str:  # fmt: skip
    """One UNION ALL of the rollup's rows and the live rows, grouped alike; with `totals` (its
    select: the same result columns as `rollup_select`), every company's whole days from the
    rollup's daily totals (migration 0015)."""
    live = (
        None if p.live is None
        else f"SELECT {live_select} FROM {ch.table(p.table)} FINAL {array_join} {p.live} GROUP BY {live_group}"
    )  # fmt: skip
    return union(*stored(ch.table(rollup_table), rollup_select, p, rollup_group, totals), live)


def decisions_by_outcome(ch: Reads, q: PanelQuery, splits: Splits) -> Sql:
    # Hour rows serve hour and day buckets (both align to the epoch); minutes are read live.
    hourly = q.bucket_seconds % 3600 == 0
    p = parts_of(splits[DECISIONS.name] if hourly else all_live(q.time_from, q.time_to), q.company_id)
    bucket = "toStartOfInterval({column}, INTERVAL {{bucket_s:UInt32}} SECOND)"
    # Day buckets (both align to the epoch) hold whole days: every hour of a day in its day's.
    daily = q.bucket_seconds % 86400 == 0
    inner = _parts_sql(
        ch, p, DECISIONS.target,
        f"{bucket.format(column='hour')} AS time, outcome, sum(decisions) AS n", "time, outcome",
        f"{bucket.format(column='at')} AS time, outcome, count() AS n", "time, outcome",
        totals=totals_of(ch, DECISIONS, f"{bucket.format(column=_DAY_START)} AS time, outcome, sum(decisions) AS n")
        if daily else None,
    )  # fmt: skip
    return f"SELECT time, {_OUTCOMES} FROM ({inner}) GROUP BY time ORDER BY time", p.params


def score_distribution(ch: Reads, q: PanelQuery, splits: Splits) -> Sql:
    p = parts_of(splits[DECISIONS.name], q.company_id)
    live_bucket = f"least(toUInt8(floor(score * {SCORE_BUCKETS})), {SCORE_BUCKETS - 1})"
    scored = f" AND score_bucket != {NO_SCORE}"
    p = replace(
        p, whole=None if p.whole is None else p.whole + scored, partial=None if p.partial is None else p.partial + scored,
        live=None if p.live is None else f"{p.live} WHERE score >= 0",
    )  # fmt: skip
    rows = "score_bucket AS b, outcome, sum(decisions) AS n"
    inner = _parts_sql(
        ch, p, DECISIONS.target, rows, "b, outcome", f"{live_bucket} AS b, outcome, count() AS n", "b, outcome",
        totals=totals_of(ch, DECISIONS, rows),
    )  # fmt: skip
    return (
        f"SELECT toDecimalString(b / {SCORE_BUCKETS}, 2) AS score, approved, in_review, declined FROM ("
        f"SELECT b, {_OUTCOMES} FROM ({inner}) GROUP BY b ORDER BY b WITH FILL FROM 0 TO {SCORE_BUCKETS})",
        p.params,
    )


def alerts_by_rule(ch: Reads, q: PanelQuery, splits: Splits) -> Sql:
    p = parts_of(splits[RULE_HITS.name], q.company_id)
    rows = "splitByChar('@', rule)[1] AS name, fired AS kind, sum(hits) AS n"
    inner = _parts_sql(
        ch, p, RULE_HITS.target, rows, "name, kind",
        "splitByChar('@', hit.2)[1] AS name, hit.1 AS kind, count() AS n", "name, kind",
        f"ARRAY JOIN {_HITS} AS hit", totals_of(ch, RULE_HITS, rows),
    )  # fmt: skip
    return (
        f"SELECT name AS rule, sumIf(n, kind = 1) AS fired, sumIf(n, kind = 0) AS shadow FROM ({inner}) "
        "GROUP BY rule ORDER BY fired + shadow DESC, rule LIMIT 30",
        p.params,
    )


def fraud_rate_by_company(ch: Reads, q: PanelQuery, splits: Splits) -> Sql:
    p = parts_of(splits[DECISIONS.name], q.company_id)
    inner = _parts_sql(
        ch, p, DECISIONS.target, "company_id, outcome, sum(decisions) AS n", "company_id, outcome",
        "company_id, outcome, count() AS n", "company_id, outcome",
    )  # fmt: skip
    start, end = _RANGE
    return (
        "SELECT d.company_id AS company_id, round(r.confirmed / d.orders, 5) AS fraud_rate, "
        "round(d.declined / d.orders, 5) AS decline_rate, d.orders AS orders, d.declined AS declined, "
        "r.confirmed AS confirmed_fraud "
        f"FROM (SELECT company_id, sum(n) AS orders, sumIf(n, outcome = 'declined') AS declined FROM ({inner}) "
        "GROUP BY company_id) AS d "
        f"LEFT JOIN (SELECT company_id, uniqExact(order_id) AS confirmed FROM {ch.table('fraud_reports')} "
        f"WHERE reported_at >= {start} AND reported_at < {end} "
        "AND ({company_id:String} = '' OR company_id = {company_id:String}) "
        "GROUP BY company_id) AS r ON r.company_id = d.company_id "
        f"ORDER BY fraud_rate DESC, decline_rate DESC, company_id LIMIT {TOP}",
        p.params,
    )


class PanelRead(Protocol):
    """A panel read from rollups (reads.ClickHousePanels): `rows` answers its panel's SQL."""

    @property
    def rollups(self) -> tuple[Rollup, ...]:
        """Whose hour splits `rows` needs (`splits` holds them, by rollup name)."""
        ...

    async def rows(
        self, ch: Reads, q: PanelQuery, splits: Splits, params: Mapping[str, Any]
    ) -> Sequence[tuple[Any, ...]]:
        """`params`: the panel SQL's own (from, to, bucket_s, company_id)."""
        ...


@dataclass(frozen=True, slots=True)
class RollupPanel:
    rollups: tuple[Rollup, ...]  # whose hour splits `sql` reads
    sql: Callable[[Reads, PanelQuery, Splits], Sql]

    async def rows(
        self, ch: Reads, q: PanelQuery, splits: Splits, params: Mapping[str, Any]
    ) -> Sequence[tuple[Any, ...]]:
        sql, parts_params = self.sql(ch, q, splits)
        return await ch.query(sql, {**params, **parts_params}, settings=SETTINGS)


# The panels over decisions; the others read their own small tables as their SQL says.
ROLLUP_PANELS: Mapping[str, RollupPanel] = MappingProxyType({
    DECISIONS_BY_OUTCOME.id: RollupPanel((DECISIONS,), decisions_by_outcome),
    SCORE_DISTRIBUTION.id: RollupPanel((DECISIONS,), score_distribution),
    ALERTS_BY_RULE.id: RollupPanel((RULE_HITS,), alerts_by_rule),
    FRAUD_RATE_BY_COMPANY.id: RollupPanel((DECISIONS,), fraud_rate_by_company),
})  # fmt: skip
