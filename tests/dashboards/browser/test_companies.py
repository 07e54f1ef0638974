"""Companies in a real browser: create a company, issue a key (seen once), top up through the
confirmation step and see the new balance and the audit entry."""

from __future__ import annotations

import re

from playwright.async_api import expect

from domain.staff import Role
from tests.dashboards.browser.conftest import LiveAdmin
from tests.dashboards.fakes import RecordedAuditFeed


async def test_create_a_company_issue_a_key_and_top_up(live_admin: LiveAdmin) -> None:
    page, shots, harness = live_admin.page, live_admin.shots, live_admin.harness
    assert harness.app is not None
    harness.app.state.company_audit = RecordedAuditFeed(harness.audit)
    await live_admin.sign_in(harness.users[Role.ADMIN].email)

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Companies").click()
    await expect(page.get_by_role("heading", name="Companies")).to_be_visible()
    await shots.take(page, "companies list")

    await page.get_by_role("link", name="New company").click()
    await page.get_by_label("Name", exact=True).fill("Globex")
    await page.get_by_label("Legal name").fill("Globex Corporation")
    await page.get_by_label("Country").fill("us")  # lower case: refused with a message first
    await page.get_by_label("Contact email").fill("ops@globex.test")
    await page.get_by_label("IP allowlist").fill("10.0.0.0/24")
    await page.get_by_role("button", name="Create company").click()
    await expect(page.get_by_role("alert").get_by_role("link", name="Two capital letters")).to_be_visible()
    country = page.get_by_label("Country")
    await expect(country).to_be_focused()
    await expect(country).to_have_accessible_description("Two capital letters, such as DE.")
    await shots.take(page, "create refused")
    await page.get_by_label("Country").fill("US")
    await page.get_by_role("button", name="Create company").click()
    await expect(page.get_by_role("status")).to_have_text("The company was created.")
    await expect(page.get_by_role("heading", name="Globex")).to_be_visible()
    await shots.take(page, "company created")

    await page.get_by_label("Mode").select_option("live")
    await page.get_by_role("button", name="Issue a new key").click()
    await expect(page.get_by_role("alert")).to_contain_text("This is the only time the key is shown.")
    secret = await page.get_by_label("The new live key of Globex").input_value()
    assert re.fullmatch(r"qk_live_[A-Za-z0-9_-]{43}", secret)
    await shots.take(page, "key shown once")
    await page.get_by_role("link", name="I have stored the key").click()
    keys = page.locator("#keys")
    await expect(keys.get_by_text(secret[:12] + "…")).to_be_visible()
    assert secret not in await page.content()  # never shown again
    await shots.take(page, "key listed by prefix")

    await page.get_by_role("link", name="Top up (any currency)").click()
    await page.get_by_label("Currency").select_option("RUB")
    await page.get_by_label("Amount").fill("1,234.56")
    await page.get_by_label("Reference").fill("wire 42")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "You are about to top up 1,234.56\u00a0RUB to the RUB balance of Globex."
    )
    await shots.take(page, "confirm top up")
    await page.get_by_role("button", name="Confirm").click()
    await expect(page.get_by_role("status")).to_have_text("The top-up is done.")
    card = page.get_by_role("article", name="RUB")
    await expect(card.locator("[data-balance=available]")).to_have_text("1,234.56\u00a0RUB")
    audit = page.locator("#audit")
    await expect(audit.get_by_text("balance.top_up")).to_be_visible()
    await expect(audit.get_by_text("api_key.create")).to_be_visible()
    await expect(audit.get_by_text("company.create")).to_be_visible()
    await shots.take(page, "balance and audit")


async def test_a_finance_user_sees_no_company_or_key_actions(live_admin: LiveAdmin) -> None:
    page, harness = live_admin.page, live_admin.harness
    await live_admin.sign_in(harness.users[Role.FINANCE].email)
    await page.goto("/admin/companies")
    await expect(page.get_by_role("link", name="New company")).to_have_count(0)
    await page.get_by_role("link", name="Acme Rewards").click()
    await expect(page.get_by_role("button", name="Issue a new key")).to_have_count(0)
    await expect(page.get_by_role("button", name="Deactivate")).to_have_count(0)
    await expect(page.get_by_role("link", name="Top up (any currency)")).to_be_visible()
    await expect(page.get_by_text("The audit log is not available here.")).to_be_visible()
    await live_admin.shots.take(page, "company as finance")
