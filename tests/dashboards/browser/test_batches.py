"""Mass payouts in a real browser: from the menu to the list, filtered by company, into a batch
with rejected lines; a running batch's progress updates by itself (htmx polling) once its
orders rest."""

from __future__ import annotations

import re

from playwright.async_api import expect

from domain.orders import OrderStatus
from domain.staff import Role
from tests.api.staff.conftest import COMPANY
from tests.dashboards.batch_harness import BatchDesk, batch_desk  # noqa: F401  # the fixture
from tests.dashboards.browser.conftest import LiveAdmin


async def test_list_filter_open_a_batch_and_watch_one_complete(live_admin: LiveAdmin, batch_desk: BatchDesk) -> None:  # noqa: F811
    page, shots, desk = live_admin.page, live_admin.shots, batch_desk
    await live_admin.sign_in(live_admin.harness.users[Role.READ_ONLY].email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Mass payouts").click()
    await expect(page.get_by_role("heading", name="Mass payouts", exact=True)).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    await expect(rows).to_have_count(4)
    await shots.take(page, "every batch")

    await page.get_by_label("Company").fill(COMPANY)
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(rf"company_id={COMPANY}"))
    await expect(rows).to_have_count(3)
    await shots.take(page, "one company")

    await page.get_by_role("link", name=desk.ids[1]).click()
    await expect(page.get_by_role("heading", name=f"Batch {desk.ids[1]}")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("completed")
    await expect(page.get_by_text("too many decimals: EUR has 2")).to_be_visible()
    await expect(page.get_by_role("link", name="Download the results (CSV)")).to_be_visible()
    await shots.take(page, "a batch with a rejected line")

    await page.goto(f"/admin/batches/{desk.ids[2]}")
    await expect(page.get_by_role("status")).to_contain_text("processing")
    await shots.take(page, "a running batch")
    for order_id, order in list(desk.intake.orders.items()):  # the running batch's payouts complete
        if order.batch and order.batch.batch_id == desk.ids[2]:
            desk.intake.orders[order_id] = order.transition(OrderStatus.COMPLETED, "paid", order.updated_at)
    await expect(page.get_by_role("status")).to_contain_text("completed", timeout=10_000)  # polled every 2 s
    await expect(page.get_by_role("status")).to_contain_text("1 of 1 payouts at rest (100 %)")
    await shots.take(page, "the batch completed")
