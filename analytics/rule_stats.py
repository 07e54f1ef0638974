"""Rule hit statistics (`/admin/risk/rules`): hits per rule version, enforced and shadow, and the
number of decisions, over [from, to) and optionally one company, counting each decision once
(as `decisions FINAL`). Whole clean hours come from the hourly rollups of migration 0010, the
rest from `decisions FINAL` (analytics/dashboards/decision_parts.py); every company's whole days
from their daily totals (migration 0015)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.clickhouse import Reads
from analytics.dashboards.decision_parts import SETTINGS, decision_parts, stored, totals_of, union
from analytics.rollups.definitions import DECISIONS, RULE_HITS
from domain.fraud_views import RuleHits, RuleStats

_AT = "DateTime64(3, 'UTC')"
_HITS = (
    "ARRAY JOIN arrayConcat(arrayMap(r -> (toUInt8(1), r), fired_rules), "
    "arrayMap(r -> (toUInt8(0), r), shadow_rules)) AS hit"
)


async def rule_stats(
    ch: Reads, at_from: datetime, at_to: datetime, company_id: str | None, *, live: bool = False
) -> RuleStats:
    """`live`: the query before the rollups, over `decisions FINAL` alone (what they must equal)."""
    if live:
        return await _live(ch, at_from, at_to, company_id)
    hits = await decision_parts(ch, RULE_HITS, at_from, at_to, company_id)
    select = "rule, fired AS kind, sum(hits) AS n"
    inner = union(
        *stored(ch.table(RULE_HITS.target), select, hits, "rule, kind", totals_of(ch, RULE_HITS, select)),
        None if hits.live is None else
        f"SELECT hit.2 AS rule, hit.1 AS kind, count() AS n FROM {ch.table(hits.table)} FINAL {_HITS} {hits.live} "
        "GROUP BY rule, kind",
    )  # fmt: skip
    rows = await ch.query(
        f"SELECT rule, sumIf(n, kind = 1) AS fired, sumIf(n, kind = 0) AS shadow FROM ({inner}) "
        "GROUP BY rule ORDER BY fired + shadow DESC, rule",
        hits.params,
        SETTINGS,
    )
    counted = await decision_parts(ch, DECISIONS, at_from, at_to, company_id)
    total = union(
        *stored(ch.table(DECISIONS.target), "sum(decisions) AS n", counted, "",
                totals_of(ch, DECISIONS, "sum(decisions) AS n")),  # fmt: skip
        None if counted.live is None else f"SELECT count() AS n FROM {ch.table(counted.table)} FINAL {counted.live}",
    )  # fmt: skip
    found = await ch.query(f"SELECT sum(n) FROM ({total})", counted.params, SETTINGS)
    return RuleStats(int(found[0][0]), tuple(RuleHits(str(r), int(f), int(s)) for r, f, s in rows))


async def _live(ch: Reads, at_from: datetime, at_to: datetime, company_id: str | None) -> RuleStats:
    where = f"at >= {{at_from:{_AT}}} AND at < {{at_to:{_AT}}}"
    params: dict[str, Any] = {"at_from": at_from, "at_to": at_to}
    if company_id is not None:
        where += " AND company_id = {company_id:String}"
        params["company_id"] = company_id
    table = ch.table("decisions")
    rows = await ch.query(
        "SELECT rule, sum(fired) AS fired, sum(shadow) AS shadow FROM ("
        f" SELECT arrayJoin(fired_rules) AS rule, 1 AS fired, 0 AS shadow FROM {table} FINAL WHERE {where}"
        " UNION ALL"
        f" SELECT arrayJoin(shadow_rules) AS rule, 0 AS fired, 1 AS shadow FROM {table} FINAL WHERE {where}"
        ") GROUP BY rule ORDER BY fired + shadow DESC, rule",
        params,
    )
    total = await ch.query(f"SELECT count() FROM {table} FINAL WHERE {where}", params)
    return RuleStats(int(total[0][0]), tuple(RuleHits(str(r), int(f), int(s)) for r, f, s in rows))
