"""Staff listings refuse times outside what the reports store holds (422, not a 500):
see api/time_params.py."""

from __future__ import annotations

import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.test_time_params import OUT_OF_RANGE, assert_out_of_range


@pytest.mark.parametrize("path", ["/staff/v1/audit", "/staff/v1/reports/transactions",
                                  "/staff/v1/reports/aggregates", "/staff/v1/reports/request-log"])  # fmt: skip
async def test_staff_listings_answer_422_not_500(staff_api: StaffHarness, path: str) -> None:
    response = await staff_api.client.get(path, params={"from": OUT_OF_RANGE[0]}, headers=staff_api.bearer(Role.ADMIN))
    assert_out_of_range(response, "from")


async def test_the_risk_dashboard_answers_422_not_500(staff_api: StaffHarness) -> None:
    params = {"from": OUT_OF_RANGE[0], "to": "2026-01-01T00:00:00Z"}
    response = await staff_api.client.get("/staff/v1/dashboards/risk", params=params, headers=staff_api.bearer(Role.ADMIN))
    assert_out_of_range(response, "from")
