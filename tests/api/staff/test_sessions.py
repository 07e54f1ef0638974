"""Staff sign-in: cookie and bearer sessions, CSRF, logout, lockout, and what gets audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from api.staff.tokens import SessionTokens
from domain.staff import RecordLoginFailure, RecordLoginSuccess, Role
from tests.api.staff.conftest import StaffHarness, build_client
from tests.api.staff.fakes import LOCKOUT, PASSWORD, SECRET

PROBLEM = "application/problem+json"
ADMIN_EMAIL = "admin@quadra.test"


def _cookies(response: httpx.Response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}


async def test_login_returns_a_token_and_sets_a_strict_http_only_cookie(staff_api: StaffHarness) -> None:
    response = await staff_api.login("  Admin@Quadra.TEST ", PASSWORD)  # emails are normalized

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("qs_") and body["csrf_token"] and body["expires_at"]
    cookies = _cookies(response)
    session = cookies["quadra_session"].lower()
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert "secure" not in session  # local mode: plain HTTP must work
    assert "httponly" not in cookies["quadra_csrf"].lower()  # the UI's script reads it
    assert [e.action for e in staff_api.audit.events] == ["staff.login"]

    me = await staff_api.client.get("/staff/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["role"] == "admin"
    assert "staff.manage" in me.json()["permissions"]


async def test_cookie_sessions_need_the_csrf_header_for_changes_bearer_sessions_do_not(
    staff_api: StaffHarness,
) -> None:
    login = (await staff_api.login(ADMIN_EMAIL, PASSWORD)).json()
    client = staff_api.client  # now holds the session cookie
    assert (await client.get("/staff/v1/me")).status_code == 200  # reading needs no CSRF token

    patch = {"address": "1 Main St"}
    url = "/staff/v1/companies/cmp_seeded"
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": login["token"]}):
        refused = await client.patch(url, json=patch, headers=headers)
        assert refused.status_code == 403 and refused.json()["type"].endswith("/csrf-failed")
    assert staff_api.registry.commands == []

    ok = await client.patch(url, json=patch, headers={"X-CSRF-Token": login["csrf_token"]})
    assert ok.status_code == 200, ok.text

    client.cookies.clear()
    bearer = await client.patch(url, json={"address": "2 Main St"},
                                headers={"Authorization": f"Bearer {login['token']}"})  # fmt: skip
    assert bearer.status_code == 200, bearer.text


async def test_a_csrf_token_of_another_session_is_refused(staff_api: StaffHarness) -> None:
    first = (await staff_api.login(ADMIN_EMAIL, PASSWORD)).json()
    await staff_api.login(ADMIN_EMAIL, PASSWORD)  # the client now holds the second session
    response = await staff_api.client.post(
        "/staff/v1/companies/cmp_seeded/deactivate", headers={"X-CSRF-Token": first["csrf_token"]}
    )
    assert response.status_code == 403 and response.json()["type"].endswith("/csrf-failed")


async def test_logout_ends_every_session_of_the_user(staff_api: StaffHarness) -> None:
    browser = (await staff_api.login(ADMIN_EMAIL, PASSWORD)).json()
    other_device = (await staff_api.login(ADMIN_EMAIL, PASSWORD)).json()

    response = await staff_api.client.post(
        "/staff/v1/logout", headers={"X-CSRF-Token": other_device["csrf_token"]}
    )
    assert response.status_code == 204
    assert "max-age=0" in _cookies(response)["quadra_session"].lower()  # the browser drops it

    for token in (browser["token"], other_device["token"]):
        me = await staff_api.client.get("/staff/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401 and me.headers["content-type"] == PROBLEM
    assert staff_api.audit.events[-1].action == "staff.logout"


async def test_wrong_password_and_unknown_email_look_the_same(staff_api: StaffHarness) -> None:
    wrong = await staff_api.login(ADMIN_EMAIL, "not the password")
    unknown = await staff_api.login("nobody@quadra.test", PASSWORD)

    for response in (wrong, unknown):
        assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        assert response.json()["type"].endswith("/login-failed")
        assert "set-cookie" not in response.headers
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert [type(c) for c in staff_api.staff.commands] == [RecordLoginFailure]  # only a real account counts
    assert [e.action for e in staff_api.audit.events] == ["staff.login_failed"] * 2


async def test_repeated_failures_lock_the_account_even_for_the_right_password(
    staff_api: StaffHarness,
) -> None:
    for _ in range(LOCKOUT.max_failed_logins):
        assert (await staff_api.login(ADMIN_EMAIL, "guess")).status_code == 401

    locked = await staff_api.login(ADMIN_EMAIL, PASSWORD)
    assert locked.status_code == 429 and locked.headers["content-type"] == PROBLEM
    assert locked.json()["type"].endswith("/account-locked")
    assert 14 * 60 < int(locked.headers["retry-after"]) <= 15 * 60
    assert staff_api.audit.events[-1].action == "staff.login_locked"

    # Once the lock has passed, the right password works and the count starts afresh.
    admin = staff_api.users[Role.ADMIN]
    user = staff_api.staff.users[admin.id]
    staff_api.staff.users[admin.id] = replace(user, locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert (await staff_api.login(ADMIN_EMAIL, "guess")).status_code == 401
    assert (await staff_api.login(ADMIN_EMAIL, PASSWORD)).status_code == 200
    assert isinstance(staff_api.staff.commands[-1], RecordLoginSuccess)
    assert staff_api.staff.users[admin.id].failed_logins == 0


async def test_deactivated_users_cannot_sign_in_and_lose_their_sessions(staff_api: StaffHarness) -> None:
    support = staff_api.users[Role.SUPPORT]
    token = staff_api.token(support)
    change = await staff_api.client.patch(
        f"/staff/v1/users/{support.id}", json={"active": False}, headers=staff_api.bearer(Role.ADMIN)
    )
    assert change.status_code == 200 and change.json()["active"] is False

    assert (await staff_api.login(support.email, PASSWORD)).status_code == 401
    me = await staff_api.client.get("/staff/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


async def test_bad_credentials_are_401_problems(staff_api: StaffHarness) -> None:
    admin = staff_api.users[Role.ADMIN]
    good = staff_api.token(admin)
    expired = SessionTokens(SECRET, timedelta(seconds=-1)).issue(admin, datetime.now(UTC)).token
    foreign = SessionTokens(b"another secret", timedelta(hours=1)).issue(admin, datetime.now(UTC)).token
    payload, signature = good.split(".")
    cases = {
        "none": {},
        "partner key": {"Authorization": "Bearer qk_test_" + "A" * 43},
        "basic": {"Authorization": "Basic YWRtaW46cGFzcw=="},
        "tampered": {"Authorization": f"Bearer {payload}x.{signature}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "other secret": {"Authorization": f"Bearer {foreign}"},
        "garbage": {"Authorization": "Bearer qs_' OR 1=1 --"},
        "cookie garbage": {"Cookie": "quadra_session=qs_nonsense"},
    }
    for name, headers in cases.items():
        response = await staff_api.client.get("/staff/v1/me", headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == PROBLEM, name
        assert response.json()["type"].endswith("/unauthorized"), name


async def test_cookies_are_secure_when_asked(staff_api: StaffHarness) -> None:
    # Live mode asks for Secure cookies (quadra.staff_roles); browsers then send them over HTTPS only.
    h = staff_api
    async with build_client(h.staff, h.registry, h.audit, h.key_uses, secure_cookies=True) as client:
        response = await client.post("/staff/v1/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 200
    assert all("secure" in c.lower() for c in _cookies(response).values())
