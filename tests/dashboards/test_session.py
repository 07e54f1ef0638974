"""Signing in and out of the back office, roles in the menu, CSRF and hostile input."""

from __future__ import annotations

import httpx
import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import csrf_of, hidden, sign_in


async def test_pages_redirect_to_sign_in_and_back(staff_api: StaffHarness) -> None:
    client = staff_api.client
    response = await client.get("/admin?tab=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin%3Ftab%3Dx"
    signed = await sign_in(client, staff_api.users[Role.ADMIN].email)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    home = await client.get("/admin")
    assert home.status_code == 200
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert home.headers["server-timing"].startswith("app;dur=")


async def test_a_wrong_password_is_refused_with_a_message_and_audited(staff_api: StaffHarness) -> None:
    response = await sign_in(staff_api.client, staff_api.users[Role.ADMIN].email, "wrong-password")
    assert response.status_code == 401
    assert "Email or password is wrong." in response.text
    assert "quadra_session" not in response.headers.get("set-cookie", "")
    assert [e.action for e in staff_api.audit.events][-1] == "staff.login_failed"


async def test_a_login_post_without_its_form_token_is_refused(staff_api: StaffHarness) -> None:
    email = staff_api.users[Role.ADMIN].email
    response = await staff_api.client.post(
        "/admin/login", data={"email": email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 403
    assert "quadra_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example", "/admin\\..\\x", "javascript:alert(1)"]
)
async def test_next_never_leaves_the_back_office(staff_api: StaffHarness, next_path: str) -> None:
    form = await staff_api.client.get("/admin/login")
    response = await staff_api.client.post("/admin/login", data={
        "email": staff_api.users[Role.ADMIN].email, "password": "correct horse battery staple",
        "login_csrf": hidden(form.text, "login_csrf"), "next": next_path,
    })  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/admin"


@pytest.mark.parametrize("role", list(Role))
async def test_the_menu_offers_only_what_the_role_opens(staff_api: StaffHarness, role: Role) -> None:
    await sign_in(staff_api.client, staff_api.users[role].email)
    html = (await staff_api.client.get("/admin")).text
    assert ('href="/admin/users"' in html) is (role is Role.ADMIN)
    assert ('href="/admin/risk/reviews"' in html) is (role in (Role.ADMIN, Role.RISK))
    assert ('href="/admin/audit"' in html) is (role in (Role.ADMIN, Role.RISK, Role.FINANCE))


async def test_logout_needs_the_csrf_token_and_ends_the_session(staff_api: StaffHarness) -> None:
    client = staff_api.client
    await sign_in(client, staff_api.users[Role.SUPPORT].email)
    refused = await client.post("/admin/logout", data={"x": "1"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    done = await client.post("/admin/logout", data={"csrf_token": await csrf_of(client)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/login"
    assert (await client.get("/admin")).status_code == 303


@pytest.mark.parametrize(
    "email, password",
    [
        ("<script>alert(1)</script>@x.test", "x"),
        ("' OR 1=1 --", "' OR 1=1 --"),
        ("a" * 100_000, "b"),
        ("admin@quadra.test", "p" * 5000),
    ],
)
async def test_hostile_sign_in_input_is_refused_and_shown_escaped(
    staff_api: StaffHarness, email: str, password: str
) -> None:
    response = await sign_in(staff_api.client, email, password)
    assert response.status_code in (401, 413, 422)
    assert "<script>alert(1)</script>" not in response.text


async def test_a_form_post_of_the_wrong_kind_or_size_is_refused(staff_api: StaffHarness) -> None:
    client = staff_api.client
    as_json = await client.post("/admin/login", json={"email": "a@b.test"})
    assert as_json.status_code == 415 and as_json.headers["content-type"].startswith("text/html")
    huge = await client.post("/admin/login", data={"email": "a@b.test", "x": "y" * 70_000})
    assert huge.status_code == 413


async def test_an_unknown_admin_page_is_a_404_page(admin_ui: StaffHarness) -> None:
    response = await admin_ui.client.get("/admin/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


async def test_the_json_api_still_answers_problem_json(staff_api: StaffHarness) -> None:
    response = await staff_api.client.get("/staff/v1/no-such")
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_request_without_cookies_is_not_signed_in(staff_api: StaffHarness) -> None:
    transport = staff_api.client._transport  # same app, a fresh cookie jar
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as stranger:
        assert (await stranger.get("/admin")).status_code == 303
