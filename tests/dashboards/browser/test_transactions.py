"""The transactions page in a real browser: filter, page, start a background export, watch its
progress (htmx polling) and download the file; then the request log."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import expect

from domain.staff import Role
from tests.api.staff.report_fakes import transaction
from tests.dashboards.browser.conftest import LiveAdmin
from tests.dashboards.conftest import ReportDesk


async def test_filter_page_export_and_download(live_admin: LiveAdmin, report_desk: ReportDesk) -> None:
    page, shots = live_admin.page, live_admin.shots
    report_desk.reads.transactions = [transaction(n, amount_value=1000 + n * 100) for n in range(30)]
    report_desk.rows.chunk_rows = 1
    await live_admin.sign_in(live_admin.harness.users[Role.FINANCE].email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    await expect(page.get_by_role("heading", name="Transactions", exact=True)).to_be_visible()
    await shots.take(page, "all transactions")

    await page.get_by_label("completed", exact=True).check()
    await page.get_by_label("Amount from").fill("10.50")
    await page.get_by_label("Currency").fill("EUR")
    await page.get_by_label("Created from (UTC)").fill("2026-11-01T00:00:00")
    await page.get_by_label("Rows per page").select_option("25")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"status=completed.*amount_min=10\.50"))
    filtered = report_desk.reads.calls[-2][1][0]
    assert filtered.statuses == ("completed",) and filtered.amount_min == 1050 and filtered.currency == "EUR"
    await expect(page.get_by_label("completed", exact=True)).to_be_checked()
    await expect(page.get_by_text("30 transactions match")).to_be_visible()
    rows = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Order")).locator("tbody tr")
    await expect(rows).to_have_count(25)
    await shots.take(page, "filtered first page")

    await page.get_by_role("link", name="Next page").first.click()
    await expect(rows).to_have_count(5)
    await expect(page.get_by_role("link", name=f"ord_{29:032x}")).to_be_visible()
    await shots.take(page, "second page")
    await page.get_by_role("link", name="First page").first.click()
    await expect(rows).to_have_count(25)

    await page.get_by_role("link", name="Amount", exact=True).click()  # sort by amount, largest first
    await expect(page).to_have_url(re.compile(r"sort=amount&order=desc"))

    report_desk.rows.gate = asyncio.Event()  # hold the job: the progress page first shows it unfinished
    await page.get_by_label("Format").select_option("csv")
    await page.get_by_role("button", name="Export in the background").click()
    await expect(page.get_by_role("heading", name="Export")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("running")
    await shots.take(page, "export running")
    report_desk.rows.gate.set()
    download_link = page.get_by_role("link", name=re.compile(r"^Download transactions-exp_"))
    await expect(download_link).to_be_visible(timeout=15_000)  # htmx polls every second
    await expect(page.get_by_role("status")).to_contain_text("7 of 7 rows (100%)")
    await shots.take(page, "export done")
    async with page.expect_download() as event:
        await download_link.click()
    download = await event.value
    assert re.fullmatch(r"transactions-exp_[0-9a-f]{32}\.csv", download.suggested_filename)
    assert (await download.path()).read_text().count("\n") == 8


async def test_a_refused_filter_shows_its_message_by_the_field(live_admin: LiveAdmin, report_desk: ReportDesk) -> None:
    page = live_admin.page
    await live_admin.sign_in(live_admin.harness.users[Role.READ_ONLY].email)
    await page.goto("/admin/transactions")
    report_desk.reads.calls.clear()
    await page.get_by_label("Amount from").fill("12.345")
    await page.get_by_label("Card last 4").fill("<script>alert(1)</script>")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("alert")).to_contain_text("Too many decimals for the currency.")
    await expect(page.get_by_label("Card last 4")).to_have_value("<script>alert(1)</script>")
    await expect(page.get_by_label("Card last 4")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Amount from")).to_be_focused()  # the first invalid field
    await live_admin.shots.take(page, "refused filters")
    assert report_desk.reads.calls == []  # refused before any query ran


async def test_request_log_search_and_pages(live_admin: LiveAdmin, report_desk: ReportDesk) -> None:
    page, shots = live_admin.page, live_admin.shots
    await live_admin.sign_in(live_admin.harness.users[Role.SUPPORT].email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Request log").click()
    await page.get_by_label("Direction").select_option("inbound")
    await page.get_by_label("Path starts with").fill("/v1/orders")
    await page.get_by_label("Status from").fill("200")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"direction=inbound"))
    await expect(page.get_by_role("link", name="/v1/orders")).to_have_attribute("href", "/admin/request-log/req1")
    await shots.take(page, "request log")
    await page.get_by_role("link", name="Next page").first.click()
    await expect(page.get_by_role("link", name="First page").first).to_be_visible()
    q = report_desk.reads.calls[-1][1][0]
    assert (q.direction, q.path_prefix, q.status_min) == ("inbound", "/v1/orders", 200)
