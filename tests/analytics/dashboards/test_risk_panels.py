"""Every risk dashboard panel against the embedded ClickHouse, through the use case: a handful
of decisions, orders, fraud reports and case events with known numbers per panel, the company
filter, the range edges, and hostile company values that stay plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.panels import PanelKind
from analytics.dashboards.reads import ClickHousePanels
from analytics.migrate import migrate
from api.staff.risk_dashboard_service import DashboardData, RiskDashboard

T = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
M = timedelta(minutes=1)
DAY = timedelta(days=1)
HOSTILE = ["x' OR 1=1 --", "cmp_a'; DROP TABLE decisions; --", "\\' OR ''='", "{company_id:String}"]

DECISIONS = [  # order, company, at, outcome, score, fired, shadow
    ("ord_1", "cmp_a", T + 1 * M, "approved", 0.10, [], ["new_device@1"]),
    ("ord_2", "cmp_a", T + 2 * M, "declined", 0.96, ["card_burst@2", "amount_spike@1"], []),
    ("ord_3", "cmp_a", T + 2 * M, "in_review", 0.55, ["card_burst@3"], ["new_device@1"]),
    ("ord_4", "cmp_a", T + 65 * M, "declined", 0.99, ["card_burst@3"], []),
    ("ord_5", "cmp_b", T + 3 * M, "approved", -1.0, [], []),  # no model: no score
    ("ord_6", "cmp_a", T - DAY, "declined", 0.90, ["card_burst@3"], []),  # before the range
]
CARD = {"recipient_kind": "card", "card_bin": "411111", "card_last4": "1111", "card_token": "tok_bad"}
ORDERS: dict[str, dict[str, Any]] = {
    "ord_1": {"end_user_id": "eu_ok", "recipient_kind": "email", "email": "ok@example.test"},
    "ord_2": {"end_user_id": "eu_bad", **CARD},
    "ord_3": {"end_user_id": "eu_2", "recipient_kind": "phone", "phone": "+491701234567"},
    "ord_4": {"end_user_id": "eu_bad", **CARD},
    "ord_5": {"end_user_id": "eu_b", "recipient_kind": "email", "email": "b@example.test"},
    "ord_6": {"end_user_id": "eu_bad", **CARD},
}


def _order_rows(version: int) -> list[tuple[Any, ...]]:
    rows = []
    for order_id, company, at, *_ in DECISIONS:
        o = ORDERS[order_id]
        recipient = {"kind": o["recipient_kind"], "phone": o.get("phone"), "email": o.get("email"),
                     "card_token": o.get("card_token"), "card_ciphertext": None}  # fmt: skip
        snapshot = orjson.dumps({"id": order_id, "recipient": recipient}).decode()
        rows.append((order_id, company, o["end_user_id"], o["recipient_kind"], o.get("card_bin", ""),
                     o.get("card_last4", ""), o.get("card_token", ""), at, at + version * M, version, snapshot))  # fmt: skip
    return rows


@pytest.fixture
async def dashboard(clickhouse: ClickHouse) -> RiskDashboard:
    migrate(clickhouse)
    await clickhouse.insert(
        "decisions", [(o, c, at, out, s, f, sh) for o, c, at, out, s, f, sh in DECISIONS],
        ["order_id", "company_id", "at", "outcome", "score", "fired_rules", "shadow_rules"],
    )  # fmt: skip
    order_columns = ["order_id", "company_id", "end_user_id", "recipient_kind", "card_bin", "card_last4",
                     "card_token", "created_at", "updated_at", "version", "snapshot"]  # fmt: skip
    for version in (1, 2):  # two versions of every order: panels count an order once
        await clickhouse.insert("orders", _order_rows(version), order_columns)
    await clickhouse.insert(
        "fraud_reports",
        [("frr_1", "cmp_a", "ord_2", "eu_bad", T + 30 * M), ("frr_2", "cmp_a", "ord_1", "eu_ok", T + 40 * M),
         ("frr_3", "cmp_a", "ord_6", "eu_bad", T - DAY)],  # reported before the range
        ["report_id", "company_id", "order_id", "end_user_id", "reported_at"],
    )  # fmt: skip
    await clickhouse.insert(
        "fraud_case_events",
        [("e1", "case_ord_3", "opened", T + 2 * M, "cmp_a", "ord_3"),
         ("e2", "case_ord_3", "assigned", T + 5 * M, "cmp_a", "ord_3"),
         ("e3", "case_ord_3", "resolved", T + 12 * M, "cmp_a", "ord_3"),  # held 10 minutes
         ("e4", "case_ord_9", "opened", T - 40 * DAY, "cmp_a", "ord_9"),  # opened too long ago
         ("e5", "case_ord_9", "resolved", T + 20 * M, "cmp_a", "ord_9"),
         ("e6", "case_pattern", "opened", T + 3 * M, "", ""),  # a pattern case, no order
         ("e7", "case_pattern", "resolved", T + 4 * M, "", "")],
        ["event_id", "case_id", "kind", "at", "company_id", "order_id"],
    )  # fmt: skip
    return RiskDashboard(ClickHousePanels(clickhouse))


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
