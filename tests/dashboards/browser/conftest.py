"""Fixtures for back-office tests in a real browser over the staff API's fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from playwright.async_api import Page

from dashboards import vendor
from tests.api.staff.conftest import StaffHarness, shared_staff_app, staff_api  # noqa: F401  # the fixtures
from tests.api.staff.fakes import PASSWORD
from tests.dashboards.browser.harness import Shots, browser_page, serving


@dataclass
class LiveAdmin:
    harness: StaffHarness
    page: Page
    shots: Shots
    url: str

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        await self.page.goto("/admin/login")
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url("**/admin")


@pytest.fixture(scope="session")
def vendor_files() -> None:
    vendor.ensure()


@pytest.fixture
async def live_admin(
    staff_api: StaffHarness,  # noqa: F811
    vendor_files: None,
    request: pytest.FixtureRequest,
) -> AsyncIterator[LiveAdmin]:
    assert staff_api.app is not None
    shots = Shots(request.node.nodeid.split("::", 1)[-1])
    async with serving(staff_api.app) as url, browser_page(url, shots) as page:
        yield LiveAdmin(staff_api, page, shots, url)
