"""Staff users page: admin only; creates and changes accounts through the staff use cases."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import csrf_of, sign_in

GOOD = {"email": "new@quadra.test", "name": "New Person", "role": "finance",
        "password": "a-long-enough-password"}  # fmt: skip


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
async def test_only_admins_see_the_page(staff_api: StaffHarness, role: Role) -> None:
    await sign_in(staff_api.client, staff_api.users[role].email)
    response = await staff_api.client.get("/admin/users")
    assert response.status_code == 403 and "staff.manage" in response.text


async def test_create_a_user_then_change_the_role(admin_ui: StaffHarness) -> None:
    client = admin_ui.client
    created = await client.post("/admin/users", data={**GOOD, "csrf_token": await csrf_of(client)})
    assert created.status_code == 303 and created.headers["location"] == "/admin/users?done=created"
    page = await client.get("/admin/users?done=created")
    assert "new@quadra.test" in page.text and "The user was created." in page.text
    user = admin_ui.staff.by_email("new@quadra.test")
    assert user is not None and user.role is Role.FINANCE
    changed = await client.post(f"/admin/users/{user.id}", data={
        "name": "New Person", "role": "risk", "active": "yes", "csrf_token": await csrf_of(client),
    })  # fmt: skip
    assert changed.status_code == 303
    assert admin_ui.staff.by_id(user.id).role is Role.RISK  # type: ignore[union-attr]
    assert [e.action for e in admin_ui.audit.events][-2:] == ["staff.user_create", "staff.user_update"]


async def test_an_admin_cannot_demote_themself_and_the_form_says_so(admin_ui: StaffHarness) -> None:
    me = admin_ui.users[Role.ADMIN]
    page = await admin_ui.client.get(f"/admin/users/{me.id}")
    assert 'name="role"' in page.text and 'type="hidden" name="role"' in page.text
    refused = await admin_ui.client.post(f"/admin/users/{me.id}", data={
        "name": me.name, "role": "read_only", "active": "yes", "csrf_token": await csrf_of(admin_ui.client),
    })  # fmt: skip
    assert refused.status_code == 409 and "cannot change your own role" in refused.text


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "<script>alert(1)</script>"),
        ("email", "' OR 1=1 --"),
        ("name", "x" * 100_000),
        ("role", "superuser"),
        ("password", "short"),
        ("name", ""),
    ],
)
async def test_hostile_input_is_refused_with_a_message_and_nothing_written(
    admin_ui: StaffHarness, field: str, value: str
) -> None:
    before = len(admin_ui.staff.all())
    client = admin_ui.client
    response = await client.post(
        "/admin/users", data={**GOOD, field: value, "csrf_token": await csrf_of(client)}
    )
    assert response.status_code in (413, 422), response.status_code
    assert "<script>alert(1)</script>" not in response.text
    assert len(admin_ui.staff.all()) == before


async def test_a_post_without_csrf_is_refused(admin_ui: StaffHarness) -> None:
    before = len(admin_ui.staff.all())
    response = await admin_ui.client.post("/admin/users", data=GOOD)
    assert response.status_code == 403 and len(admin_ui.staff.all()) == before


@pytest.mark.parametrize("user_id", ["nope", "stf_../../etc", "stf_" + "a" * 500, "stf_<b>"])
async def test_unknown_or_malformed_ids_are_404_pages(admin_ui: StaffHarness, user_id: str) -> None:
    response = await admin_ui.client.get(f"/admin/users/{user_id}")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
