"""The back office over the staff API's in-memory fakes (tests/api/staff/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness, staff_api  # noqa: F401  # the fixture
from tests.api.staff.fakes import PASSWORD

_HIDDEN = re.compile(r'name="(csrf_token|login_csrf)" value="([^"]+)"')


def hidden(html: str, name: str) -> str:
    for found, value in _HIDDEN.findall(html):
        if found == name:
            return value
    raise AssertionError(f"no hidden {name} field in the page")


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/admin/login")
    return await client.post(
        "/admin/login",
        data={"email": email, "password": password, "login_csrf": hidden(form.text, "login_csrf")},
    )


@pytest.fixture
async def admin_ui(staff_api: StaffHarness) -> AsyncIterator[StaffHarness]:  # noqa: F811
    """The harness with its client signed in to the back office as the admin."""
    response = await sign_in(staff_api.client, staff_api.users[Role.ADMIN].email)
    assert response.status_code == 303, response.text
    yield staff_api


async def csrf_of(client: httpx.AsyncClient, page: str = "/admin") -> str:
    return hidden((await client.get(page)).text, "csrf_token")


from tests.dashboards.risk_harness import desk_fixture, fraud, risk_ui  # noqa: E402, F401  # the Risk pages' desks
