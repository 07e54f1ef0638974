"""The request-log page over the report fakes: every filter reaches the search, rows link to
the detail viewer, keyset pages; it refuses what the JSON route refuses; hostile input."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.dashboards.conftest import ReportDesk, raw_get, sign_in

PAGE = "/admin/request-log"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"


@pytest.fixture
async def desk(report_desk: ReportDesk) -> ReportDesk:
    await sign_in(report_desk.h.client, report_desk.h.users[Role.SUPPORT].email)
    return report_desk


def _searches(desk: ReportDesk) -> list[tuple]:  # type: ignore[type-arg]
    return [args for name, args in desk.reads.calls if name == "search"]


async def test_every_filter_reaches_the_search_and_rows_link_to_their_detail(desk: ReportDesk) -> None:
    params = {"company_id": COMPANY, "direction": "outbound", "path": "/v1/orders", "status": "201",
              "status_min": "200", "status_max": "299", "correlation_id": SQL, "from": "2026-11-01T00:00",
              "to": "2026-12-01T00:00:00Z", "limit": "25"}  # fmt: skip
    r = await desk.h.client.get(PAGE, params=params)
    assert r.status_code == 200, r.text
    q, after, limit = _searches(desk)[0]
    assert (q.company_id, q.direction, q.path_prefix, q.status, q.status_min, q.status_max) == (
        COMPANY, "outbound", "/v1/orders", 201, 200, 299)
    assert q.correlation_id == SQL and after is None and limit == 25
    assert (q.at_from, q.at_to) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert 'href="/admin/request-log/req1">/v1/orders</a>' in r.text
    for shown in ("POST", "201", "12 ms", "2026-11-26 12:00:00", "corr-1"):
        assert shown in r.text
    assert '<option value="outbound" selected>' in r.text and f'value="{escape(SQL)}"' in r.text


async def test_keyset_pages_carry_the_cursor_and_the_filters(desk: ReportDesk) -> None:
    r = await desk.h.client.get(PAGE, params={"direction": "inbound"})
    found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', r.text)
    assert found and "direction=inbound" in found.group(1)
    second = await desk.h.client.get(PAGE + html.unescape(found.group(1)))
    assert second.status_code == 200
    q, after, _ = _searches(desk)[-1]
    assert after is not None and after.request_id == "req1" and q.direction == "inbound"
    first = re.search(r'href="([^"]*)">First page', second.text)
    assert first and "cursor" not in first.group(1)


REFUSED = [
    ({"status": "99"}, "status"), ({"status": "abc"}, "status"),
    ({"status_min": "500", "status_max": "400"}, "status_max"), ({"direction": "sideways"}, "direction"),
    ({"cursor": "AAAA"}, ""), ({"limit": "100000"}, "limit"), ({"company_id": SQL}, "company_id"),
    ({"from": "yesterday"}, "from"), ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
    ({"path": "x" * 501}, "path"), ({"correlation_id": "x" * 201}, "correlation_id"), ({"verb": "GET"}, ""),
]  # fmt: skip


@pytest.mark.parametrize(("params", "field"), REFUSED, ids=lambda p: ",".join(p)[:30] if isinstance(p, dict) else p)
async def test_the_page_refuses_what_the_api_refuses(desk: ReportDesk, params: dict[str, str], field: str) -> None:
    api_params = {k: (v + "T00:00:00Z" if k in ("from", "to") and len(v) == 10 else v) for k, v in params.items()}
    api = await desk.h.client.get(
        "/staff/v1/reports/request-log", params=api_params, headers=desk.h.bearer(Role.SUPPORT)
    )
    desk.reads.calls.clear()
    r = await desk.h.client.get(PAGE, params=params)
    assert r.status_code == api.status_code and r.status_code in (400, 422), r.text
    assert desk.reads.calls == [] and 'role="alert"' in r.text and "<table>" not in r.text
    if field:
        assert f'class="error" id="f-{field}-note"' in r.text


FIELDS = ["company_id", "direction", "path", "status", "status_min", "status_max", "correlation_id", "from",
          "to", "limit", "cursor"]  # fmt: skip


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", [HOSTILE_SCRIPT, SQL, "a" * 100_000, "abc"], ids=["script", "sql", "huge", "wrong-type"])
async def test_hostile_input_in_every_filter_is_escaped_or_refused(desk: ReportDesk, name: str, value: str) -> None:
    status, text = await raw_get(desk.h, PAGE, urlencode({name: value}))
    assert status in (200, 400, 422), text[:300]
    assert HOSTILE_SCRIPT not in text and len(text) < 60_000
    if status == 200:  # a path prefix or correlation id is any text: a bound value, shown escaped
        assert name in ("path", "correlation_id") and len(value) < 500
        assert value in str(_searches(desk)[-1][0]) and str(escape(value)) in text
    else:
        assert desk.reads.calls == [] and 'role="alert"' in text


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_with_reports_read_opens_it(report_desk: ReportDesk, role: Role) -> None:
    await sign_in(report_desk.h.client, report_desk.h.users[role].email)
    assert (await report_desk.h.client.get(PAGE)).status_code == 200


async def test_signed_out_viewers_are_sent_to_sign_in(report_desk: ReportDesk) -> None:
    r = await report_desk.h.client.get(PAGE)
    assert r.status_code == 303 and report_desk.reads.calls == []
