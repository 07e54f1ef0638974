"""The order detail page over the order timelines' fakes (one order's whole story): facts,
decision, webhooks and the timeline in time order; the case link only for reviewers of a held
order; the 404 page for any id that names no order; stored hostile text shown escaped and no
card number in the clear anywhere."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

import pytest

from dashboards.formats import NBSP
from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import raw_get, sign_in
from tests.dashboards.order_stories import (
    ESCAPED_SECRET, HOSTILE, SQL, HostileReads, hostile_story, in_review_story, serve_story,
)  # fmt: skip
from tests.timeline_builders import CLEAR_PAN, ORDER_ID, REQUEST_ID, SECRET

PAGE = f"/admin/orders/{ORDER_ID}"
KINDS = ("status", "decision", "partner_request", "provider_call", "ledger_entry", "case_event", "webhook_attempt")


def assert_nothing_leaks(html: str) -> None:
    assert CLEAR_PAN not in html and SECRET not in html and "supersecret" not in html
    assert ESCAPED_SECRET not in html and HOSTILE not in html


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_reads_the_order_as_the_json_route_allows(staff_api: StaffHarness, role: Role) -> None:
    api = await staff_api.client.get(f"/staff/v1/orders/{ORDER_ID}", headers=staff_api.bearer(role))
    await sign_in(staff_api.client, staff_api.users[role].email)
    r = await staff_api.client.get(PAGE)
    assert r.status_code == api.status_code == 200
    assert "Content-Security-Policy" in r.headers and "Server-Timing" in r.headers


async def test_signed_out_goes_to_the_sign_in_form(staff_api: StaffHarness) -> None:
    r = await staff_api.client.get(PAGE)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login?next=" + quote(PAGE, safe="/")


async def test_the_facts_the_decision_and_the_webhooks(admin_ui: StaffHarness) -> None:
    r = await admin_ui.client.get(PAGE)
    html = r.text
    for shown in (f"25.00{NBSP}EUR", f"0.50{NBSP}EUR", "card-transfer-eur", "411111…1111", "user-story",
                  "ext-story", "idem-story", '<span class="status completed">completed</span>',
                  'href="/admin/companies/cmp_a"', "2026-11-26 12:00:00"):  # fmt: skip
        assert shown in html, shown
    decision = html[html.index('id="h-decision"') : html.index('id="h-webhooks"')]
    assert '<a class="rule" href="/admin/risk/rules/many_to_one"><code>many_to_one@3</code></a>' in decision
    assert 'href="/admin/risk/rules/card_testing"' in decision  # the shadow rule
    assert "many users to one card" in decision and "0.870" in decision
    assert re.search(r"<code>distinct_users_24h</code></td><td class=\"num\">9</td>", decision)
    assert "<details>" in decision and "All 2 features" in decision
    webhooks = html[html.index('id="h-webhooks"') : html.index('id="h-timeline"')]
    assert "order.in_review" in webhooks and "order.completed" in webhooks
    assert "https://partner.test/hook" in webhooks and "token=" not in webhooks
    assert_nothing_leaks(html)


def _timeline_rows(html: str) -> list[tuple[str, str]]:
    table = html[html.index('<table class="timeline">') :]
    return re.findall(r'<tr class="kind-(\w+)">\s*<td class="num">([^<]+)</td>', table)


async def test_the_whole_timeline_in_time_order_with_a_badge_per_kind(admin_ui: StaffHarness) -> None:
    r = await admin_ui.client.get(PAGE)
    rows = _timeline_rows(r.text)
    detail = (await admin_ui.client.get(f"/staff/v1/orders/{ORDER_ID}", headers=admin_ui.bearer(Role.ADMIN))).json()
    assert [kind for kind, _ in rows] == [item["kind"] for item in detail["timeline"]]
    times = [datetime.strptime(at, "%Y-%m-%d %H:%M:%S") for _, at in rows]
    assert times == sorted(times) and {kind for kind, _ in rows} == set(KINDS)
    for kind in KINDS:
        assert f'<span class="kind {kind}">' in r.text


async def test_requests_link_to_the_viewer_and_show_their_sanitized_bodies(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get(PAGE)).text
    assert f'href="/admin/request-log/{REQUEST_ID}"' in html
    assert html.count('<details class="bodies">') == 3  # the partner's request and two provider calls
    assert '"card_number": "411111******1111"' in html.replace("&#34;", '"')  # pretty-printed, still masked
    assert '"api_key": "[REDACTED]"' in html.replace("&#34;", '"')
    webhook_attempt = re.search(r'href="/admin/request-log/(msg_[^"]+)"', html)
    assert webhook_attempt and (await admin_ui.client.get(webhook_attempt.group(0)[6:-1])).status_code == 200
    assert_nothing_leaks(html)


@pytest.mark.parametrize(("role", "linked"), [(Role.RISK, True), (Role.ADMIN, True), (Role.SUPPORT, False),
                                              (Role.FINANCE, False), (Role.READ_ONLY, False)])  # fmt: skip
async def test_reviewers_of_a_held_order_get_its_case(staff_api: StaffHarness, role: Role, linked: bool) -> None:
    serve_story(staff_api, in_review_story())
    await sign_in(staff_api.client, staff_api.users[role].email)
    html = (await staff_api.client.get(PAGE)).text
    assert '<span class="status in_review">' in html
    assert (f'href="/admin/risk/cases/case_{ORDER_ID}"' in html) is linked


async def test_no_case_link_once_the_order_left_review(staff_api: StaffHarness) -> None:
    await sign_in(staff_api.client, staff_api.users[Role.RISK].email)
    assert "/admin/risk/cases/" not in (await staff_api.client.get(PAGE)).text


UNKNOWN = ["ord_" + "0" * 32, "ord_" + "AB" * 16, "nope", HOSTILE, SQL, "x" * 10_000, "ord_" + "ab" * 16 + "%00",
           "..%2F..%2Fstaff%2Fv1"]  # fmt: skip


@pytest.mark.parametrize("order_id", UNKNOWN, ids=lambda v: v[:24])
async def test_an_id_naming_no_order_is_the_404_page(admin_ui: StaffHarness, order_id: str) -> None:
    path = "/admin/orders/" + (order_id if "%" in order_id else quote(order_id, safe=""))
    r = await admin_ui.client.get(path)
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert HOSTILE not in r.text and "x" * 200 not in r.text


@pytest.mark.parametrize("path", ["/admin/orders/../..", f"/admin/orders/{HOSTILE}", "/admin/orders/" + "y" * 100_000])
async def test_raw_hostile_paths_are_refused_unreflected(admin_ui: StaffHarness, path: str) -> None:
    status, body = await raw_get(admin_ui, path, "")
    assert status == 404 and HOSTILE not in body and "y" * 200 not in body


async def test_hostile_stored_text_is_shown_escaped(admin_ui: StaffHarness) -> None:
    serve_story(admin_ui, hostile_story(), HostileReads)
    r = await admin_ui.client.get(PAGE)
    assert r.status_code == 200
    html = r.text
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert html.count(escaped) >= 8  # reasons, rules, model, external id, metadata, notes, ledger, bodies
    assert "&#39; OR 1=1 --" in html
    assert 'href="/admin/risk/rules/%3Cscript%3Ealert%281%29%3C/script%3E"' in html
    assert_nothing_leaks(html)


async def test_a_process_without_order_details_says_so(admin_ui: StaffHarness) -> None:
    from dataclasses import replace

    assert admin_ui.app is not None
    services = admin_ui.app.state.services
    admin_ui.app.state.services = replace(services, staff=replace(services.staff, orders=None))
    r = await admin_ui.client.get(PAGE)
    assert r.status_code == 503 and "not available" in r.text
