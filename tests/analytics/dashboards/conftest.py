"""Stored fraud data with known numbers for every risk dashboard panel (see test_risk_panels)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from analytics.clickhouse import ClickHouse
from analytics.dashboards.reads import ClickHousePanels
from analytics.migrate import migrate
from api.staff.risk_dashboard_service import RiskDashboard


@pytest.fixture
def clickhouse(migrated_clickhouse: ClickHouse) -> ClickHouse:
    """Every test here starts by migrating: the session's migrated database, emptied."""
    return migrated_clickhouse


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
    for order_id, company, at, outcome, *_ in DECISIONS:
        o = ORDERS[order_id]
        recipient = {"kind": o["recipient_kind"], "phone": o.get("phone"), "email": o.get("email"),
                     "card_token": o.get("card_token"), "card_ciphertext": None}  # fmt: skip
        snapshot = orjson.dumps({"id": order_id, "recipient": recipient}).decode()
        status = "received" if version == 1 else outcome  # version 2: the fraud check's decision
        rows.append((order_id, company, status, o["end_user_id"], o["recipient_kind"], o.get("card_bin", ""),
                     o.get("card_last4", ""), o.get("card_token", ""), at, at + version * M, version, snapshot))  # fmt: skip
    return rows


@pytest.fixture
async def stored(clickhouse: ClickHouse) -> ClickHouse:
    """The embedded ClickHouse holding DECISIONS, their orders, fraud reports and case events."""
    migrate(clickhouse)
    await clickhouse.insert(
        "decisions", [(o, c, at, out, s, f, sh) for o, c, at, out, s, f, sh in DECISIONS],
        ["order_id", "company_id", "at", "outcome", "score", "fired_rules", "shadow_rules"],
    )  # fmt: skip
    order_columns = ["order_id", "company_id", "status", "end_user_id", "recipient_kind", "card_bin", "card_last4",
                     "card_token", "created_at", "updated_at", "version", "snapshot"]  # fmt: skip
    for version in (1, 2, 2):  # the decision's version replayed: panels count an order once
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
    return clickhouse


@pytest.fixture
def dashboard(stored: ClickHouse) -> RiskDashboard:
    return RiskDashboard(ClickHousePanels(stored))
