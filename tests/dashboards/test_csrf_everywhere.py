"""Every back-office route that changes something refuses a post without the session's CSRF
token (a forged cross-site form), before it reads or writes anything."""

from __future__ import annotations

import re

import pytest

from dashboards import pages
from domain.staff import Role
from tests.api.staff.conftest import COMPANY, StaffHarness, client_of
from tests.dashboards.conftest import sign_in
from tests.fraud_builders import order_id

IDS = {
    "company_id": COMPANY, "user_id": "stf_admin0", "prefix": "qk_test_abcd", "slug": "top-up",
    "case_id": f"case_{order_id(1)}", "order_id": order_id(1), "rule_id": "velocity_user_1h",
}  # fmt: skip
SIGNED_OUT_ONLY = {"/login"}  # has its own pre-session token: tests/dashboards/test_session.py


def _posts() -> list[str]:
    paths = [r.path for router in pages.routers() for r in router.routes if "POST" in getattr(r, "methods", ())]
    return [p for p in paths if p not in SIGNED_OUT_ONLY]


@pytest.mark.parametrize("path", _posts())
@pytest.mark.parametrize("token", ["", "forged-token"])
async def test_a_post_without_the_csrf_token_is_refused(admin_ui: StaffHarness, path: str, token: str) -> None:
    url = "/admin" + re.sub(r"{(\w+)}", lambda m: IDS[m.group(1)], path)
    audit_before, commands_before = len(admin_ui.audit.events), len(admin_ui.registry.commands)
    form = {"csrf_token": token} if token else {}
    response = await admin_ui.client.post(url, data={**form, "currency": "EUR", "amount": "10", "confirm": "yes",
                                                    "name": "x", "locale": "ru", "note": "n", "action": "approve"})  # fmt: skip
    assert response.status_code == 403, (url, response.status_code)
    assert "CSRF" in response.text
    assert len(admin_ui.audit.events) == audit_before and len(admin_ui.registry.commands) == commands_before


async def test_every_post_route_is_covered() -> None:
    assert len(_posts()) >= 25


async def test_a_session_of_another_user_does_not_lend_its_token(staff_api: StaffHarness) -> None:
    assert staff_api.app is not None
    async with client_of(staff_api.app) as risk:
        await sign_in(risk, staff_api.users[Role.RISK].email)
        risk_token = re.search(r'name="csrf_token" value="([^"]+)"', (await risk.get("/admin")).text)
    assert risk_token
    admin = staff_api.client
    await sign_in(admin, staff_api.users[Role.ADMIN].email)
    before = len(staff_api.staff.all())
    response = await admin.post("/admin/users", data={
        "csrf_token": risk_token.group(1), "email": "a@b.test", "name": "A", "role": "admin",
        "password": "a-long-enough-password",
    })  # fmt: skip
    assert response.status_code == 403 and len(staff_api.staff.all()) == before
