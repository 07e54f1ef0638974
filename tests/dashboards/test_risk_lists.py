"""The lists editor over the list use case's fakes: roles, add, remove (confirmed), filters,
CSRF and hostile input in every field."""

from __future__ import annotations

import pytest

from api.staff.list_service import entry_id
from detectors.lists import ListKind, entry_key
from domain.staff import Role
from tests.dashboards.risk_harness import RiskUi

ENTRY = {"kind": "end_user", "value": "user-42", "verdict": "block", "scope": "global", "company_id": "",
         "reason": "mule", "expires_at": ""}  # fmt: skip
NOTHING = (0, 0, 0, 0, 0)


async def _add(ui: RiskUi, **changes: str):  # type: ignore[no-untyped-def]
    token = await ui.csrf("/admin/risk/lists/new")
    return await ui.client.post("/admin/risk/lists/new", data={**ENTRY, **changes, "csrf_token": token})


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_browses_lists_but_only_reviewers_change_them(risk_ui: RiskUi, role: Role) -> None:
    await risk_ui.as_role(role)
    page = await risk_ui.client.get("/admin/risk/lists")
    assert page.status_code == 200
    may = role in (Role.ADMIN, Role.RISK)
    assert ('href="/admin/risk/lists/new"' in page.text) is may
    assert (await risk_ui.client.get("/admin/risk/lists/new")).status_code == (200 if may else 403)
    if not may:
        token = await risk_ui.csrf("/admin/risk/lists")
        refused = await risk_ui.client.post("/admin/risk/lists/new", data={**ENTRY, "csrf_token": token})
        assert refused.status_code == 403
        key = entry_id(entry_key(ListKind.END_USER, "user-42", None))
        gone = await risk_ui.client.post("/admin/risk/lists/remove", data={"entry": key, "confirm": "yes",
                                                                            "csrf_token": token})  # fmt: skip
        assert gone.status_code == 403
        assert risk_ui.written() == NOTHING


async def test_add_filter_and_remove_with_a_confirmation(risk_ui: RiskUi) -> None:
    added = await _add(risk_ui, reason="<script>alert(1)</script>", expires_at="2099-01-01T10:00")
    assert added.status_code == 303 and added.headers["location"] == "/admin/risk/lists?done=added"
    company = await _add(risk_ui, kind="phone", value="+49 (151) 123-456", scope="company", company_id="cmp_seeded")
    assert company.status_code == 303
    assert risk_ui.written()[3] == 2 and [e.action for e in risk_ui.h.audit.events] == ["fraud.list.put"] * 2
    page = await risk_ui.client.get("/admin/risk/lists?done=added")
    assert "The list entry was added." in page.text and "user-42" in page.text and "+49151123456" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    assert "2099-01-01 10:00" in page.text
    only_global = await risk_ui.client.get("/admin/risk/lists?scope=global")
    assert "user-42" in only_global.text and "+49151123456" not in only_global.text
    only_phones = await risk_ui.client.get("/admin/risk/lists?kind=phone&company_id=cmp_seeded")
    assert "user-42" not in only_phones.text and "+49151123456" in only_phones.text
    paged = await risk_ui.client.get("/admin/risk/lists?limit=1")
    assert 'rel="next"' in paged.text

    token = await risk_ui.csrf("/admin/risk/lists")
    key = entry_id(entry_key(ListKind.END_USER, "user-42", None))
    asked = await risk_ui.client.post("/admin/risk/lists/remove", data={"entry": key, "csrf_token": token})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text and "user-42" in asked.text
    assert risk_ui.written()[3] == 2
    removed = await risk_ui.client.post("/admin/risk/lists/remove", data={"entry": key, "confirm": "yes",
                                                                           "csrf_token": token})  # fmt: skip
    assert removed.status_code == 303 and removed.headers["location"] == "/admin/risk/lists?done=removed"
    assert risk_ui.desk.lists.records[-1] == (entry_key(ListKind.END_USER, "user-42", None), None)
    assert "user-42" not in (await risk_ui.client.get("/admin/risk/lists")).text


async def test_a_card_number_is_tokenized_and_never_shown(risk_ui: RiskUi) -> None:
    added = await _add(risk_ui, kind="card_token", value="4111 1111 1111 1111")
    assert added.status_code == 303
    page = await risk_ui.client.get("/admin/risk/lists")
    assert "tok_" in page.text and "4111" not in page.text
    refused = await _add(risk_ui, kind="card_token", value="4111111111111111", reason="pan 4111111111111111")
    assert refused.status_code == 422 and "4111111111111111" not in refused.text


HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "changes, status",
    [
        ({"kind": HOSTILE}, 422),
        ({"kind": "' OR 1=1 --"}, 422),
        ({"verdict": HOSTILE}, 422),
        ({"scope": HOSTILE}, 422),
        ({"scope": "company", "company_id": HOSTILE}, 422),
        ({"scope": "company", "company_id": "cmp_unknown"}, 422),
        ({"scope": "company"}, 422),
        ({"company_id": "cmp_seeded"}, 422),
        ({"value": ""}, 422),
        ({"value": HOSTILE, "kind": "ip"}, 422),
        ({"value": "12ab", "kind": "bin"}, 422),
        ({"value": "v" * 257}, 422),
        ({"value": "x" * 100_000}, 413),
        ({"reason": "r" * 1001}, 422),
        ({"reason": "bell\x07"}, 422),
        ({"expires_at": "tomorrow"}, 422),
        ({"expires_at": HOSTILE}, 422),
        ({"expires_at": "2001-01-01T00:00"}, 422),
    ],
)
async def test_hostile_entries_are_refused_with_a_message_and_write_nothing(
    risk_ui: RiskUi, changes: dict[str, str], status: int
) -> None:
    response = await _add(risk_ui, **changes)
    assert response.status_code == status, response.text[-1500:]
    assert HOSTILE not in response.text
    if status == 422:
        assert 'class="error-summary"' in response.text
    assert risk_ui.written() == NOTHING


@pytest.mark.parametrize(
    "query",
    [f"kind={HOSTILE}", "verdict=%27%20OR%201=1%20--", "scope=company", "scope=global&company_id=cmp_seeded",
     "company_id=%3Cscript%3E", "limit=abc", "limit=501", "include_expired=maybe", "cursor=%3Cscript%3E",
     "cursor=" + "c" * 2000],
)
async def test_hostile_filters_are_refused_and_shown_escaped(risk_ui: RiskUi, query: str) -> None:
    response = await risk_ui.client.get(f"/admin/risk/lists?{query}")
    assert response.status_code == 422
    assert HOSTILE not in response.text and 'class="error' in response.text


async def test_posts_without_csrf_and_unknown_entries_are_refused(risk_ui: RiskUi) -> None:
    key = entry_id(entry_key(ListKind.END_USER, "user-42", None))
    assert (await risk_ui.client.post("/admin/risk/lists/new", data=ENTRY)).status_code == 403
    assert (await risk_ui.client.post("/admin/risk/lists/remove", data={"entry": key, "confirm": "yes"})).status_code == 403
    token = await risk_ui.csrf("/admin/risk/lists")
    for entry in (key, HOSTILE, "x" * 5000):  # not listed / not an id this page handed out
        response = await risk_ui.client.post("/admin/risk/lists/remove", data={"entry": entry, "csrf_token": token})
        assert response.status_code == 404 and HOSTILE not in response.text
    assert risk_ui.written() == NOTHING
