"""`GET /v1/fraud-reports` over a fake reader: the caller's company only, newest first, time
range, cursor pages, the `fraud.suspected` webhook's shape, and bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson
import pytest

from api.fraud_report_service import PartnerFraudReports
from domain.fraud import FraudReport
from domain.fraud_views import ReportKey
from domain.webhook_events import fraud_report_message
from tests.api.conftest import ApiHarness
from tests.api.fakes import OTHER_KEY
from tests.builders import T0
from tests.fraud_builders import M, report


@dataclass
class InMemoryFraudReports:
    reports: list[FraudReport] = field(default_factory=list)

    async def page(
        self, company_id: str, at_from: datetime | None, at_to: datetime | None, after: ReportKey | None, limit: int
    ) -> tuple[list[FraudReport], ReportKey | None]:
        rows = sorted(
            (r for r in self.reports if r.company_id == company_id
             and (at_from is None or r.reported_at >= at_from) and (at_to is None or r.reported_at < at_to)
             and (after is None or (r.reported_at, r.report_id) < (after.reported_at, after.report_id))),
            key=lambda r: (r.reported_at, r.report_id), reverse=True,
        )  # fmt: skip
        last = rows[limit - 1] if len(rows) > limit else None
        return rows[:limit], (ReportKey(last.reported_at, last.report_id) if last else None)


@pytest.fixture
async def reports(api: ApiHarness) -> AsyncIterator[ApiHarness]:
    fake = InMemoryFraudReports([report(n, "cmp_b" if n in (2, 5) else "cmp_a") for n in range(1, 9)])
    app = api.client._transport.app  # type: ignore[attr-defined]  # the ASGI app under test
    app.state.services = replace(app.state.services, fraud_reports=PartnerFraudReports(fake))
    yield api


def _problem(r: Any, status: int, slug: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["type"].endswith("/" + slug)


async def test_the_company_pages_through_its_own_reports_newest_first(reports: ApiHarness) -> None:
    first = await reports.client.get("/v1/fraud-reports", params={"limit": 4})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["object"] == "list" and [r["id"] for r in body["data"]] == ["frr_0008", "frr_0007", "frr_0006",
                                                                            "frr_0004"]  # fmt: skip
    rest = (await reports.client.get("/v1/fraud-reports", params={"limit": 4, "cursor": body["next_cursor"]})).json()
    assert [r["id"] for r in rest["data"]] == ["frr_0003", "frr_0001"] and rest["next_cursor"] is None

    other = await reports.client.get("/v1/fraud-reports", headers={"Authorization": f"Bearer {OTHER_KEY}"})
    assert [r["id"] for r in other.json()["data"]] == ["frr_0005", "frr_0002"]

    ranged = await reports.client.get("/v1/fraud-reports", params={"from": (T0 + 3 * M).isoformat(),
                                                                   "to": (T0 + 7 * M).isoformat()})  # fmt: skip
    assert [r["id"] for r in ranged.json()["data"]] == ["frr_0006", "frr_0004", "frr_0003"]


async def test_a_report_reads_like_the_fraud_suspected_webhook(reports: ApiHarness) -> None:
    body = (await reports.client.get("/v1/fraud-reports", params={"limit": 1})).json()
    webhook = orjson.loads(fraud_report_message(report(8)).body)
    assert body["data"][0] == webhook["data"]
    assert body["data"][0]["end_user"] == {"id": "user-8"} and body["data"][0]["object"] == "fraud_report"


BAD_PARAMS: list[dict[str, Any]] = [
    {"from": "yesterday"}, {"from": "2026-11-26T00:00:00"}, {"limit": 0}, {"limit": 10_000}, {"limit": "x"},
    {"company_id": "cmp_b"}, {"from": "2026-11-27T00:00:00Z", "to": "2026-11-26T00:00:00Z"},
    {"end_user_id": "' OR 1=1 --"},
]  # fmt: skip


@pytest.mark.parametrize("params", BAD_PARAMS, ids=[str(i) for i in range(len(BAD_PARAMS))])
async def test_bad_parameters_are_422_never_another_company(reports: ApiHarness, params: dict[str, Any]) -> None:
    _problem(await reports.client.get("/v1/fraud-reports", params=params), 422, "validation-failed")


async def test_bad_cursors_keys_and_no_reader(reports: ApiHarness, api: ApiHarness) -> None:
    for cursor in ("x", "' OR 1=1 --", "a" * 1001):
        r = await reports.client.get("/v1/fraud-reports", params={"cursor": cursor})
        assert r.status_code in (400, 422) and r.headers["content-type"] == "application/problem+json"
    # A cursor of another company's listing pages only through the caller's own reports.
    theirs = (await reports.client.get("/v1/fraud-reports", params={"limit": 1},
                                       headers={"Authorization": f"Bearer {OTHER_KEY}"})).json()["next_cursor"]  # fmt: skip
    mine = (await reports.client.get("/v1/fraud-reports", params={"cursor": theirs})).json()
    assert all(r["id"] not in ("frr_0005", "frr_0002") for r in mine["data"])
    _problem(await reports.client.get("/v1/fraud-reports", headers={"Authorization": "Bearer nope"}), 401,
             "unauthorized")  # fmt: skip
    app = api.client._transport.app  # type: ignore[attr-defined]
    app.state.services = replace(app.state.services, fraud_reports=None)
    _problem(await api.client.get("/v1/fraud-reports"), 503, "fraud-reports-unavailable")
