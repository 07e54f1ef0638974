"""The review queue and case pages over the fraud desk fakes: roles, verdicts with their
confirmation step, assignments and notes, CSRF and hostile input."""

from __future__ import annotations

import pytest

from domain.fraud import ReviewAction
from domain.orders import OrderStatus
from domain.staff import Role
from tests.dashboards.risk_harness import RiskUi
from tests.fraud_builders import order_id

ORDER = order_id(1)
CASE = f"case_{ORDER}"
REVIEWERS = (Role.ADMIN, Role.RISK)
NOTHING = (0, 0, 0, 0, 0)


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_the_queue_and_cases_but_only_reviewers_see_actions(risk_ui: RiskUi, role: Role) -> None:
    await risk_ui.as_role(role)
    queue = await risk_ui.client.get("/admin/risk/reviews")
    assert queue.status_code == 200, queue.text
    assert f'href="/admin/orders/{ORDER}"' in queue.text and f'href="/admin/risk/cases/{CASE}"' in queue.text
    assert "10.01\u00a0EUR" in queue.text  # order 1: 1001 minor units
    assert (f'action="/admin/risk/orders/{ORDER}/review"' in queue.text) is (role in REVIEWERS)
    case = await risk_ui.client.get(f"/admin/risk/cases/{CASE}")
    assert case.status_code == 200
    assert "many_to_one@3" in case.text and "card_testing@1" in case.text and "0.870" in case.text
    assert "distinct_users_24h" in case.text and "many users to one card" in case.text
    for action in (f"/admin/risk/orders/{ORDER}/review", f"/admin/risk/cases/{CASE}/assign", f"/admin/risk/cases/{CASE}/notes"):
        assert (f'action="{action}"' in case.text) is (role in REVIEWERS)
    assert (await risk_ui.client.get("/admin/risk/cases")).status_code == 200


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.FINANCE, Role.READ_ONLY])
async def test_roles_without_risk_review_are_refused_every_action(risk_ui: RiskUi, role: Role) -> None:
    await risk_ui.as_role(role)
    token = await risk_ui.csrf()
    for path, data in [
        (f"/admin/risk/orders/{ORDER}/review", {"action": "approve"}),
        (f"/admin/risk/cases/{CASE}/assign", {}),
        (f"/admin/risk/cases/{CASE}/notes", {"text": "hi"}),
    ]:
        response = await risk_ui.client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 403, path
    assert risk_ui.written() == NOTHING


async def test_approve_from_the_queue(risk_ui: RiskUi) -> None:
    await risk_ui.as_role(Role.RISK)
    token = await risk_ui.csrf()
    response = await risk_ui.client.post(f"/admin/risk/orders/{ORDER}/review",
                                         data={"action": "approve", "back": "queue", "csrf_token": token})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/admin/risk/reviews?done=approve"
    [command] = risk_ui.fraud.reviews.commands
    assert (command.action, command.order_id, command.block) == (ReviewAction.APPROVE, ORDER, False)
    assert risk_ui.fraud.tables.orders[ORDER].status is OrderStatus.APPROVED
    assert [e.action for e in risk_ui.h.audit.events] == ["fraud.review_approve"]
    queue = await risk_ui.client.get("/admin/risk/reviews?done=approve")
    assert "The payout was approved" in queue.text and f'href="/admin/orders/{ORDER}"' not in queue.text


@pytest.mark.parametrize("action", ["decline", "confirm_fraud"])
async def test_decline_and_confirm_fraud_are_confirmed_first(risk_ui: RiskUi, action: str) -> None:
    token = await risk_ui.csrf()
    form = {"action": action, "note": "mule <b>ring</b>", "block": "yes", "back": "case", "csrf_token": token,
            "attempt": "a" * 32}  # fmt: skip
    asked = await risk_ui.client.post(f"/admin/risk/orders/{ORDER}/review", data=form)
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text
    assert "mule &lt;b&gt;ring&lt;/b&gt;" in asked.text and "<b>ring</b>" not in asked.text
    assert risk_ui.written() == NOTHING
    done = await risk_ui.client.post(f"/admin/risk/orders/{ORDER}/review", data={**form, "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == f"/admin/risk/cases/{CASE}?done={action}"
    [command] = risk_ui.fraud.reviews.commands
    assert (command.action.value, command.note, command.block) == (action, "mule <b>ring</b>", True)
    assert risk_ui.fraud.tables.orders[ORDER].status is OrderStatus.DECLINED
    again = await risk_ui.client.post(f"/admin/risk/orders/{ORDER}/review",
                                      data={"action": "approve", "csrf_token": token})  # fmt: skip
    assert again.status_code == 409 and "not in_review" in again.text  # shown on the case page
    assert 'value="approve"' not in again.text  # the order left review: only confirm fraud is offered


async def test_assign_to_me_and_notes(risk_ui: RiskUi) -> None:
    await risk_ui.as_role(Role.RISK)
    token = await risk_ui.csrf()
    me = risk_ui.h.users[Role.RISK].id
    assigned = await risk_ui.client.post(f"/admin/risk/cases/{CASE}/assign", data={"csrf_token": token})
    assert assigned.status_code == 303 and assigned.headers["location"].endswith("?done=assigned")
    noted = await risk_ui.client.post(f"/admin/risk/cases/{CASE}/notes",
                                      data={"text": "<script>alert(1)</script> called the user", "csrf_token": token})
    assert noted.status_code == 303
    assert [e.kind.value for e in risk_ui.fraud.case_log.appended] == ["assigned", "note"]
    page = await risk_ui.client.get(f"/admin/risk/cases/{CASE}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; called the user" in page.text and "<script>alert" not in page.text
    assert f"<dd>{me}</dd>" in page.text and f'action="/admin/risk/cases/{CASE}/assign"' not in page.text
    mine = await risk_ui.client.get(f"/admin/risk/reviews?assignee={me}")
    assert f'href="/admin/orders/{ORDER}"' in mine.text and f'href="/admin/orders/{order_id(2)}"' not in mine.text


@pytest.mark.parametrize(
    "path, data",
    [
        (f"/admin/risk/orders/{ORDER}/review", {"action": "approve"}),
        (f"/admin/risk/orders/{ORDER}/review", {"action": "decline", "confirm": "yes"}),
        (f"/admin/risk/cases/{CASE}/assign", {}),
        (f"/admin/risk/cases/{CASE}/notes", {"text": "hello"}),
    ],
)
async def test_posts_without_the_csrf_token_are_refused(risk_ui: RiskUi, path: str, data: dict[str, str]) -> None:
    response = await risk_ui.client.post(path, data={**data, "csrf_token": "forged"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert (await risk_ui.client.post(path, data={**data, "x": "1"})).status_code == 403
    assert risk_ui.written() == NOTHING


HOSTILE = ["<script>alert(1)</script>", "' OR 1=1 --"]


@pytest.mark.parametrize(
    "form, status",
    [
        ({"action": HOSTILE[0]}, 422),
        ({"action": HOSTILE[1]}, 422),
        ({"action": "approve", "block": "maybe"}, 422),
        ({"action": "approve", "block": HOSTILE[0]}, 422),
        ({"action": "decline", "note": "n" * 2001, "confirm": "yes"}, 422),
        ({"action": "decline", "note": "card 4111 1111 1111 1111", "confirm": "yes"}, 422),
        ({"action": "decline", "note": "bell \x07", "confirm": "yes"}, 422),
        ({"action": "approve", "note": "x" * 100_000}, 413),
        ({}, 422),
    ],
)
async def test_hostile_verdicts_are_refused_with_a_message_and_write_nothing(
    risk_ui: RiskUi, form: dict[str, str], status: int
) -> None:
    token = await risk_ui.csrf()
    response = await risk_ui.client.post(f"/admin/risk/orders/{ORDER}/review", data={**form, "csrf_token": token})
    assert response.status_code == status, response.text[:500]
    assert "<script>alert(1)</script>" not in response.text and "4111 1111 1111 1111" not in response.text
    if status == 422:
        assert 'class="error-summary"' in response.text
    assert risk_ui.written() == NOTHING


@pytest.mark.parametrize(
    "text, status",
    [("", 422), ("   ", 422), ("n" * 2001, 422), ("x" * 100_000, 413), ("pan 4111111111111111", 422), ("a\x00b", 422)],
)
async def test_bad_notes_are_refused_and_keep_what_was_typed(risk_ui: RiskUi, text: str, status: int) -> None:
    token = await risk_ui.csrf()
    response = await risk_ui.client.post(f"/admin/risk/cases/{CASE}/notes", data={"text": text, "csrf_token": token})
    assert response.status_code == status
    assert "4111111111111111" not in response.text or status != 200
    assert risk_ui.written() == NOTHING


@pytest.mark.parametrize(
    "path", ["/admin/risk/orders/ord_nope/review", "/admin/risk/orders/%3Cscript%3E/review", f"/admin/risk/orders/{order_id(99)}/review"]
)
async def test_reviewing_an_unknown_order_is_a_404_page(risk_ui: RiskUi, path: str) -> None:
    response = await risk_ui.client.post(path, data={"action": "approve", "csrf_token": await risk_ui.csrf()})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text
    assert risk_ui.written()[:2] == (0, 0)


@pytest.mark.parametrize(
    "query",
    ["company_id=%3Cscript%3Ealert(1)%3C/script%3E", "assignee=%27%20OR%201=1%20--", "limit=abc", "limit=0",
     "cursor=%3Cscript%3E", "company_id=" + "a" * 100_00],
)
async def test_hostile_queue_and_case_filters_are_refused_and_shown_escaped(risk_ui: RiskUi, query: str) -> None:
    for page in ("/admin/risk/reviews", "/admin/risk/cases"):
        response = await risk_ui.client.get(f"{page}?{query}")
        assert response.status_code in (400, 422), (page, query)
        assert "<script>alert(1)</script>" not in response.text and 'class="error' in response.text


async def test_case_filters_and_unknown_cases(risk_ui: RiskUi) -> None:
    other = await risk_ui.client.get("/admin/risk/reviews?company_id=cmp_other")
    assert f'href="/admin/orders/{order_id(3)}"' in other.text and f'href="/admin/orders/{ORDER}"' not in other.text
    assert (await risk_ui.client.get("/admin/risk/cases?status=resolved")).text.count('href="/admin/risk/cases/case_') == 0
    assert (await risk_ui.client.get("/admin/risk/cases?status=%3Cb%3E")).status_code == 422
    paged = await risk_ui.client.get("/admin/risk/reviews?limit=2")
    assert 'rel="next"' in paged.text
    assert (await risk_ui.client.get("/admin/risk/cases/case_nope")).status_code == 404
    assert (await risk_ui.client.get("/admin/risk/cases/%3Cscript%3E")).status_code == 404
