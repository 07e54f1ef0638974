"""Staff report routes over a fake of the report reads: decoding, encoding, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from analytics.reports.transactions import Sort, SortField
from api.staff.report_service import ReportService
from api.staff.tokens import SessionTokens
from domain.registry import CreateCompany
from domain.staff import Role
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.conftest import COMPANY, PROFILE, build_client
from tests.api.staff.fakes import SECRET, InMemoryRegistry, InMemoryStaff, RecordingKeyUses
from tests.api.staff.report_fakes import T0, FakeReports

BASE = "/staff/v1/reports"
MONTH = {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}


@dataclass
class Reports:
    client: httpx.AsyncClient
    fake: FakeReports
    headers: dict[str, str]


@pytest.fixture
async def reports() -> AsyncIterator[Reports]:
    staff, registry, fake = InMemoryStaff(), InMemoryRegistry(), FakeReports()
    user = staff.add(Role.READ_ONLY)
    await registry.submit(CreateCompany("seed", COMPANY, PROFILE, T0))
    client = build_client(staff, registry, RecordingAuditTrail(), RecordingKeyUses(),
                          reports=ReportService(fake, fake, fake, fake))  # fmt: skip
    token = SessionTokens(SECRET, timedelta(hours=1)).issue(user, datetime.now(UTC)).token
    async with client:
        yield Reports(client, fake, {"Authorization": f"Bearer {token}"})


async def test_transactions_decode_every_filter_and_page_with_the_cursor(reports: Reports) -> None:
    params = [
        ("company_id", COMPANY), ("company_id", "cmp_other"), ("status", "completed"), ("status", "failed"),
        ("product_type", "gift_certificate"), ("product_id", "gift-eur"), ("provider", "giftco"),
        ("currency", "EUR"), ("from", "2026-11-01T00:00:00Z"), ("to", "2026-12-01T00:00:00+01:00"),
        ("amount_min", "100"), ("amount_max", "5000"), ("end_user_id", "x' OR 1=1 --"),
        ("card_last4", "4242"), ("external_id", "ext-1"), ("sandbox", "false"),
        ("sort", "amount"), ("order", "asc"), ("limit", "2"),
    ]  # fmt: skip
    r = await reports.client.get(f"{BASE}/transactions", params=params, headers=reports.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [t["order_id"] for t in body["data"]] == [f"ord_{n:032x}" for n in range(2)]
    assert body["data"][0]["amount"] == {"value": 1000, "currency": "EUR"} and body["data"][0]["fee"]["value"] == 10
    assert body["totals"] == {"count": 3, "by_currency": [{"currency": "EUR", "count": 3, "amount": 3003, "fee": 30}]}
    f, sort, after, limit = reports.fake.calls[0][1]
    assert (f.company_ids, f.statuses, f.product_types, f.providers) == (
        (COMPANY, "cmp_other"), ("completed", "failed"), ("gift_certificate",), ("giftco",))
    assert (f.amount_min, f.amount_max, f.end_user_id, f.card_last4, f.sandbox) == (100, 5000, "x' OR 1=1 --", "4242", False)
    assert f.created_from == T0.replace(day=1, hour=0) and sort == Sort(SortField.AMOUNT, False) and after is None
    assert limit == 2 and body["next_cursor"]

    more = dict(params) | {"cursor": body["next_cursor"]}
    r = await reports.client.get(f"{BASE}/transactions", params=more, headers=reports.headers)
    assert r.status_code == 200, r.text
    assert [t["order_id"] for t in r.json()["data"]] == [f"ord_{2:032x}"] and r.json()["next_cursor"] is None
    assert reports.fake.calls[-2][1][2].order_id == f"ord_{1:032x}"


@pytest.mark.parametrize(
    ("path", "params", "status", "pointer"),
    [
        ("transactions", {"from": "yesterday"}, 422, "/query/from"),
        ("transactions", {"from": "2026-11-01T00:00:00"}, 422, "/query/from"),  # no zone
        ("transactions", {"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, 422, "to"),
        ("transactions", {"amount_min": "10", "amount_max": "5"}, 422, "amount_max"),
        ("transactions", {"amount_min": "-1"}, 422, "/query/amount_min"),
        ("transactions", {"limit": "501"}, 422, "/query/limit"),
        ("transactions", {"limit": "0"}, 422, "/query/limit"),
        ("transactions", {"limit": "99999999999999999999"}, 422, "/query/limit"),
        ("transactions", {"sort": "order_id; DROP TABLE orders"}, 422, "/query/sort"),
        ("transactions", {"order": "sideways"}, 422, "/query/order"),
        ("transactions", {"status": "paid"}, 422, "/query/status/0"),
        ("transactions", {"card_last4": "12345"}, 422, "/query/card_last4"),
        ("transactions", {"currency": "eur'--"}, 422, "/query/currency"),
        ("transactions", {"company_id": "x' OR 1=1 --"}, 422, "/query/company_id/0"),
        ("transactions", {"cursor": "bm90LWEtY3Vyc29y"}, 400, "cursor"),
        ("transactions", {"cursor": "x" * 1001}, 422, "/query/cursor"),
        ("transactions", {"colour": "red"}, 422, "/query/colour"),
        ("aggregates", {"group_by": "week", **MONTH}, 422, "group_by"),
        ("aggregates", {"group_by": "day,day", **MONTH}, 422, "group_by"),
        ("aggregates", {"group_by": "day"}, 422, "from"),
        ("aggregates", {"group_by": "day", "from": MONTH["from"]}, 422, "to"),
        ("aggregates", {**MONTH}, 422, "/query/group_by"),
        ("aggregates", {"group_by": "day", "from": "2020-01-01T00:00:00Z", "to": MONTH["to"]}, 422, "to"),
        ("statements/" + COMPANY, {"currency": "EUR", "from": MONTH["from"]}, 422, "/query/to"),
        ("statements/" + COMPANY, {"currency": "euro", **MONTH}, 422, "/query/currency"),
        ("statements/" + COMPANY, {"currency": "EUR", "from": MONTH["to"], "to": MONTH["from"]}, 422, "to"),
        ("statements/cmp_unknown", {"currency": "EUR", **MONTH}, 404, None),
        ("statements/x'--", {"currency": "EUR", **MONTH}, 404, None),
        ("request-log", {"status": "99"}, 422, "/query/status"),
        ("request-log", {"status_min": "500", "status_max": "400"}, 422, "status_max"),
        ("request-log", {"direction": "sideways"}, 422, "/query/direction"),
        ("request-log", {"cursor": "AAAA"}, 400, "cursor"),
        ("request-log", {"limit": "100000"}, 422, "/query/limit"),
    ],
)
async def test_bad_input_is_a_problem(
    reports: Reports, path: str, params: dict[str, str], status: int, pointer: str | None
) -> None:
    r = await reports.client.get(f"{BASE}/{path}", params=params, headers=reports.headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if pointer is not None:
        assert pointer in [e["pointer"] for e in r.json()["errors"]], r.json()
    assert reports.fake.calls == []  # refused before any query ran


async def test_a_cursor_of_another_sort_is_refused(reports: Reports) -> None:
    r = await reports.client.get(f"{BASE}/transactions", params={"limit": "1"}, headers=reports.headers)
    cursor = r.json()["next_cursor"]
    r = await reports.client.get(f"{BASE}/transactions", params={"cursor": cursor, "sort": "amount"},
                                 headers=reports.headers)  # fmt: skip
    assert r.status_code == 400 and r.json()["type"].endswith("/invalid-cursor")


async def test_aggregates_statements_and_request_log(reports: Reports) -> None:
    h = reports.headers
    r = await reports.client.get(f"{BASE}/aggregates", params={"group_by": "day,company", "status": "completed", **MONTH}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"group_by": ["day", "company"], "data": [
        {"keys": {"day": "k0", "company": "k1"}, "currency": "EUR", "count": 2, "amount": 2000, "fee": 20}]}
    groupings, f = reports.fake.calls[-1][1]
    assert [g.value for g in groupings] == ["day", "company"] and f.statuses == ("completed",)
    repeated = await reports.client.get(f"{BASE}/aggregates", params=[("group_by", "status"), ("group_by", "product_type"),
                                        ("from", MONTH["from"]), ("to", MONTH["to"])], headers=h)  # fmt: skip
    assert repeated.json()["group_by"] == ["status", "product_type"]

    r = await reports.client.get(f"{BASE}/statements/{COMPANY}", params={"currency": "EUR", **MONTH}, headers=h)
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["from"], s["opening"]["total"], s["net"], s["closing"]["total"], s["reconciled"]) == (
        "2026-11-01T00:00:00Z", 100, 4000, 4100, True)
    assert [m["kind"] for m in s["movements"]] == ["capture", "reserve", "top_up"]

    params = {"company_id": COMPANY, "direction": "outbound", "path": "/v1/orders", "status_min": "400",
              "status_max": "599", "correlation_id": "ord_1", **MONTH}  # fmt: skip
    r = await reports.client.get(f"{BASE}/request-log", params=params, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["request_id"] == "req1" and r.json()["next_cursor"]
    q, after, limit = reports.fake.calls[-1][1]
    assert (q.company_id, q.direction, q.path_prefix, q.status_min, q.status_max, q.correlation_id) == (
        COMPANY, "outbound", "/v1/orders", 400, 599, "ord_1") and after is None and limit == 50
    r = await reports.client.get(f"{BASE}/request-log", params={"cursor": r.json()["next_cursor"]}, headers=h)
    assert r.status_code == 200 and reports.fake.calls[-1][1][1].request_id == "req1"


async def test_reports_need_a_session(reports: Reports) -> None:
    r = await reports.client.get(f"{BASE}/transactions")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
