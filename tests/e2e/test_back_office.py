"""Issue 7, acceptance 1: the back office in real headless Chromium against `quadra up` on the
real broker and the embedded ClickHouse. An admin signs in, creates a company, enables a
product, issues a key and tops up; payouts sent through the partner API with that key appear
on the transactions page and the risk dashboard; a payout held by the default rules is
approved from the review queue; a rule is edited and published. Every step is screenshotted
(var/test-artifacts/screenshots/back_office_e2e/)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.conftest import free_port
from tests.dashboards.browser.harness import Shots, browser_page
from tests.e2e.quadra_process import REPO, QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ADMIN, PASSWORD = "boss@quadra.example", "a-long-admin-password"
MULE_CARD = "4111 1111 1111 1111"


def create_admin(q: QuadraProcess) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quadra.cli", "admin", "create-user", "--email", ADMIN, "--name", "Bo Ss",
         "--role", "admin", "--password-stdin"],
        cwd=REPO, env=q.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def payout(n: int, user: str, card: str) -> dict[str, object]:
    return {"product_id": "card-transfer-eur", "amount": {"value": 1500 + n, "currency": "EUR"},
            "recipient": {"card_number": card}, "end_user": {"id": user}}  # fmt: skip


async def reload_until(page: Page, check: object, timeout_s: float = 30) -> None:
    """Reloads the page until `check` (an awaitable factory) stops raising: the sink writes
    ClickHouse a moment after the stream decides."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await check()  # type: ignore[operator]
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
            await page.reload()


async def test_back_office_end_to_end(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> None:
    q = QuadraProcess(tmp_path / "var", free_port(), kafka_bootstrap, topic_prefix)
    await asyncio.to_thread(q.start)
    shots = Shots("back_office_e2e")
    try:
        await asyncio.to_thread(create_admin, q)
        async with browser_page(q.url, shots) as page:
            # Sign in.
            await page.goto("/admin")
            await page.get_by_label("Email").fill(ADMIN)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await expect(page.get_by_role("heading", name="Hello, Bo Ss")).to_be_visible()
            await shots.take(page, "signed in")

            # Create a company, enable a product, issue a key, top up.
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Companies").click()
            await page.get_by_role("link", name="New company").click()
            await page.get_by_label("Name", exact=True).fill("Initech")
            await page.get_by_label("Legal name").fill("Initech GmbH")
            await page.get_by_label("Country").fill("DE")
            await page.get_by_label("Contact email").fill("ops@initech.test")
            await page.get_by_role("button", name="Create company").click()
            await expect(page.get_by_role("status")).to_have_text("The company was created.")
            company_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
            await shots.take(page, "company created")

            await page.get_by_role("link", name="Configure the catalog").click()
            await page.get_by_label("Enable card-transfer-eur").check()
            await page.get_by_role("button", name="Save the catalog").click()
            await expect(page.locator("#catalog").get_by_text("card-transfer-eur")).to_be_visible()
            await shots.take(page, "catalog saved")

            await page.get_by_label("Mode").select_option("test")
            await page.get_by_role("button", name="Issue a new key").click()
            key = await page.get_by_label("The new test (sandbox) key of Initech").input_value()
            assert key.startswith("qk_test_")
            await shots.take(page, "key issued once")
            await page.get_by_role("link", name="I have stored the key").click()

            await page.get_by_role("link", name="Top up (any currency)").click()
            await page.get_by_label("Currency").select_option("EUR")
            await page.get_by_label("Amount").fill("1000.00")
            await page.get_by_label("Reference").fill("wire 1")
            await page.get_by_role("button", name="Continue").click()
            await expect(page.get_by_role("alert")).to_contain_text("You are about to top up 1,000.00")
            await shots.take(page, "confirm top-up")
            await page.get_by_role("button", name="Confirm").click()
            await expect(page.get_by_role("status")).to_have_text("The top-up is done.")
            card = page.get_by_role("article", name="EUR")
            await expect(card.locator("[data-balance=available]")).to_have_text("1,000.00\u00a0EUR")
            await shots.take(page, "topped up")

            # Payouts through the partner API with the new key: two plain ones, then a burst of
            # end users paying one card that the default rules hold for review.
            statuses = []
            async with httpx.AsyncClient(base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {key}"}) as api:
                for n, (user, card) in enumerate([("alice", "4000 0000 0000 0002"), ("bob", "5555 5555 5555 4444")]
                                                 + [(f"farmed-{i}", MULE_CARD) for i in range(5)]):
                    r = await api.post("/v1/orders", json=payout(n, user, card),
                                       headers={"Idempotency-Key": f"e2e-{n}", "Prefer": "wait=10"})  # fmt: skip
                    assert r.status_code in (201, 202), r.text
                    statuses.append(r.json())
            held = [o["id"] for o in statuses if o["status"] == "in_review"]
            assert held, [o["status"] for o in statuses]

            # They appear on the transactions page.
            await page.goto(f"/admin/transactions?company_id={company_id}")

            async def all_listed() -> None:
                for order in statuses:
                    await expect(page.get_by_role("link", name=order["id"])).to_be_visible(timeout=500)

            await reload_until(page, all_listed)
            await shots.take(page, "transactions")

            # And on the risk dashboard.
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Risk dashboard").click()
            await expect(page.get_by_role("heading", name="Risk dashboard")).to_be_visible()

            async def counted() -> None:
                await expect(page.locator("[data-kpi=decisions]")).not_to_have_text("0", timeout=500)

            await reload_until(page, counted)
            await expect(page.locator("#panel-decisions_by_outcome canvas").first).to_be_visible()
            await shots.take(page, "risk dashboard")

            # Approve the held payout from the review queue.
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()

            async def queued() -> None:
                await expect(page.get_by_role("link", name=held[0])).to_be_visible(timeout=500)

            await reload_until(page, queued)
            await shots.take(page, "review queue")
            await page.get_by_role("button", name=f"Approve {held[0]}").click()
            await expect(page.get_by_role("status")).to_have_text("The payout was approved and goes on to payment.")
            await shots.take(page, "approved")

            # Edit a rule and publish it.
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Rules").click()
            await page.get_by_role("link", name="velocity_user_1h").click()
            await page.get_by_label("Expression (CEL)").fill("user_count_1h >= 8")
            await page.get_by_role("button", name="Check syntax").click()
            await expect(page.get_by_text("The expression is valid.")).to_be_visible()
            await page.get_by_role("button", name="Save new version").click()
            await expect(page.get_by_role("status").filter(has_text="The new version was saved.")).to_be_visible()
            await page.get_by_role("link", name="Publish the draft").click()
            await page.get_by_role("checkbox", name="velocity_user_1h v2").check()
            await page.get_by_label("Note").fill("e2e: tighter velocity")
            await page.get_by_role("button", name="Publish…").click()
            await page.get_by_role("button", name="Publish the rule set").click()
            await expect(page.get_by_role("status")).to_have_text("The rule set was published and is in force.")
            await shots.take(page, "rule published")

        async with httpx.AsyncClient(base_url=q.url, timeout=20, headers={"Authorization": f"Bearer {key}"}) as api:
            approved = (await api.get(f"/v1/orders/{held[0]}")).json()
            assert approved["status"] != "in_review", approved
    finally:
        assert await asyncio.to_thread(q.terminate) == 0, q.tail()
