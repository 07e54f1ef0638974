"""Bad input to the staff fraud rule routes: always a problem+json 4xx, never a write or a 500."""

from __future__ import annotations

from typing import Any

import pytest

from detectors.rules.compile import MAX_EXPRESSION
from domain.staff import Role
from tests.api.staff.rule_fakes import rule_body
from tests.api.staff.rule_harness import Desk, desk_fixture  # noqa: F401  (the fixture `desk`)

PERIOD = {"from": "2026-11-26T00:00:00Z", "to": "2026-11-27T00:00:00Z"}


async def _refused(desk: Desk, path: str, body: Any, status: int = 422, **kw: Any) -> dict[str, Any]:
    response = await desk.call(Role.ADMIN, "POST", path, json=body, **kw)
    assert response.status_code == status, (path, body, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert desk.written() == (0, 0, 0)
    return dict(response.json())


@pytest.mark.parametrize(
    "body",
    [
        rule_body(expression="x" * (MAX_EXPRESSION + 1)),
        rule_body(expression="user_count_1h > 1 " + "&& user_count_1h > 1 " * 400),  # > 4 KB
        rule_body(expression=""), rule_body(expression=5), rule_body(expression=None),
        rule_body(id="Big-Payout"), rule_body(id="x" * 65), rule_body(id="1abc"), rule_body(id="a'; DROP TABLE x;--"),
        rule_body(action="kill"), rule_body(mode="loud"), rule_body(priority="5"), rule_body(priority=True),
        rule_body(priority=10**9), rule_body(points=1.5), rule_body(name=""), rule_body(name="a\x00b"),
        rule_body(name="n" * 201), rule_body(description="card 4111 1111 1111 1111"), rule_body(extra=1),
        {k: v for k, v in rule_body().items() if k != "expression"}, [], "rule", 0,
    ],
)
async def test_bad_rule_bodies_are_validation_problems(desk: Desk, body: Any) -> None:
    problem = await _refused(desk, "/rules", body)
    assert problem["type"].endswith("/validation-failed")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (rule_body(expression="amount_major >= 500'; DROP TABLE decisions; --"), "line 1"),
        (rule_body(expression='user_count_1h > 1 || has(order.x)'), "line 1"),
        (rule_body(expression="user_count_1h"), "must yield a bool"),
        (rule_body(expression="amount / user_count_1h > 3"), "literal divisor"),
        (rule_body(action="review", points=20), "points apply to score rules only"),
        (rule_body(action="score"), "non-zero points"),
    ],
)
async def test_rules_that_do_not_compile_or_hold_together_are_rule_problems(desk: Desk, body: Any, words: str) -> None:
    problem = await _refused(desk, "/rules", body)
    assert problem["type"].endswith("/rule-invalid") and words in problem["detail"]


async def test_malformed_json_and_wrong_media_type(desk: Desk) -> None:
    headers = {"content-type": "application/json"}
    for path in ("/rules", "/rules/validate", "/rulesets/publish", "/rules/velocity_user_1h/test"):
        problem = await _refused(desk, path, None, 400, content=b'{"id": "x",', headers=headers)
        assert problem["type"].endswith("/malformed-json")
        await _refused(desk, path, None, 415, content=b"id=x", headers={"content-type": "text/plain"})


@pytest.mark.parametrize(
    "body",
    [
        {}, {"rules": ["velocity_user_1h@v1"]}, {"rules": ["velocity_user_1h@v1"], "base_set": -1},
        {"rules": ["velocity_user_1h@v1"], "base_set": "0"}, {"rules": ["velocity_user_1h"], "base_set": 0},
        {"rules": ["velocity_user_1h@v0"], "base_set": 0}, {"rules": "velocity_user_1h@v1", "base_set": 0},
        {"rules": ["velocity_user_1h@v1"], "set": {"big": 1}, "base_set": 0}, {"set": {"Bad-Id": 1}, "base_set": 0},
        {"set": {"velocity_user_1h": "2"}, "base_set": 0}, {"rules": [], "base_set": 0, "note": "n" * 1001},
        {"rules": [f"r{i}@v1" for i in range(501)], "base_set": 0},
    ],
)
async def test_bad_publish_bodies(desk: Desk, body: Any) -> None:
    await _refused(desk, "/rulesets/publish", body)


async def test_publishing_refs_that_do_not_exist_or_stale_bases(desk: Desk) -> None:
    problem = await _refused(desk, "/rulesets/publish", {"rules": ["velocity_user_1h@v2"], "base_set": 0})
    assert "velocity_user_1h@v2" in problem["detail"] and problem["errors"][0]["pointer"] == "/rules/0"
    await _refused(desk, "/rulesets/publish", {"set": {"no_such_rule": 1}, "base_set": 0})
    await _refused(desk, "/rulesets/publish", {"set": {"no_such_rule": None}, "base_set": 0})
    await _refused(desk, "/rulesets/publish", {"rules": ["velocity_user_1h@v1"], "base_set": 3}, 409)
    await _refused(desk, "/rulesets/rollback", {"to_set": 0, "base_set": 3}, 409)
    await _refused(desk, "/rulesets/rollback", {"to_set": "0"})
    await _refused(desk, "/rules/velocity_user_1h/versions", {"base_version": 2, "priority": 1}, 409)
    await _refused(desk, "/rules/velocity_user_1h/versions", {"priority": 1})
    await _refused(desk, "/rules/velocity_user_1h/versions", {"base_version": 1, "action": "score"})


@pytest.mark.parametrize(
    "body",
    [
        {}, {"order_ids": []}, {"order_ids": ["ord_1"], "samples": [{}]}, {"order_ids": ["x' OR 1=1 --"]},
        {"order_ids": [f"ord_{i}" for i in range(101)]}, {"order_ids": "ord_1"}, {"samples": [{"no_such": 1}]},
        {"samples": [{"user_count_1h": "5"}]}, {"samples": [{"user_count_1h": [5]}]}, {"samples": [{}] * 101},
        {"samples": [{"currency": "E" * 300}]}, {"samples": [{"is_night": 1}]}, {"version": 0, "samples": [{}]},
    ],
)
async def test_bad_test_bodies(desk: Desk, body: Any) -> None:
    await _refused(desk, "/rules/velocity_user_1h/test", body)


@pytest.mark.parametrize(
    "body",
    [
        {}, {"from": "2026-11-26T00:00:00Z"}, {"from": "2026-11-26", "to": "2026-11-27"},
        PERIOD | {"to": "2026-11-25T00:00:00Z"}, PERIOD | {"to": "2027-06-01T00:00:00Z"},
        PERIOD | {"company_id": "cmp_a' OR '1'='1"}, PERIOD | {"version": "1"},
    ],
)
async def test_bad_backtest_bodies(desk: Desk, body: Any) -> None:
    await _refused(desk, "/rules/velocity_user_1h/backtest", body)


@pytest.mark.parametrize("path", ["/rules/Velocity", "/rules/a%27%20OR%201=1", "/rules/" + "a" * 65])
async def test_hostile_rule_ids_in_paths(desk: Desk, path: str) -> None:
    response = await desk.call(Role.RISK, "GET", path)
    assert response.status_code in (404, 422) and response.headers["content-type"] == "application/problem+json"
