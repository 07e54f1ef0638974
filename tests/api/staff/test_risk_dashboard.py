"""GET /staff/v1/dashboards/risk over a fake of the panel reads: the answer's shape (what the
admin UI draws with ECharts), bucket choice, permissions and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from analytics.dashboards.risk import RISK_DASHBOARD
from api.staff.risk_dashboard_service import Bucket, RiskDashboard
from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.dashboard_fakes import FakePanels

URL = "/staff/v1/dashboards/risk"
DAY = {"from": "2026-11-25T00:00:00Z", "to": "2026-11-26T00:00:00Z"}


@dataclass
class Dash:
    api: StaffHarness
    fake: FakePanels

    async def get(self, params: Any, role: Role = Role.RISK) -> httpx.Response:
        return await self.api.client.get(URL, params=params, headers=self.api.bearer(role))


@pytest.fixture
async def dash(staff_api: StaffHarness) -> AsyncIterator[Dash]:
    fake = FakePanels()
    app = staff_api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    services = app.state.services
    app.state.services = replace(services, staff=replace(services.staff, risk_dashboard=RiskDashboard(fake)))
    yield Dash(staff_api, fake)


def _problem(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    return body


async def test_every_panel_comes_back_shaped_for_charts_and_tables(dash: Dash) -> None:
    r = await dash.get(DAY)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["from"] == "2026-11-25T00:00:00Z" and body["to"] == "2026-11-26T00:00:00Z"
    assert body["company_id"] is None and body["bucket"] == "hour" and body["bucket_seconds"] == 3600
    panels = {p["id"]: p for p in body["panels"]}
    assert list(panels) == [p.id for p in RISK_DASHBOARD.panels]

    outcomes = panels["decisions_by_outcome"]
    assert outcomes["kind"] == "timeseries_stacked" and outcomes["x_unit"] == "time"
    assert outcomes["title"] == "Decisions over time by outcome"
    assert outcomes["title_key"] == "dashboards.risk.decisions_by_outcome.title" and outcomes["title_ru"]
    assert len(outcomes["x"]) == 24 and outcomes["x"][:2] == ["2026-11-25T00:00:00Z", "2026-11-25T01:00:00Z"]
    assert [(s["name"], s["unit"]) for s in outcomes["series"]] == [
        ("approved", "count"), ("in_review", "count"), ("declined", "count")]  # fmt: skip
    assert outcomes["series"][0]["data"][:3] == [0, 90, 0]  # buckets without rows count 0
    assert outcomes["rows"] == []

    latency = panels["approval_latency"]
    assert latency["series"][1]["name"] == "p95_ms" and latency["series"][1]["unit"] == "ms"
    assert latency["series"][1]["data"][1:4] == [None, 900_000, None]  # no quantile without verdicts

    rules = panels["alerts_by_rule"]
    assert rules["kind"] == "bar" and rules["x"] == ["card_burst", "new_device"]
    assert [s["data"] for s in rules["series"]] == [[5, 0], [0, 2]]

    users = panels["top_end_users"]
    assert users["kind"] == "table" and users["x"] == [] and users["series"] == []
    assert [c["name"] for c in users["columns"]] == ["end_user_id", "company_id", "declined", "in_review", "max_score"]
    assert users["rows"] == [["eu_1", "cmp_seeded", 2, 1, 0.97]]
    assert panels["top_recipients"]["rows"] == [["tok_abc", "card", "411111…1111", 2, 0, None]]


@pytest.mark.parametrize(("span", "bucket"), [
    (timedelta(hours=1), Bucket.MINUTE), (timedelta(hours=6), Bucket.MINUTE), (timedelta(hours=7), Bucket.HOUR),
    (timedelta(days=7), Bucket.HOUR), (timedelta(days=8), Bucket.DAY), (timedelta(days=93), Bucket.DAY),
])  # fmt: skip
async def test_the_bucket_follows_the_range(dash: Dash, span: timedelta, bucket: Bucket) -> None:
    start = datetime(2026, 8, 1, tzinfo=UTC)
    r = await dash.get({"from": start.isoformat(), "to": (start + span).isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["bucket_seconds"] == bucket.seconds
    assert {q.bucket_seconds for _, q in dash.fake.queries} == {bucket.seconds}
    outcomes = r.json()["panels"][0]
    assert len(outcomes["x"]) == span // timedelta(seconds=bucket.seconds)


async def test_company_offsets_and_unaligned_ranges_reach_the_reads(dash: Dash) -> None:
    r = await dash.get({"from": "2026-11-25T03:30:00+03:00", "to": "2026-11-25T05:10:00+03:00",
                        "company_id": "cmp_seeded"})  # fmt: skip
    assert r.status_code == 200, r.text
    q = dash.fake.queries[0][1]
    assert (q.time_from, q.time_to) == (datetime(2026, 11, 25, 0, 30, tzinfo=UTC), datetime(2026, 11, 25, 2, 10, tzinfo=UTC))
    assert q.company_id == "cmp_seeded" and r.json()["company_id"] == "cmp_seeded"
    assert len(r.json()["panels"][0]["x"]) == 100  # minutes 00:30 … 02:09


@pytest.mark.parametrize("role", [Role.RISK, Role.READ_ONLY, Role.ADMIN, Role.FINANCE, Role.SUPPORT])
async def test_risk_and_report_readers_may_read(dash: Dash, role: Role) -> None:
    assert (await dash.get(DAY, role)).status_code == 200


async def test_without_a_session_it_is_refused(dash: Dash) -> None:
    _problem(await dash.api.client.get(URL, params=DAY), 401)
    assert dash.fake.queries == []


@pytest.mark.parametrize("params", [
    {"from": "2026-11-26T00:00:00Z", "to": "2026-11-25T00:00:00Z"},  # reversed
    {"from": "2026-11-25T00:00:00Z", "to": "2026-11-25T00:00:00Z"},  # empty
    {"from": "2026-11-25T00:00:00Z", "to": "2026-11-25T00:00:30Z"},  # under a minute
    {"from": "2026-01-01T00:00:00Z", "to": "2026-11-25T00:00:00Z"},  # longer than 93 days
])  # fmt: skip
async def test_bad_ranges_are_a_problem_and_read_nothing(dash: Dash, params: dict[str, str]) -> None:
    body = _problem(await dash.get(params), 422)
    assert "to" in str(body)
    assert dash.fake.queries == []


@pytest.mark.parametrize("params", [
    {"to": DAY["to"]},  # no from
    {"from": DAY["from"]},  # no to
    {"from": "yesterday", "to": DAY["to"]},
    {"from": "2026-11-25T00:00:00", "to": "2026-11-26T00:00:00"},  # no offset: which day?
    {"from": "1" * 5000, "to": DAY["to"]},
    {**DAY, "company_id": "cmp_x' OR 1=1 --"},
    {**DAY, "company_id": "<script>alert(1)</script>"},
    {**DAY, "company_id": "cmp_" + "a" * 200},
    {**DAY, "panel": "decisions_by_outcome"},  # unknown parameters are refused, not ignored
])  # fmt: skip
async def test_malformed_and_hostile_input_is_a_422(dash: Dash, params: dict[str, str]) -> None:
    body = _problem(await dash.get(params), 422)
    assert body["errors"]
    assert dash.fake.queries == []


async def test_without_clickhouse_the_dashboard_is_unavailable(dash: Dash) -> None:
    app = dash.api.client._transport.app  # type: ignore[attr-defined]
    services = app.state.services
    app.state.services = replace(services, staff=replace(services.staff, risk_dashboard=None))
    _problem(await dash.get(DAY), 503)
