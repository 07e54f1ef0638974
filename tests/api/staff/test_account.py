"""A staff user's own account: the password change (which replaces every session, this one
included) and the language, over the in-memory staff agent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import get_args

import httpx
import pytest

from api.errors import Problem
from api.staff.auth_service import StaffAuthService
from api.staff.schemas import LocaleName
from api.staff.tokens import SessionTokens
from domain.staff import ChangeStaffPassword, ChangeStaffUser, Locale, RecordLoginFailure, Role
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.fakes import FAST_PASSWORDS, LOCKOUT, PASSWORD, SECRET, InMemoryStaff
from tests.api.staff.test_auth_service import StaleReplica

PROBLEM = "application/problem+json"
ADMIN_EMAIL = "admin@quadra.test"
NEW = "a brand new passphrase"
URL = "/staff/v1/me/password"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _cookies(response: httpx.Response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


async def test_changing_the_password_ends_every_session_and_hands_back_a_new_one(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    admin = h.users[Role.ADMIN]
    other_device = h.token(admin)
    login = (await h.login(ADMIN_EMAIL, PASSWORD)).json()  # the client holds the cookies now

    response = await h.client.post(
        URL, json={"current_password": PASSWORD, "new_password": NEW},
        headers={"X-CSRF-Token": login["csrf_token"]},
    )  # fmt: skip

    assert response.status_code == 200, response.text
    fresh = response.json()
    assert fresh["token"].startswith("qs_") and fresh["token"] != login["token"]
    cookies = _cookies(response)
    assert "httponly" in cookies["quadra_session"].lower() and fresh["token"] in cookies["quadra_session"]
    assert fresh["csrf_token"] in cookies["quadra_csrf"]
    for ended in (other_device, login["token"]):
        assert (await h.client.get("/staff/v1/me", headers=_bearer(ended))).status_code == 401
    assert (await h.client.get("/staff/v1/me")).status_code == 200  # the replaced cookie
    assert (await h.client.get("/staff/v1/me", headers=_bearer(fresh["token"]))).status_code == 200
    stale_csrf = await h.client.patch("/staff/v1/me", json={"locale": "ru"},
                                      headers={"X-CSRF-Token": login["csrf_token"]})  # fmt: skip
    assert stale_csrf.status_code == 403

    user = h.staff.users[admin.id]
    assert user.session_epoch == admin.session_epoch + 1 and user.failed_logins == 0
    assert FAST_PASSWORDS.verify(user.password_hash, NEW) and PASSWORD not in user.password_hash
    assert (await h.login(ADMIN_EMAIL, PASSWORD)).status_code == 401
    assert (await h.login(ADMIN_EMAIL, NEW)).status_code == 200
    changed = [e for e in h.audit.events if e.action == "staff.password_changed"]
    assert len(changed) == 1 and changed[0].target == admin.id
    assert NEW not in str(changed[0].details) and PASSWORD not in str(changed[0].details)
    logged = "\n".join(f"{r.request_body}\n{r.response_body}" for r in h.log.records)
    assert NEW not in logged and PASSWORD not in logged and fresh["token"] not in logged


async def test_a_wrong_current_password_is_a_403_counts_as_a_failed_sign_in_and_changes_nothing(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    user = h.users[Role.SUPPORT]
    token = h.token(user)

    response = await h.client.post(
        URL, json={"current_password": "not the password", "new_password": NEW}, headers=_bearer(token)
    )

    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/wrong-password")
    assert problem["errors"][0]["pointer"] == "/current_password"
    assert "set-cookie" not in response.headers
    assert [type(c) for c in h.staff.commands] == [RecordLoginFailure]
    after = h.staff.users[user.id]
    assert after.failed_logins == 1 and after.password_hash == user.password_hash
    assert after.session_epoch == user.session_epoch  # the session itself is fine
    assert (await h.client.get("/staff/v1/me", headers=_bearer(token))).status_code == 200
    assert [(e.action, e.details) for e in h.audit.events] == [
        ("staff.password_change_failed", {"reason": "wrong_password"})
    ]


async def test_guessing_through_a_session_locks_the_account_like_the_sign_in_form(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    user = h.users[Role.RISK]
    token = h.token(user)
    for n in range(LOCKOUT.max_failed_logins):
        guess = await h.client.post(
            URL, json={"current_password": f"guess number {n}", "new_password": NEW}, headers=_bearer(token)
        )
        assert guess.status_code == 403
    assert h.staff.users[user.id].locked(datetime.now(UTC))

    right = await h.client.post(
        URL, json={"current_password": PASSWORD, "new_password": NEW}, headers=_bearer(token)
    )

    assert right.status_code == 429 and right.json()["type"].endswith("/account-locked")
    assert int(right.headers["retry-after"]) > 0
    assert not any(isinstance(c, ChangeStaffPassword) for c in h.staff.commands)
    assert h.staff.users[user.id].password_hash == user.password_hash
    assert h.audit.events[-1].details == {"reason": "locked"}


async def test_cookie_sessions_need_the_csrf_header_for_their_own_account_too(
    staff_api: StaffHarness,
) -> None:
    h = staff_api
    await h.login(ADMIN_EMAIL, PASSWORD)
    h.audit.events.clear()
    before = dict(h.staff.users)
    requests = [("POST", URL, {"current_password": PASSWORD, "new_password": NEW}),
                ("PATCH", "/staff/v1/me", {"locale": "ru"})]  # fmt: skip
    for method, url, body in requests:
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            refused = await h.client.request(method, url, json=body, headers=headers)
            assert refused.status_code == 403 and refused.json()["type"].endswith("/csrf-failed")
    assert h.staff.users == before and h.audit.events == []
    assert [type(c) for c in h.staff.commands] == []  # the login needed no command


async def test_each_user_sets_their_own_language(staff_api: StaffHarness) -> None:
    h = staff_api
    reader = h.users[Role.READ_ONLY]
    me = await h.client.get("/staff/v1/me", headers=h.bearer(Role.READ_ONLY))
    assert me.json()["locale"] == "en"

    response = await h.client.patch("/staff/v1/me", json={"locale": "ru"}, headers=h.bearer(Role.READ_ONLY))

    assert response.status_code == 200, response.text
    assert response.json()["locale"] == "ru" and response.json()["id"] == reader.id
    assert (await h.client.get("/staff/v1/me", headers=h.bearer(Role.READ_ONLY))).json()["locale"] == "ru"
    assert h.staff.users[reader.id].locale is Locale.RU
    assert h.staff.users[reader.id].session_epoch == reader.session_epoch
    assert h.staff.commands == [ChangeStaffUser(h.staff.commands[0].request_id, reader.id,
                                                h.staff.commands[0].at, locale=Locale.RU)]  # fmt: skip
    assert [(e.action, e.actor_id, e.target, e.details) for e in h.audit.events] == [
        ("staff.user_update", reader.id, reader.id, {"locale": "ru"})
    ]
    others = [u for u in h.staff.users.values() if u.id != reader.id]
    assert all(u.locale is Locale.EN for u in others)


async def test_an_admin_sets_anyones_language_and_sees_it(staff_api: StaffHarness) -> None:
    h = staff_api
    risk = h.users[Role.RISK]
    response = await h.client.patch(
        f"/staff/v1/users/{risk.id}", json={"locale": "ru"}, headers=h.bearer(Role.ADMIN)
    )
    assert response.status_code == 200, response.text
    assert response.json()["locale"] == "ru" and response.json()["role"] == "risk"
    listed = (await h.client.get("/staff/v1/users", headers=h.bearer(Role.ADMIN))).json()["data"]
    assert {u["id"]: u["locale"] for u in listed}[risk.id] == "ru"
    assert h.audit.events[-1].details == {"locale": "ru"}


def test_the_wire_locales_are_the_domain_locales() -> None:
    assert get_args(LocaleName) == tuple(loc.value for loc in Locale)


async def test_a_session_newer_than_a_lagging_replica_is_accepted_an_older_one_is_not() -> None:
    """After a password change on one node, the new session must work on a node whose replica
    has not yet seen the epoch bump; sessions the bump ended must not."""
    agent = InMemoryStaff()
    user = agent.add(Role.FINANCE)
    tokens = SessionTokens(SECRET, timedelta(hours=1))
    now = datetime.now(UTC)
    replica = StaleReplica({user.id: replace(user, session_epoch=3)})
    auth = StaffAuthService(replica, agent, FAST_PASSWORDS, tokens, RecordingAuditTrail(), False)

    newer = tokens.issue(replace(user, session_epoch=4), now).token
    assert auth.session(newer, now).user.id == user.id
    for epoch in (0, 2):
        older = tokens.issue(replace(user, session_epoch=epoch), now).token
        with pytest.raises(Problem) as ended:
            auth.session(older, now)
        assert ended.value.status == 401
