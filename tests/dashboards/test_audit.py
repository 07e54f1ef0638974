"""The audit log page: who may see it, filters passed to the use case, hostile filters."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import sign_in


@pytest.mark.parametrize("role, status", [(Role.ADMIN, 200), (Role.FINANCE, 200), (Role.RISK, 200),
                                          (Role.SUPPORT, 403), (Role.READ_ONLY, 403)])  # fmt: skip
async def test_who_may_read_the_audit_log(staff_api: StaffHarness, role: Role, status: int) -> None:
    await sign_in(staff_api.client, staff_api.users[role].email)
    assert (await staff_api.client.get("/admin/audit")).status_code == status


async def test_lists_events_newest_first_and_pages_with_a_cursor(admin_ui: StaffHarness) -> None:
    page = await admin_ui.client.get("/admin/audit?action_prefix=balance.")
    assert page.status_code == 200
    assert page.text.index(">0:5<") < page.text.index(">0:1<")  # chain:seq, newest first
    assert "balance.top_up" in page.text and "stf_finance1" in page.text


@pytest.mark.parametrize(
    "query, status",
    [
        ("actor_id=%3Cscript%3Ealert(1)%3C/script%3E", 200),
        ("company_id=%27%20OR%201%3D1%20--", 200),
        ("from=yesterday", 422),
        ("from=2026-11-27T10:00&to=2026-11-26T10:00", 422),
        ("cursor=not-a-cursor", 422),
        ("target=" + "x" * 10_000, 422),
    ],
)
async def test_hostile_filters_are_values_or_refused_with_a_message(
    admin_ui: StaffHarness, query: str, status: int
) -> None:
    response = await admin_ui.client.get("/admin/audit?" + query)
    assert response.status_code == status
    assert "<script>alert(1)</script>" not in response.text
    if status == 422:
        assert "Please correct the fields below." in response.text
