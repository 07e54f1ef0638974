"""The order detail in a real browser: open an order from the transactions page, read its
timeline, expand a request's bodies, follow it to the request viewer and back to the order;
then the model page with its drift charts drawn by static/model.js (ECharts on a canvas)."""

from __future__ import annotations

from playwright.async_api import expect

from domain.staff import Role
from tests.api.staff.report_fakes import transaction
from tests.dashboards.browser.conftest import LiveAdmin
from tests.dashboards.conftest import ReportDesk
from tests.timeline_builders import CLEAR_PAN, ORDER_ID, REQUEST_ID


async def test_order_timeline_request_viewer_and_model(live_admin: LiveAdmin, report_desk: ReportDesk) -> None:
    page, shots = live_admin.page, live_admin.shots
    report_desk.reads.transactions = [transaction(0, order_id=ORDER_ID, company_id="cmp_a")]
    await live_admin.sign_in(live_admin.harness.users[Role.RISK].email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    await page.get_by_role("link", name=ORDER_ID).click()
    await expect(page.get_by_role("heading", name=f"Order {ORDER_ID}")).to_be_visible()
    timeline = page.locator("table.timeline tbody tr")
    h = live_admin.harness
    detail = (await h.client.get(f"/staff/v1/orders/{ORDER_ID}", headers=h.bearer(Role.RISK))).json()
    await expect(timeline).to_have_count(len(detail["timeline"]))
    decision = page.get_by_role("region", name="Fraud decision")
    await expect(decision.get_by_role("link", name="many_to_one@3")).to_have_attribute("href", "/admin/risk/rules/many_to_one")
    await shots.take(page, "order detail")

    partner_request = timeline.filter(has=page.locator("span.kind.partner_request"))
    body = partner_request.locator("details.bodies pre").first
    await expect(body).to_be_hidden()
    await partner_request.get_by_text("Request and response bodies").click()
    await expect(body).to_be_visible()
    await expect(body).to_contain_text('"card_number": "411111******1111"')
    await shots.take(page, "request body expanded")

    await partner_request.get_by_role("link", name="Open in the request viewer").click()
    await expect(page).to_have_url(f"{live_admin.url}/admin/request-log/{REQUEST_ID}")
    await expect(page.get_by_role("heading", name="Logged request")).to_be_visible()
    headers = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Header"))
    await expect(headers.get_by_role("row", name="authorization [REDACTED]")).to_be_visible()
    await expect(page.get_by_role("heading", name="Request body").locator("xpath=..").locator("pre")).to_contain_text(
        '"api_key": "[REDACTED]"'
    )
    await shots.take(page, "request viewer")
    assert CLEAR_PAN not in await page.content()

    await page.get_by_role("link", name=ORDER_ID).first.click()
    await expect(page.get_by_role("heading", name=f"Order {ORDER_ID}")).to_be_visible()

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Model").click()
    await expect(page.get_by_role("heading", name="Fraud model")).to_be_visible()
    score_chart = page.get_by_role("img", name="Share of decisions per bin of score")
    await expect(score_chart.locator("canvas")).to_have_count(1)
    await expect(page.locator(".psi-chart.small canvas").first).to_be_visible()
    await expect(page.locator("tr.flagged").first).to_contain_text("shifted (above threshold)")
    await shots.take(page, "model page with drift charts")
