"""The top-suspects panels from the hourly suspects rollup (migration 0012) plus, for what it
does not cover (edge hours, dirty days, days not computed yet), the same groups computed live
from `flagged_orders FINAL` with each order's score from `flagged_decisions FINAL`: each query
returns what its panel's SQL in risk.py returns once ClickHouse merged the flagged tables' copies
(the same columns, values and order). A range's groups are the rollup's groups plus the live
groups, summed (counts) and maxed (scores): sums and maxima of disjoint parts.

The live part joins the orders of the live ranges to the decisions of the same ranges, as a
day's computation joins its orders to that day's decisions and the panel its range's orders to
the range's decisions: the same pairs, since a decision's `at` is its order's created_at.
tests/analytics/dashboards/test_suspect_panels.py compares the two on random histories."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from analytics.clickhouse import ClickHouse
from analytics.dashboards.decision_parts import SETTINGS, parts_of, stored, union
from analytics.dashboards.panels import PanelQuery
from analytics.dashboards.risk import TOP, TOP_END_USERS, TOP_RECIPIENTS
from analytics.dashboards.rollup_panels import RollupPanel, Splits
from analytics.rollups.definitions import FLAGGED_SCORES, SUSPECTS
from analytics.rollups.hours import HourSplit
from analytics.rollups.ranges import range_condition

_MAX = "if(max(m) < 0, NULL, round(max(m), 3))"  # the panels' max_score over the parts' maxima
Sql = tuple[str, dict[str, Any]]


def _parts(ch: ClickHouse, split: HourSplit, company_id: str | None, keys: str) -> Sql:
    """The rollup's rows and the live groups by `keys`, as (keys…, dn, rn, m), one UNION ALL."""
    p = parts_of(split, company_id, SUSPECTS.time_column)
    rows = stored(ch.table(SUSPECTS.target), f"{keys}, declined AS dn, in_review AS rn, max_score AS m", p)
    live = None
    if p.live is not None:
        # The live ranges on the decisions' time column: the same parameters as the orders'.
        at, _ = range_condition(FLAGGED_SCORES.time_column, split.live, "live")
        live = (
            f"SELECT {keys}, countIf(outcome = 'declined') AS dn, countIf(outcome = 'in_review') AS rn, "
            f"max(d.score) AS m FROM {ch.table(SUSPECTS.source)} FINAL "
            f"{FLAGGED_SCORES.sql(ch.table(FLAGGED_SCORES.table), at)} {p.live} GROUP BY {keys}"
        )
    return union(*rows, live), p.params


def top_end_users(ch: ClickHouse, q: PanelQuery, splits: Splits) -> Sql:
    inner, params = _parts(ch, splits[SUSPECTS.name], q.company_id, "end_user_id, company_id")
    return (
        f"SELECT end_user_id, company_id, sum(dn) AS declined, sum(rn) AS in_review, {_MAX} AS max_score "
        f"FROM ({inner}) GROUP BY end_user_id, company_id "
        f"ORDER BY declined + in_review DESC, max_score DESC, end_user_id, company_id LIMIT {TOP}",
        params,
    )


def top_recipients(ch: ClickHouse, q: PanelQuery, splits: Splits) -> Sql:
    inner, params = _parts(ch, splits[SUSPECTS.name], q.company_id, "recipient, recipient_kind, card")
    return (
        f"SELECT recipient, recipient_kind, card, sum(dn) AS declined, sum(rn) AS in_review, {_MAX} AS max_score "
        f"FROM ({inner}) WHERE recipient != '' GROUP BY recipient, recipient_kind, card "
        f"ORDER BY declined + in_review DESC, max_score DESC, recipient, recipient_kind, card LIMIT {TOP}",
        params,
    )


# A score joined to nothing is NULL, as the panels' SQL has it.
_SETTINGS = MappingProxyType({**SETTINGS, "join_use_nulls": 1})
SUSPECT_PANELS: Mapping[str, RollupPanel] = MappingProxyType({
    TOP_END_USERS.id: RollupPanel((SUSPECTS,), top_end_users, _SETTINGS),
    TOP_RECIPIENTS.id: RollupPanel((SUSPECTS,), top_recipients, _SETTINGS),
})  # fmt: skip
