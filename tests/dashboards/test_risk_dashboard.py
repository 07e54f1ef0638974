"""The risk dashboard page: panels from the dashboard use case, range picker, hostile filters."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import unescape

import pytest

from domain.staff import Locale, Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import sign_in

DAY = "range=custom&from=2026-11-25T00:00&to=2026-11-26T00:00"


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_it(staff_api: StaffHarness, role: Role) -> None:
    await sign_in(staff_api.client, staff_api.users[role].email)
    assert (await staff_api.client.get("/admin/dashboards/risk?" + DAY)).status_code == 200


async def test_panels_kpis_and_tables_for_a_custom_day(admin_ui: StaffHarness) -> None:
    page = await admin_ui.client.get("/admin/dashboards/risk?" + DAY)
    assert page.status_code == 200
    html = page.text
    kpis = dict(re.findall(r'data-kpi="(\w+)">([^<]+)<', html))
    assert kpis == {"decisions": "100", "approved": "90", "in_review": "3", "declined": "7"}
    charts = [json.loads(unescape(raw)) for raw in re.findall(r'data-panel="([^"]+)"', html)]
    assert [c["id"] for c in charts] == [
        "decisions_by_outcome", "alerts_by_rule", "score_distribution", "approval_latency", "fraud_rate_by_company",
    ]  # fmt: skip
    hourly = charts[0]
    assert len(hourly["x"]) == 24 and hourly["series"][0]["data"][1] == 90
    assert "eu_1" in html and "411111…1111" in html and "0.97" in html
    assert "Live" not in html and "A fixed range" in html


async def test_a_preset_range_refreshes_live(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get("/admin/dashboards/risk?range=1h")).text
    assert 'data-refresh-s="15"' in html and 'data-span-s="3600"' in html


@pytest.mark.parametrize(
    "query",
    [
        "range=custom&from=yesterday&to=2026-11-26T00:00",
        "range=custom&from=2026-11-26T00:00&to=2026-11-25T00:00",
        "range=custom&from=2026-01-01T00:00&to=2026-11-26T00:00",
        "range=1h&company_id=%27%20OR%201%3D1%20--",
        "range=1h&company_id=%3Cscript%3Ealert(1)%3C/script%3E",
        "range=1h&company_id=" + "x" * 10_000,
    ],
)
async def test_bad_ranges_and_hostile_companies_are_refused_with_a_message(
    admin_ui: StaffHarness, query: str
) -> None:
    response = await admin_ui.client.get("/admin/dashboards/risk?" + query)
    assert response.status_code == 422
    assert "Please correct the fields below." in response.text
    assert "<script>alert(1)</script>" not in response.text


async def test_russian_titles_and_labels(staff_api: StaffHarness) -> None:
    user = staff_api.users[Role.RISK]
    staff_api.staff.users[user.id] = replace(user, locale=Locale.RU)
    await sign_in(staff_api.client, user.email)
    html = (await staff_api.client.get("/admin/dashboards/risk?" + DAY)).text
    assert "Риск-дашборд" in html and "Решения по времени и исходу" in html
