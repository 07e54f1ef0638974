"""The Risk area in a real browser: approve a held payout from the queue; edit a rule, check
its syntax (an error, then fixed), save the version and publish it."""

from __future__ import annotations

from playwright.async_api import expect

from domain.orders import OrderStatus
from domain.staff import Role
from tests.api.staff.fraud_harness import Fraud
from tests.api.staff.rule_harness import Desk
from tests.dashboards.browser.conftest import LiveAdmin
from tests.fraud_builders import order_id


async def test_approve_a_held_payout_from_the_queue(live_admin: LiveAdmin, fraud: Fraud) -> None:
    page, shots = live_admin.page, live_admin.shots
    await live_admin.sign_in(live_admin.harness.users[Role.RISK].email)
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    await expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    held = order_id(1)
    await expect(page.get_by_role("link", name=held)).to_be_visible()
    await shots.take(page, "queue")
    await page.get_by_role("link", name="Open case").first.click()
    await expect(page.get_by_role("heading", name=f"Case case_{held}")).to_be_visible()
    await expect(page.get_by_text("many_to_one@3").first).to_be_visible()
    await shots.take(page, "case with its decision")
    await page.go_back()
    await page.get_by_role("button", name=f"Approve {held}").click()
    await expect(page.get_by_role("status")).to_have_text("The payout was approved and goes on to payment.")
    await expect(page.get_by_role("link", name=held)).to_have_count(0)
    await shots.take(page, "approved")
    assert fraud.tables.orders[held].status is OrderStatus.APPROVED


async def test_edit_a_rule_check_its_syntax_fix_it_and_publish(live_admin: LiveAdmin, desk: Desk) -> None:
    page, shots = live_admin.page, live_admin.shots
    await live_admin.sign_in(live_admin.harness.users[Role.RISK].email)
    await page.goto("/admin/risk/rules")
    await page.get_by_role("link", name="velocity_user_1h").click()
    await expect(page.get_by_role("heading", name="Rule velocity_user_1h")).to_be_visible()
    await shots.take(page, "rule page")
    expression = page.get_by_label("Expression (CEL)")
    await expression.fill("user_count_1h >= (7")
    await page.get_by_role("button", name="Check syntax").click()
    await expect(page.get_by_role("alert").filter(has_text="Line 1, column")).to_be_visible()
    await expect(page.get_by_label("Expression (CEL)")).to_have_value("user_count_1h >= (7")
    await shots.take(page, "syntax error shown")
    await page.get_by_label("Expression (CEL)").fill("user_count_1h >= 7")
    await page.get_by_role("button", name="Check syntax").click()
    await expect(page.get_by_text("The expression is valid.")).to_be_visible()
    await shots.take(page, "syntax fixed")
    await page.get_by_role("button", name="Save new version").click()
    await expect(page.get_by_role("status").filter(has_text="The new version was saved.")).to_be_visible()
    await shots.take(page, "version 2 saved")
    await page.get_by_role("link", name="Publish the draft").click()
    await page.get_by_role("checkbox", name="velocity_user_1h v2").check()
    await page.get_by_label("Note").fill("tighter velocity")
    await shots.take(page, "drafts to publish")
    await page.get_by_role("button", name="Publish…").click()
    await expect(page.get_by_role("heading", name="Please confirm")).to_be_visible()
    await shots.take(page, "confirm publish")
    await page.get_by_role("button", name="Publish the rule set").click()
    await expect(page.get_by_role("status")).to_have_text("The rule set was published and is in force.")
    await expect(page.get_by_text("Rule set in force: v1.")).to_be_visible()
    await shots.take(page, "published")
    assert desk.rules.book.current_set == 1
    assert "velocity_user_1h@v2" in desk.rules.book.sets[1].refs
