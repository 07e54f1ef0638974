"""Your own account: language (the whole UI follows it) and password change."""

from __future__ import annotations

import pytest

from domain.staff import Locale, Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.fakes import PASSWORD
from tests.dashboards.conftest import csrf_of, sign_in

NEW = "a-brand-new-long-password"


async def test_switching_to_russian_translates_the_ui_and_formats_for_russia(staff_api: StaffHarness) -> None:
    client = staff_api.client
    await sign_in(client, staff_api.users[Role.FINANCE].email)
    done = await client.post("/admin/account/locale", data={"locale": "ru", "csrf_token": await csrf_of(client)})
    assert done.status_code == 303
    assert staff_api.staff.by_id(staff_api.users[Role.FINANCE].id).locale is Locale.RU  # type: ignore[union-attr]
    page = await client.get("/admin/account?done=locale")
    assert '<html lang="ru">' in page.text and "Язык сохранён." in page.text and "Выйти" in page.text


async def test_change_password_keeps_you_signed_in_and_the_new_password_works(staff_api: StaffHarness) -> None:
    client, user = staff_api.client, staff_api.users[Role.SUPPORT]
    await sign_in(client, user.email)
    changed = await client.post("/admin/account/password", data={
        "current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW,
        "csrf_token": await csrf_of(client),
    })  # fmt: skip
    assert changed.status_code == 303, changed.text
    page = await client.get("/admin/account?done=password")
    assert page.status_code == 200 and "Password changed" in page.text
    await client.post("/admin/logout", data={"csrf_token": await csrf_of(client)})
    assert (await sign_in(client, user.email, PASSWORD)).status_code == 401
    assert (await sign_in(client, user.email, NEW)).status_code == 303


@pytest.mark.parametrize(
    "current, new, repeat, status, message",
    [
        ("wrong-password-here", NEW, NEW, 403, "The current password is wrong."),
        (PASSWORD, NEW, NEW + "x", 422, "The two new passwords differ."),
        (PASSWORD, "short", "short", 422, "at least"),
        ("", NEW, NEW, 422, ""),
        (PASSWORD, "p" * 100_000, "p" * 100_000, 413, ""),
    ],
)
async def test_a_refused_change_says_why_and_changes_nothing(
    staff_api: StaffHarness, current: str, new: str, repeat: str, status: int, message: str
) -> None:
    client, user = staff_api.client, staff_api.users[Role.RISK]
    await sign_in(client, user.email)
    before = staff_api.staff.by_id(user.id).password_hash  # type: ignore[union-attr]
    response = await client.post("/admin/account/password", data={
        "current_password": current, "new_password": new, "repeat_password": repeat,
        "csrf_token": await csrf_of(client),
    })  # fmt: skip
    assert response.status_code == status
    assert message in response.text and "<script>alert(1)</script>" not in response.text
    assert staff_api.staff.by_id(user.id).password_hash == before  # type: ignore[union-attr]


@pytest.mark.parametrize("locale", ["de", "<b>ru</b>", "x" * 5000])
async def test_an_unknown_language_is_refused(staff_api: StaffHarness, locale: str) -> None:
    client = staff_api.client
    await sign_in(client, staff_api.users[Role.READ_ONLY].email)
    response = await client.post("/admin/account/locale", data={"locale": locale, "csrf_token": await csrf_of(client)})
    assert response.status_code == 422 and "<b>ru</b>" not in response.text


async def test_posts_without_csrf_are_refused(admin_ui: StaffHarness) -> None:
    for path, data in (("/admin/account/locale", {"locale": "ru"}),
                       ("/admin/account/password", {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW})):  # fmt: skip
        assert (await admin_ui.client.post(path, data=data)).status_code == 403
    assert admin_ui.staff.by_id(admin_ui.users[Role.ADMIN].id).locale is Locale.EN  # type: ignore[union-attr]
