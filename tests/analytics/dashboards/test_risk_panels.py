"""Every risk dashboard panel against the embedded ClickHouse, through the use case: a handful
of decisions, orders, fraud reports and case events with known numbers per panel (conftest.py),
the company filter, the range edges, and hostile company values that stay plain values."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.panels import PanelKind
from analytics.dashboards.reads import ClickHousePanels
from analytics.read_lanes import ReadLanes
from api.staff.risk_dashboard_service import DashboardData, RiskDashboard
from tests.analytics.dashboards.conftest import DAY, DECISIONS, HOSTILE, M, T


def _panels(data: DashboardData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in data.panels:
        if p.panel.kind is PanelKind.TABLE:
            out[p.panel.id] = [list(r) for r in p.rows]
        else:
            out[p.panel.id] = {"x": list(p.x), **{s.column.name: list(s.values) for s in p.series}}
    return out


async def test_every_panel_counts_what_was_stored(dashboard: RiskDashboard) -> None:
    data = await dashboard.panels(T, T + DAY, None)
    got = _panels(data)
    hours = got["decisions_by_outcome"]
    assert hours["x"][:3] == [T, T + 60 * M, T + 120 * M] and len(hours["x"]) == 24
    assert (hours["approved"][:3], hours["in_review"][:3], hours["declined"][:3]) == ([2, 0, 0], [1, 0, 0], [1, 1, 0])

    assert got["alerts_by_rule"] == {"x": ["card_burst", "new_device", "amount_spike"], "fired": [3, 0, 1],
                                     "shadow": [0, 2, 0]}  # fmt: skip

    scores = got["score_distribution"]
    assert len(scores["x"]) == 20 and scores["x"][:3] == ["0.00", "0.05", "0.10"] and scores["x"][-1] == "0.95"
    assert sum(scores["approved"]) == 1 and scores["approved"][2] == 1  # the unscored decision left out
    assert scores["in_review"][11] == 1 and scores["declined"][19] == 2

    latency = got["approval_latency"]
    assert (latency["p50_ms"][0], latency["p95_ms"][0], latency["p99_ms"][0]) == (600_000, 600_000, 600_000)
    assert latency["p50_ms"][1:] == [None] * 23  # no verdicts: no quantiles; ord_9's case too old

    assert got["top_end_users"] == [["eu_bad", "cmp_a", 2, 0, 0.99], ["eu_2", "cmp_a", 0, 1, 0.55]]
    assert got["top_recipients"] == [["tok_bad", "card", "411111…1111", 2, 0, 0.99],
                                     ["+491701234567", "phone", "", 0, 1, 0.55]]  # fmt: skip


async def test_fraud_rate_per_company(dashboard: RiskDashboard) -> None:
    got = _panels(await dashboard.panels(T, T + DAY, None))["fraud_rate_by_company"]
    assert got == {"x": ["cmp_a", "cmp_b"], "fraud_rate": [0.5, 0.0], "decline_rate": [0.5, 0.0],
                   "orders": [4, 1], "declined": [2, 0], "confirmed_fraud": [2, 0]}  # fmt: skip


async def test_one_company_and_the_range_edges(dashboard: RiskDashboard) -> None:
    got = _panels(await dashboard.panels(T + 2 * M, T + 65 * M, "cmp_a"))  # minutes; `to` exclusive
    assert len(got["decisions_by_outcome"]["x"]) == 63
    outcomes = got["decisions_by_outcome"]
    assert (sum(outcomes["approved"]), sum(outcomes["in_review"]), sum(outcomes["declined"])) == (0, 1, 1)
    assert got["fraud_rate_by_company"]["x"] == ["cmp_a"]
    assert got["fraud_rate_by_company"]["confirmed_fraud"] == [2]  # both reports fall in the range
    assert got["top_end_users"] == [["eu_bad", "cmp_a", 1, 0, 0.96], ["eu_2", "cmp_a", 0, 1, 0.55]]
    other = _panels(await dashboard.panels(T, T + DAY, "cmp_b"))
    assert sum(other["decisions_by_outcome"]["approved"]) == 1 and other["top_end_users"] == []


@pytest.mark.parametrize("company", HOSTILE)
async def test_hostile_company_values_match_nothing(dashboard: RiskDashboard, clickhouse: ClickHouse,
                                                    company: str) -> None:  # fmt: skip
    got = _panels(await dashboard.panels(T, T + DAY, company))
    assert sum(got["decisions_by_outcome"]["declined"]) == 0 and got["alerts_by_rule"] == {"x": [], "fired": [],
                                                                                            "shadow": []}  # fmt: skip
    assert got["top_end_users"] == [] and got["top_recipients"] == []
    assert (await clickhouse.query(f"SELECT count() FROM {clickhouse.table('decisions')}"))[0][0] == len(DECISIONS)


async def test_the_dashboard_on_read_lanes_answers_as_on_the_shared_connection(
    stored: ClickHouse, clickhouse_dsn: str
) -> None:
    lanes = ReadLanes.connect(clickhouse_dsn, stored.database, 2)
    try:
        for company in (None, "cmp_a"):
            on_lanes = await RiskDashboard(ClickHousePanels(lanes)).panels(T, T + DAY, company)
            assert on_lanes == await RiskDashboard(ClickHousePanels(stored)).panels(T, T + DAY, company)
    finally:
        lanes.close()
