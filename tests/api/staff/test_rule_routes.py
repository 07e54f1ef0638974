"""Staff fraud rule routes over fakes: the editor's flow, acceptance 4, permissions."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.rule_fakes import rule_body
from tests.api.staff.rule_harness import Desk, desk_fixture  # noqa: F401  (the fixture `desk`)

READERS = [Role.READ_ONLY, Role.SUPPORT, Role.FINANCE, Role.RISK, Role.ADMIN]


@pytest.mark.parametrize("role", READERS)
async def test_every_staff_role_reads_rules_and_sets(desk: Desk, role: Role) -> None:
    listed = await desk.call(role, "GET", "/rules")
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["set_in_force"] == 0 and len(body["data"]) == 8
    velocity = next(r for r in body["data"] if r["id"] == "velocity_user_1h")
    assert velocity["in_force_version"] == 1 and velocity["latest"]["mode"] == "active"
    assert velocity["latest"]["saved_by"] == "built-in" and velocity["latest"]["saved_at"] is None
    sets = (await desk.call(role, "GET", "/rulesets")).json()
    assert sets["in_force"] == 0 and sets["data"][0]["in_force"] is True


@pytest.mark.parametrize("role", [Role.READ_ONLY, Role.SUPPORT, Role.FINANCE])
async def test_roles_without_risk_review_change_nothing(desk: Desk, role: Role) -> None:
    attempts = [
        ("POST", "/rules", rule_body()),
        ("POST", "/rules/velocity_user_1h/versions", {"base_version": 1, "mode": "shadow"}),
        ("POST", "/rules/validate", {"expression": "user_count_1h > 1"}),
        ("POST", "/rules/velocity_user_1h/test", {"order_ids": ["ord_1"]}),
        ("POST", "/rules/velocity_user_1h/backtest", {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"}),
        ("POST", "/rulesets/publish", {"rules": ["velocity_user_1h@v1"], "base_set": 0}),
        ("POST", "/rulesets/rollback", {"to_set": 0}),
    ]
    for method, path, body in attempts:
        response = await desk.call(role, method, path, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert desk.written() == (0, 0, 0)
    assert (await desk.h.client.get("/staff/v1/fraud/rules")).status_code == 401  # no session at all


async def test_acceptance_4_syntax_errors_and_unknown_features_are_refused_with_their_position(desk: Desk) -> None:
    syntax = await desk.call(Role.RISK, "POST", "/rules/validate", json={"expression": "user_count_1h >= (5"})
    assert syntax.status_code == 422 and syntax.headers["content-type"] == "application/problem+json"
    problem = syntax.json()
    assert problem["type"].endswith("/rule-invalid") and "line 1, column 20" in problem["detail"]
    assert problem["errors"][0]["pointer"] == "/expression"
    unknown = await desk.call(Role.RISK, "POST", "/rules", json=rule_body(expression="amount_major > 5 &&\n  velocity > 3"))
    assert unknown.status_code == 422
    assert "line 2, column 3" in unknown.json()["detail"] and "'velocity'" in unknown.json()["detail"]
    assert desk.written() == (0, 0, 0)
    ok = await desk.call(Role.RISK, "POST", "/rules/validate", json={"expression": "user_count_1h >= 5 && amount_major > 1"})
    assert ok.status_code == 200 and ok.json() == {"valid": True, "names": ["amount_major", "user_count_1h"]}


async def test_create_version_test_backtest_publish_and_roll_back(desk: Desk) -> None:
    created = await desk.call(Role.RISK, "POST", "/rules", json=rule_body())
    assert created.status_code == 201, created.text
    assert created.json()["ref"] == "big_payout@v1" and created.headers["location"].endswith("/fraud/rules/big_payout")
    assert (await desk.call(Role.RISK, "POST", "/rules", json=rule_body())).status_code == 409
    v2 = await desk.call(Role.RISK, "POST", "/rules/big_payout/versions",
                         json={"base_version": 1, "expression": "amount_major >= 800", "mode": "shadow"})  # fmt: skip
    assert v2.status_code == 201 and (v2.json()["version"], v2.json()["mode"], v2.json()["name"]) == (2, "shadow",
                                                                                                     "Big payout")
    stale = await desk.call(Role.RISK, "POST", "/rules/big_payout/versions", json={"base_version": 1, "priority": 3})
    assert stale.status_code == 409 and stale.json()["errors"][0]["pointer"] == "/base_version"

    tested = await desk.call(Role.RISK, "POST", "/rules/big_payout/test", json={"order_ids": ["ord_9", "ord_2", "x"]})
    assert tested.status_code == 200, tested.text
    t = tested.json()  # version 2 (the latest: none is in force); amounts 100.00 × (n + 1)
    assert t["rule"] == "big_payout@v2" and t["missing"] == ["x"]
    assert [(o["order_id"], o["fired"], o["values"]) for o in t["orders"]] == [
        ("ord_2", False, {"amount_major": 300}), ("ord_9", True, {"amount_major": 1000})]
    sample = await desk.call(Role.RISK, "POST", "/rules/big_payout/test",
                             json={"version": 1, "samples": [{"amount": 50_000}, {"amount": 49_999}]})  # fmt: skip
    assert [o["fired"] for o in sample.json()["orders"]] == [True, False]

    period = {"from": "2026-11-26T00:00:00Z", "to": "2026-11-28T00:00:00Z"}
    backtest = await desk.call(Role.RISK, "POST", "/rules/big_payout/backtest", json=period | {"version": 1})
    assert backtest.status_code == 200, backtest.text
    b = backtest.json()  # ord_4 .. ord_9 fire (500.00 and up); ord_7 is the one confirmed fraud
    assert (b["decisions"], b["confirmed_frauds"], b["in_force"]) == (10, 1, None)
    assert b["from"] == "2026-11-26T00:00:00Z" and b["candidate"]["hits"] == 6
    assert b["candidate"]["precision"] == pytest.approx(1 / 6) and b["candidate"]["recall"] == 1.0
    assert sum(b["candidate"]["hits_per_day"].values()) == 6

    missing = await desk.call(Role.RISK, "POST", "/rulesets/publish", json={"rules": ["big_payout@v9"], "base_set": 0})
    assert missing.status_code == 422 and "big_payout@v9" in missing.json()["detail"]
    twice = await desk.call(Role.RISK, "POST", "/rulesets/publish",
                            json={"rules": ["big_payout@v1", "big_payout@v2"], "base_set": 0})  # fmt: skip
    assert twice.status_code == 422 and "appears twice" in twice.json()["detail"]
    published = await desk.call(Role.RISK, "POST", "/rulesets/publish",
                                json={"set": {"big_payout": 2, "card_testing": None}, "base_set": 0, "note": "try"})
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 1 and "big_payout@v2" in published.json()["refs"]
    assert "card_testing@v1" not in published.json()["refs"]
    stale_set = await desk.call(Role.RISK, "POST", "/rulesets/publish", json={"rules": [], "base_set": 0})
    assert stale_set.status_code == 409
    rule = (await desk.call(Role.READ_ONLY, "GET", "/rules/big_payout")).json()
    assert rule["in_force_version"] == 2 and [v["version"] for v in rule["versions"]] == [1, 2]
    in_force = await desk.call(Role.RISK, "POST", "/rules/big_payout/backtest", json=period | {"version": 1})
    assert in_force.json()["in_force"]["rule"] == "big_payout@v2" and in_force.json()["in_force"]["hits"] == 3

    rolled = await desk.call(Role.RISK, "POST", "/rulesets/rollback", json={"to_set": 0, "base_set": 1, "note": "undo"})
    assert rolled.status_code == 201 and rolled.json()["version"] == 2
    sets = (await desk.call(Role.SUPPORT, "GET", "/rulesets")).json()
    assert sets["in_force"] == 2 and [s["in_force"] for s in sets["data"]] == [False, False, True]
    assert [r.ref for r in desk.rules.replayed().in_force()].count("card_testing@v1") == 1
    actions = [e.action for e in desk.h.audit.events]
    assert actions == ["fraud.rule.create", "fraud.rule.version", "fraud.ruleset.publish", "fraud.ruleset.rollback"]
    assert all(e.actor_id == desk.h.users[Role.RISK].id for e in desk.h.audit.events)


async def test_unknown_rules_and_versions_are_404(desk: Desk) -> None:
    for method, path, body in [
        ("GET", "/rules/nope", None),
        ("POST", "/rules/nope/versions", {"base_version": 1, "priority": 1}),
        ("POST", "/rules/nope/test", {"samples": [{}]}),
        ("POST", "/rules/velocity_user_1h/test", {"version": 7, "samples": [{}]}),
        ("POST", "/rules/nope/backtest", {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"}),
        ("POST", "/rulesets/rollback", {"to_set": 42}),
    ]:
        response = await desk.call(Role.RISK, method, path, json=body)
        assert response.status_code == 404, (path, response.text)
    assert desk.written() == (0, 0, 0)
