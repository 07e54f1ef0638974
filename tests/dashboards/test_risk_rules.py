"""The rules editor and rule sets over the rule desk fakes: roles, syntax check, new versions,
test, backtest, stats, publish and roll back (confirmed), CSRF and hostile input."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.dashboards.risk_harness import RiskUi

RULE = "velocity_user_1h"
NOTHING = (0, 0, 0, 0, 0)
HOSTILE = "<script>alert(1)</script>"


async def _version(ui: RiskUi, **changes: str):  # type: ignore[no-untyped-def]
    page = await ui.client.get(f"/admin/risk/rules/{RULE}")
    token = await ui.csrf(f"/admin/risk/rules/{RULE}")
    form = {"name": "Velocity", "expression": "user_count_1h >= 7", "action": "review", "points": "0",
            "priority": "50", "mode": "active", "description": "", "base_version": "1", "intent": "save"}  # fmt: skip
    assert page.status_code == 200
    return await ui.client.post(f"/admin/risk/rules/{RULE}/versions", data={**form, **changes, "csrf_token": token})


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_rules_only_reviewers_edit_and_try_them(risk_ui: RiskUi, role: Role) -> None:
    await risk_ui.as_role(role)
    may = role in (Role.ADMIN, Role.RISK)
    listing = await risk_ui.client.get("/admin/risk/rules")
    assert listing.status_code == 200 and f'href="/admin/risk/rules/{RULE}"' in listing.text
    assert ('href="/admin/risk/rules/new-rule"' in listing.text) is may
    rule = await risk_ui.client.get(f"/admin/risk/rules/{RULE}")
    assert rule.status_code == 200 and "user_count_1h" in rule.text
    for action in ("versions", "test", "backtest"):
        assert (f'action="/admin/risk/rules/{RULE}/{action}"' in rule.text) is may
    sets = await risk_ui.client.get("/admin/risk/rule-sets")
    assert sets.status_code == 200
    assert ('action="/admin/risk/rule-sets/rollback"' in sets.text) is False  # only the defaults: none to go back to
    assert (await risk_ui.client.get("/admin/risk/rules/new-rule")).status_code == (200 if may else 403)
    if not may:
        token = await risk_ui.csrf("/admin/risk/rules")
        for path, data in [
            (f"/admin/risk/rules/{RULE}/versions", {"intent": "check", "expression": "amount > 1"}),
            (f"/admin/risk/rules/{RULE}/test", {"sample": "{}"}),
            (f"/admin/risk/rules/{RULE}/backtest", {"from": "2026-11-26", "to": "2026-11-27"}),
            ("/admin/risk/rules/new-rule", {"id": "x", "intent": "save"}),
            ("/admin/risk/rule-sets/publish", {f"rule.{RULE}": "1", "base_set": "0", "confirm": "yes"}),
            ("/admin/risk/rule-sets/rollback", {"to_set": "0", "confirm": "yes"}),
        ]:
            assert (await risk_ui.client.post(path, data={**data, "csrf_token": token})).status_code == 403, path
        assert risk_ui.written() == NOTHING


async def test_status_version_and_hit_counts_incl_shadow(risk_ui: RiskUi) -> None:
    page = await risk_ui.client.get("/admin/risk/rules?from=2026-11-20&to=2026-12-01")
    assert page.status_code == 200 and "6 decisions in the period." in page.text
    row = page.text.split('href="/admin/risk/rules/card_testing"')[1].split("</tr>")[0]
    assert "active" in row and "1 / 1" in row and "review" in row
    assert row.count('<td class="num">') == 4 and row.rstrip().endswith('<td class="num">6</td>')  # 6 shadow hits
    assert (await risk_ui.client.get("/admin/risk/rules?from=abc")).status_code == 422
    assert (await risk_ui.client.get(f"/admin/risk/rules?from=2026-11-20&to={HOSTILE}")).status_code == 422


async def test_check_syntax_shows_the_position_and_hint_and_writes_nothing(risk_ui: RiskUi) -> None:
    bad = await _version(risk_ui, intent="check", expression="user_count_1h >= (5")
    assert bad.status_code == 422 and "Line 1, column 20:" in bad.text and 'id="check-result"' in bad.text
    assert 'class="caret"' in bad.text and "user_count_1h &gt;= (5" in bad.text
    unknown = await _version(risk_ui, intent="check", expression="amount_major > 5 &&\n  user_cnt_1h > 3")
    assert "Line 2, column 3:" in unknown.text and "Hint:" in unknown.text and "user_count_1h" in unknown.text
    html = await _version(risk_ui, intent="check", expression=f'currency == "{HOSTILE}" && <b>')
    assert html.status_code == 422 and HOSTILE not in html.text and "&lt;script&gt;" in html.text
    ok = await _version(risk_ui, intent="check", expression="user_count_1h >= 5 && amount_major > 1")
    assert ok.status_code == 200 and "The expression is valid." in ok.text and "<code>amount_major</code>" in ok.text
    assert risk_ui.written() == NOTHING


async def test_a_new_version_then_publish_and_roll_back_each_confirmed(risk_ui: RiskUi) -> None:
    saved = await _version(risk_ui, expression=f'user_count_1h >= 7 || currency == "{HOSTILE}"', mode="shadow")
    assert saved.status_code == 303 and saved.headers["location"] == f"/admin/risk/rules/{RULE}?done=saved#v2"
    page = await risk_ui.client.get(f"/admin/risk/rules/{RULE}?done=saved")
    assert "The new version was saved." in page.text and 'id="v2"' in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and HOSTILE not in page.text
    stale = await _version(risk_ui)  # base_version 1 again
    assert stale.status_code == 409 and "reload and retry" in stale.text
    assert risk_ui.written()[2] == 1

    sets = await risk_ui.client.get("/admin/risk/rule-sets")
    assert f'name="rule.{RULE}" value="2"' in sets.text
    token = await risk_ui.csrf("/admin/risk/rule-sets")
    form = {f"rule.{RULE}": "2", "base_set": "0", "note": "tighter", "csrf_token": token}
    asked = await risk_ui.client.post("/admin/risk/rule-sets/publish", data=form)
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text and f"{RULE}@v2" in asked.text
    assert risk_ui.written()[2] == 1
    published = await risk_ui.client.post("/admin/risk/rule-sets/publish", data={**form, "confirm": "yes"})
    assert published.status_code == 303 and published.headers["location"].startswith("/admin/risk/rule-sets?done=published")
    assert risk_ui.desk.rules.book.current_set == 1
    listing = await risk_ui.client.get("/admin/risk/rules")
    assert "Rule set in force: v1." in listing.text
    again = await risk_ui.client.post("/admin/risk/rule-sets/publish", data={**form, "confirm": "yes"})
    assert again.status_code == 409 and "reload and retry" in again.text  # base_set 0 is stale now

    back = {"to_set": "0", "base_set": "1", "csrf_token": token}
    asked = await risk_ui.client.post("/admin/risk/rule-sets/rollback", data=back)
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    assert risk_ui.desk.rules.book.current_set == 1
    rolled = await risk_ui.client.post("/admin/risk/rule-sets/rollback", data={**back, "confirm": "yes", "note": "undo"})
    assert rolled.status_code == 303 and risk_ui.desk.rules.book.current_set == 2
    actions = [e.action for e in risk_ui.h.audit.events]
    assert actions == ["fraud.rule.version", "fraud.ruleset.publish", "fraud.ruleset.rollback"]


async def test_create_a_rule(risk_ui: RiskUi) -> None:
    token = await risk_ui.csrf("/admin/risk/rules/new-rule")
    form = {"id": "big_payout", "name": "Big", "expression": "amount_major >= 500", "action": "review",
            "points": "", "priority": "10", "mode": "shadow", "description": "", "intent": "save", "csrf_token": token}
    created = await risk_ui.client.post("/admin/risk/rules/new-rule", data=form)
    assert created.status_code == 303 and created.headers["location"] == "/admin/risk/rules/big_payout?done=created"
    twice = await risk_ui.client.post("/admin/risk/rules/new-rule", data=form)
    assert twice.status_code == 409 and 'id="check-result"' not in twice.text
    rules = await risk_ui.client.get("/admin/risk/rules")
    assert 'href="/admin/risk/rules/big_payout"' in rules.text and "disabled" in rules.text
    assert risk_ui.written()[2] == 1


RULE_FIELDS_HOSTILE = [
    ({"name": HOSTILE + "\x00"}, 422), ({"name": ""}, 422), ({"name": "n" * 201}, 422),
    ({"expression": ""}, 422), ({"expression": "e" * 4001}, 422), ({"expression": "x" * 100_000}, 413),
    ({"expression": "amount > 4111111111111111"}, 422), ({"expression": HOSTILE}, 422),
    ({"action": HOSTILE}, 422), ({"action": "' OR 1=1 --"}, 422), ({"mode": "off"}, 422),
    ({"points": "abc"}, 422), ({"points": "1.5"}, 422), ({"priority": "99999999999"}, 422), ({"priority": HOSTILE}, 422),
    ({"description": "d" * 2001}, 422), ({"base_version": "abc"}, 422), ({"base_version": "0"}, 422),
]  # fmt: skip


@pytest.mark.parametrize("changes, status", RULE_FIELDS_HOSTILE)
async def test_hostile_rule_fields_are_refused_and_write_nothing(
    risk_ui: RiskUi, changes: dict[str, str], status: int
) -> None:
    response = await _version(risk_ui, **changes)
    assert response.status_code == status, response.text[-2000:]
    assert HOSTILE not in response.text and "4111111111111111" not in response.text
    assert risk_ui.written() == NOTHING


async def test_hostile_new_rule_ids_are_refused(risk_ui: RiskUi) -> None:
    token = await risk_ui.csrf("/admin/risk/rules/new-rule")
    for rule_id in (HOSTILE, "' OR 1=1 --", "A", "a" * 65, ""):
        response = await risk_ui.client.post("/admin/risk/rules/new-rule", data={
            "id": rule_id, "name": "n", "expression": "amount > 1", "action": "review", "intent": "save",
            "csrf_token": token})  # fmt: skip
        assert response.status_code == 422 and HOSTILE not in response.text
    assert risk_ui.written() == NOTHING


async def test_test_on_a_sample_or_stored_orders(risk_ui: RiskUi) -> None:
    token = await risk_ui.csrf(f"/admin/risk/rules/{RULE}")
    url = f"/admin/risk/rules/{RULE}/test"
    fired = await risk_ui.client.post(url, data={"sample": '{"user_count_1h": 9}', "csrf_token": token})
    assert fired.status_code == 200 and 'id="test-result"' in fired.text and ">fires<" in fired.text
    quiet = await risk_ui.client.post(url, data={"sample": '[{"user_count_1h": 1}]', "csrf_token": token})
    assert ">does not fire<" in quiet.text
    stored = await risk_ui.client.post(url, data={"order_ids": "ord_9, ord_1 nope", "csrf_token": token})
    assert stored.status_code == 200 and "ord_9" in stored.text and "No stored decision for: nope" in stored.text
    for sample in ("{not json", f'{{"{HOSTILE}": 1}}', '{"user_count_1h": {"a": 1}}', "[]", "1", '"x"' * 3, "[" * 5000):
        refused = await risk_ui.client.post(url, data={"sample": sample, "csrf_token": token})
        assert refused.status_code == 422, sample[:40]
        assert HOSTILE not in refused.text
    wrong = await risk_ui.client.post(url, data={"sample": "{}", "version": "abc", "csrf_token": token})
    assert wrong.status_code == 422
    assert (await risk_ui.client.post(url, data={"order_ids": HOSTILE, "csrf_token": token})).status_code == 422
    assert risk_ui.written() == NOTHING


async def test_backtest_shows_the_result_table(risk_ui: RiskUi) -> None:
    token = await risk_ui.csrf(f"/admin/risk/rules/{RULE}")
    url = f"/admin/risk/rules/{RULE}/backtest"
    done = await risk_ui.client.post(url, data={"from": "2026-11-26", "to": "2026-11-28", "csrf_token": token})
    assert done.status_code == 200 and 'id="backtest-result"' in done.text
    assert "10 decisions, 1 confirmed frauds" in done.text and "Precision" in done.text
    for bad in ({"from": "abc"}, {"to": HOSTILE}, {"from": "2026-01-01", "to": "2026-11-28"},
                {"company_id": HOSTILE}, {"version": "-1"}, {"from": "2026-11-28", "to": "2026-11-26"}):  # fmt: skip
        response = await risk_ui.client.post(url, data={"from": "2026-11-26", "to": "2026-11-28", **bad,
                                                        "csrf_token": token})  # fmt: skip
        assert response.status_code == 422, bad
        assert HOSTILE not in response.text
    assert risk_ui.written() == NOTHING


@pytest.mark.parametrize(
    "path, data",
    [
        (f"/admin/risk/rules/{RULE}/versions", {"intent": "save", "name": "n", "expression": "amount > 1",
                                                 "action": "review", "base_version": "1"}),
        ("/admin/risk/rules/new-rule", {"id": "x", "name": "n", "expression": "amount > 1", "action": "review",
                                        "intent": "save"}),
        (f"/admin/risk/rules/{RULE}/test", {"sample": "{}"}),
        (f"/admin/risk/rules/{RULE}/backtest", {"from": "2026-11-26", "to": "2026-11-28"}),
        ("/admin/risk/rule-sets/publish", {f"rule.{RULE}": "1", "base_set": "0", "confirm": "yes"}),
        ("/admin/risk/rule-sets/rollback", {"to_set": "0", "confirm": "yes"}),
    ],
)  # fmt: skip
async def test_posts_without_the_csrf_token_are_refused(risk_ui: RiskUi, path: str, data: dict[str, str]) -> None:
    assert (await risk_ui.client.post(path, data=data)).status_code == 403
    assert (await risk_ui.client.post(path, data={**data, "csrf_token": "nope"})).status_code == 403
    assert risk_ui.written() == NOTHING


async def test_hostile_publish_and_rollback_forms_are_refused(risk_ui: RiskUi) -> None:
    token = await risk_ui.csrf("/admin/risk/rule-sets")
    for data in ({"base_set": "0"}, {f"rule.{RULE}": "abc", "base_set": "0"}, {f"rule.{HOSTILE}": "1", "base_set": "0"},
                 {f"rule.{RULE}": "9", "base_set": "0", "confirm": "yes"}, {f"rule.{RULE}": "1", "base_set": HOSTILE},
                 {f"rule.{RULE}": "1", "base_set": "0", "note": "n" * 1001}):  # fmt: skip
        response = await risk_ui.client.post("/admin/risk/rule-sets/publish", data={**data, "csrf_token": token})
        assert response.status_code in (404, 409, 422), data
        assert HOSTILE not in response.text
    for data in ({"to_set": "abc"}, {"to_set": HOSTILE}, {"to_set": "7", "confirm": "yes"}, {"to_set": "-1"}):
        response = await risk_ui.client.post("/admin/risk/rule-sets/rollback", data={**data, "csrf_token": token})
        assert response.status_code in (404, 422), data
        assert HOSTILE not in response.text
    assert risk_ui.written() == NOTHING


async def test_unknown_and_hostile_rule_ids_are_404_pages(risk_ui: RiskUi) -> None:
    for path in ("/admin/risk/rules/no_such_rule", "/admin/risk/rules/%3Cscript%3E", "/admin/risk/rules/" + "a" * 300):
        response = await risk_ui.client.get(path)
        assert response.status_code == 404 and "<script>" not in response.text
