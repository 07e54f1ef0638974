"""The transactions page over the report fakes: every filter reaches the use case, pages,
sorts, totals; it refuses exactly what the JSON route refuses, with messages by the fields."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from analytics.reports.transactions import Sort, SortField
from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.api.staff.report_fakes import transaction
from tests.dashboards.conftest import ReportDesk, raw_get, sign_in

PAGE = "/admin/transactions"
HOSTILE_SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
HUGE = "a" * 100_000


def _page_calls(desk: ReportDesk) -> list[tuple]:  # type: ignore[type-arg]
    return [args for name, args in desk.reads.calls if name == "page"]


@pytest.fixture
async def desk(report_desk: ReportDesk) -> ReportDesk:
    await sign_in(report_desk.h.client, report_desk.h.users[Role.READ_ONLY].email)
    return report_desk


async def test_every_filter_reaches_the_report_and_the_page_shows_rows_and_totals(desk: ReportDesk) -> None:
    params = [
        ("company_id", f"{COMPANY}, cmp_other"), ("status", "completed"), ("status", "failed"),
        ("product_type", "gift_certificate"), ("product_id", "gift-eur"), ("provider", "giftco,bank_a"),
        ("currency", "EUR"), ("from", "2026-11-01T09:30"), ("to", "2026-12-01T00:00:00+01:00"),
        ("amount_min", "12.50"), ("amount_max", "1 234,05"), ("end_user_id", SQL), ("card_last4", "4242"),
        ("external_id", "ext-1"), ("sandbox", "false"), ("sort", "amount"), ("order", "asc"), ("limit", "25"),
    ]  # fmt: skip
    r = await desk.h.client.get(PAGE, params=params)
    assert r.status_code == 200, r.text
    f, sort, after, limit = _page_calls(desk)[0]
    assert f.company_ids == (COMPANY, "cmp_other") and f.statuses == ("completed", "failed")
    assert (f.product_types, f.product_ids, f.providers) == (("gift_certificate",), ("gift-eur",), ("giftco", "bank_a"))
    assert (f.currency, f.amount_min, f.amount_max) == ("EUR", 1250, 123405)  # exact minor units
    assert f.created_from == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)  # a time without a zone is UTC
    assert f.created_to == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert (f.end_user_id, f.card_last4, f.external_id, f.sandbox) == (SQL, "4242", "ext-1", False)
    assert sort == Sort(SortField.AMOUNT, descending=False) and after is None and limit == 25
    page = r.text
    assert 'value="completed" checked' in page and 'value="failed" checked' in page
    assert 'value="gift_certificate" checked' in page and 'value="received" checked' not in page
    assert f'value="{escape(SQL)}"' in page  # SQL text is just a value, shown back escaped
    assert 'value="2026-11-01T09:30:00"' in page and 'value="2026-11-30T23:00:00"' in page
    for n in range(3):
        assert f'href="/admin/orders/ord_{n:032x}"' in page
    assert "<strong>3</strong> transactions match" in page
    assert "30.03\u00a0EUR" in page and "0.30\u00a0EUR" in page  # the totals as the API returns them
    assert "10.02\u00a0EUR" in page  # a row's amount


async def test_amounts_are_decimals_of_the_currency_converted_exactly(desk: ReportDesk) -> None:
    client = desk.h.client
    cases = [({"amount_min": "0.1", "amount_max": "0.3"}, (10, 30)),
             ({"amount_min": "9999999999999.99"}, (999_999_999_999_999, None)),
             ({"amount_min": "1200", "currency": "JPY"}, (1200, None)),
             ({"amount_min": "1.005", "currency": "KWD"}, (1005, None)),
             ({"amount_min": "12.500", "currency": "EUR"}, (1250, None))]  # fmt: skip
    for params, expected in cases:
        assert (await client.get(PAGE, params=params)).status_code == 200, params
        f = _page_calls(desk)[-1][0]
        assert (f.amount_min, f.amount_max) == expected, params
    calls = len(desk.reads.calls)
    for params in ({"amount_min": "12.505"}, {"amount_min": "12.5", "currency": "JPY"}, {"amount_min": "1e5"},
                   {"amount_min": "abc"}, {"amount_max": "-1"}, {"amount_min": "10000000000000.01"}):  # fmt: skip
        r = await client.get(PAGE, params=params)
        assert r.status_code == 422, params
        assert 'aria-invalid="true"' in r.text and 'class="error" id="f-amount_' in r.text
    assert len(desk.reads.calls) == calls


async def test_keyset_pages_with_next_and_first_links(desk: ReportDesk) -> None:
    client = desk.h.client
    first = await client.get(PAGE, params={"status": "completed", "limit": "2"})
    found = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert found and "First page" not in first.text
    assert "ord_" + f"{2:032x}" not in first.text
    second = await client.get(PAGE + html.unescape(found.group(1)))
    assert second.status_code == 200
    assert f"/admin/orders/ord_{2:032x}" in second.text and f"/admin/orders/ord_{0:032x}" not in second.text
    assert 'rel="next"' not in second.text
    first_link = re.search(r'href="([^"]*)">First page', second.text)
    assert first_link and "cursor" not in first_link.group(1) and "status=completed" in first_link.group(1)
    f, _sort, after, _limit = _page_calls(desk)[-1]
    assert after is not None and after.order_id == f"ord_{1:032x}" and f.statuses == ("completed",)
    assert "<strong>3</strong>" in second.text  # totals are of every page


async def test_sortable_headers_are_links_that_drop_the_cursor(desk: ReportDesk) -> None:
    first = await desk.h.client.get(PAGE, params={"limit": "1"})
    cursor = re.search(r'cursor=([^"&]+)', first.text)
    assert cursor
    r = await desk.h.client.get(PAGE, params={"limit": "1", "cursor": html.unescape(cursor.group(1))})
    created = re.search(r'aria-sort="descending"><a href="([^"]+)">Created', r.text)
    amount = re.search(r'aria-sort="none"><a href="([^"]+)">Amount', r.text)
    assert created and amount
    assert "order=asc" in created.group(1) and "cursor" not in created.group(1)
    assert "sort=amount&amp;order=desc" in amount.group(1) and "cursor" not in amount.group(1)
    asc = await desk.h.client.get(PAGE, params={"sort": "amount", "order": "asc"})
    assert 'aria-sort="ascending"><a href="?sort=amount&amp;order=desc">Amount' in asc.text


# The JSON route's refusals (tests/api/staff/test_reports.py) in the page's terms, and the field
# whose message says why ("" when it is not a field of the form).
REFUSED = [
    ({"from": "yesterday"}, "from"), ({"from": "2026-11-01T00:00:00+25:00"}, "from"),
    ({"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "to"),
    ({"amount_min": "10", "amount_max": "5"}, "amount_max"), ({"limit": "501"}, "limit"),
    ({"limit": "0"}, "limit"), ({"limit": "99999999999999999999"}, "limit"),
    ({"sort": "order_id; DROP TABLE orders"}, "sort"), ({"order": "sideways"}, "order"),
    ({"status": "paid"}, "status"), ({"product_type": "cash"}, "product_type"),
    ({"card_last4": "12345"}, "card_last4"), ({"currency": "eur'--"}, "currency"),
    ({"company_id": SQL}, "company_id"), ({"cursor": "bm90LWEtY3Vyc29y"}, ""), ({"cursor": "x" * 1001}, ""),
    ({"colour": "red"}, ""), ({"sandbox": "maybe"}, "sandbox"), ({"product_id": "a b"}, "product_id"),
    ({"provider": HOSTILE_SCRIPT}, "provider"), ({"external_id": "x" * 201}, "external_id"),
]  # fmt: skip


def _as_api(params: dict[str, str]) -> dict[str, str]:
    """The same query for the JSON route: amounts in minor units."""
    return {k: str(int(v) * 100) if k.startswith("amount_") else v for k, v in params.items()}


@pytest.mark.parametrize(("params", "field"), REFUSED, ids=lambda p: ",".join(p)[:40] if isinstance(p, dict) else p)
async def test_the_page_refuses_what_the_api_refuses_with_the_message_by_the_field(
    desk: ReportDesk, params: dict[str, str], field: str
) -> None:
    api = await desk.h.client.get(
        "/staff/v1/reports/transactions", params=_as_api(params), headers=desk.h.bearer(Role.READ_ONLY)
    )
    assert api.status_code in (400, 422)
    desk.reads.calls.clear()
    r = await desk.h.client.get(PAGE, params=params)
    assert r.status_code == api.status_code, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert desk.reads.calls == []  # refused before any query ran
    assert 'role="alert"' in r.text and HOSTILE_SCRIPT not in r.text
    if field:
        assert f'class="error" id="f-{field}-note"' in r.text  # the message by its field
    assert "<table>" not in r.text  # no rows for a refused filter


async def test_a_foreign_cursor_says_to_start_from_the_first_page(desk: ReportDesk) -> None:
    r = await desk.h.client.get(PAGE, params={"cursor": "bm90LWEtY3Vyc29y"})
    assert r.status_code == 400 and "start from the first page" in r.text


TEXT_FIELDS = ["company_id", "product_id", "provider", "currency", "from", "to", "amount_min", "amount_max",
               "end_user_id", "card_last4", "external_id", "status", "product_type", "sandbox", "sort",
               "order", "limit", "cursor"]  # fmt: skip


@pytest.mark.parametrize("name", TEXT_FIELDS)
@pytest.mark.parametrize("value", [HOSTILE_SCRIPT, SQL, HUGE, "abc"], ids=["script", "sql", "huge", "wrong-type"])
async def test_hostile_input_in_every_filter_is_escaped_or_refused(desk: ReportDesk, name: str, value: str) -> None:
    status, text = await raw_get(desk.h, PAGE, urlencode({name: value}))
    assert status in (200, 400, 422), text[:500]
    assert HOSTILE_SCRIPT not in text
    assert len(text) < 60_000  # a huge value is not echoed back whole
    if status == 200:  # a value the API takes too: it reached the report as a value, shown escaped
        assert value != HUGE and value in str(_page_calls(desk)[-1][0])
        assert str(escape(value)) in text
    else:
        assert desk.reads.calls == []
        assert 'role="alert"' in text
        if name != "cursor":  # the cursor is no field of the form: its message is in the summary
            assert f'class="error" id="f-{name}-note"' in text


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_with_reports_read_sees_the_page_and_its_export(report_desk: ReportDesk, role: Role) -> None:
    h = report_desk.h
    await sign_in(h.client, h.users[role].email)
    r = await h.client.get(PAGE)
    assert r.status_code == 200
    assert 'action="/admin/transactions/exports"' in r.text  # reports.read is what the export routes need
    assert "/staff/v1/reports/transactions.csv?" in r.text


async def test_signed_out_viewers_are_sent_to_sign_in(report_desk: ReportDesk) -> None:
    r = await report_desk.h.client.get(PAGE + "?status=completed")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login?next=/admin/transactions")
    assert report_desk.reads.calls == []


async def test_stored_hostile_text_in_rows_is_shown_escaped(desk: ReportDesk) -> None:
    desk.reads.transactions = [
        transaction(1, end_user_id=HOSTILE_SCRIPT, external_id='"><img src=x>', status_reason=SQL,
                    amount_value=123456789, currency="RUB"),
    ]  # fmt: skip
    r = await desk.h.client.get(PAGE)
    assert r.status_code == 200
    assert HOSTILE_SCRIPT not in r.text and "<img src=x>" not in r.text
    assert str(escape(HOSTILE_SCRIPT)) in r.text and str(escape(SQL)) in r.text
    assert "1,234,567.89\u00a0RUB" in r.text
