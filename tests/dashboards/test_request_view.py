"""The request viewer (/admin/request-log/{id}) over the order story's logged exchanges:
every field, headers and bodies sanitized (JSON pretty-printed), what the log does not keep,
links to the company and the order; the 404 page for ids naming nothing; hostile text escaped."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from domain.staff import Role
from tests.api.staff.conftest import StaffHarness
from tests.dashboards.conftest import raw_get, sign_in
from tests.dashboards.order_stories import ESCAPED_SECRET, HOSTILE, SQL, hostile_story, serve_story
from tests.timeline_builders import CLEAR_PAN, ORDER_ID, REQUEST_ID, SECRET, order_story

PAGE = f"/admin/request-log/{REQUEST_ID}"


def _unquoted(html: str) -> str:
    return html.replace("&#34;", '"')


def _ids() -> dict[str, str]:
    story = order_story()
    outbound = [r.request_id for r in story.requests if r.direction == "outbound"]
    webhook = next(r.attempt_id for r in story.webhook_records if r.attempt)
    return {"outbound": outbound[-1], "timeout": outbound[0], "webhook": webhook}


@pytest.mark.parametrize("role", list(Role))
async def test_every_report_reader_opens_it_as_the_json_route_allows(staff_api: StaffHarness, role: Role) -> None:
    api = await staff_api.client.get(f"/staff/v1/request-log/{REQUEST_ID}", headers=staff_api.bearer(role))
    await sign_in(staff_api.client, staff_api.users[role].email)
    r = await staff_api.client.get(PAGE)
    assert r.status_code == api.status_code == 200


async def test_the_partners_request_sanitized_and_pretty(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get(PAGE)).text
    for shown in ("POST", "/v1/orders", "201", "12 ms", "203.0.113.7", "idem-story", "2026-11-26 12:00:00",
                  'href="/admin/companies/cmp_a"', f'<a href="/admin/orders/{ORDER_ID}">{ORDER_ID}</a>',
                  "<code>authorization</code>", "[REDACTED]", "<code>content-type</code>", "411111******1111",
                  "Secret headers (Authorization, cookies, API keys, CSRF tokens) are redacted.",
                  "Response headers: <strong>not kept</strong>"):  # fmt: skip
        assert shown in html, shown
    assert '{\n  "recipient": {\n    "card_number": "411111******1111"\n  },' in _unquoted(html)
    assert '<pre>{\n  "id": "' + ORDER_ID in _unquoted(html)
    assert CLEAR_PAN not in html and SECRET not in html


async def test_a_provider_call_links_its_order_by_correlation_id(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get("/admin/request-log/" + _ids()["outbound"])).text
    assert f'<a href="/admin/orders/{ORDER_ID}">{ORDER_ID}</a>' in html
    assert "Provider calls log no request headers" in html and "None logged." in html
    assert '"delivery": "[REDACTED]"' in _unquoted(html) and "GIFT-1" not in html
    assert CLEAR_PAN not in html


async def test_a_timed_out_call_says_no_response(admin_ui: StaffHarness) -> None:
    html = (await admin_ui.client.get("/admin/request-log/" + _ids()["timeout"])).text
    assert "no response" in html and "ReadTimeout" in html


async def test_a_webhook_attempt_explains_what_is_not_kept(admin_ui: StaffHarness) -> None:
    r = await admin_ui.client.get("/admin/request-log/" + quote(_ids()["webhook"], safe=""))
    assert r.status_code == 200
    assert "Webhook attempts log no headers" in r.text and "https://partner.test/hook" in r.text
    assert "token=" not in r.text and "/admin/orders/" not in r.text  # its correlation id is a message id


UNKNOWN = ["0" * 32, "A" * 32, "msg_" + "0" * 32 + ":x:1", "nope", HOSTILE, SQL, "x" * 10_000, "..%2F..%2Fadmin"]


@pytest.mark.parametrize("request_id", UNKNOWN, ids=lambda v: v[:24])
async def test_an_id_naming_no_request_is_the_404_page(admin_ui: StaffHarness, request_id: str) -> None:
    path = "/admin/request-log/" + (request_id if "%" in request_id else quote(request_id, safe=""))
    r = await admin_ui.client.get(path)
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert HOSTILE not in r.text and "x" * 200 not in r.text


@pytest.mark.parametrize("path", ["/admin/request-log/../..", f"/admin/request-log/{HOSTILE}"])
async def test_raw_hostile_paths_are_refused_unreflected(admin_ui: StaffHarness, path: str) -> None:
    status, body = await raw_get(admin_ui, path, "")
    assert status == 404 and HOSTILE not in body


async def test_hostile_stored_text_is_escaped_and_escaped_secrets_stay_hidden(admin_ui: StaffHarness) -> None:
    serve_story(admin_ui, hostile_story())
    html = (await admin_ui.client.get(PAGE)).text
    assert HOSTILE not in html and html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert ESCAPED_SECRET not in html and CLEAR_PAN not in html and "qk_live_abc" not in html
    assert '"api_key": "[REDACTED]"' in _unquoted(html)  # decoded from "\u0061pi_key", then redacted
