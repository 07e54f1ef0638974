"""A finance user switches the back office to Russian and tops up in roubles typed the Russian
way; the balance shows as in Russia (1 234,56 ₽)."""

from __future__ import annotations

from playwright.async_api import expect

from domain.staff import Role
from tests.dashboards.browser.conftest import LiveAdmin

NBSP = "\u00a0"


async def test_russian_ui_and_rouble_amounts(live_admin: LiveAdmin) -> None:
    page, shots = live_admin.page, live_admin.shots
    await live_admin.sign_in(live_admin.harness.users[Role.FINANCE].email)
    await page.goto("/admin/account")
    await page.get_by_role("combobox", name="Language").select_option("ru")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_have_text("Язык сохранён.")
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await shots.take(page, "account in russian")

    await page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Компании").click()
    await page.get_by_role("link", name="Acme Rewards").click()
    await page.get_by_role("link", name="Пополнить (любая валюта)").click()
    await page.get_by_label("Валюта").select_option("RUB")
    await page.get_by_label("Сумма").fill("1 234,56")
    await page.get_by_role("button", name="Далее").click()
    await expect(page.get_by_role("alert")).to_contain_text(f"1{NBSP}234,56{NBSP}₽")
    await shots.take(page, "confirm in roubles")
    await page.get_by_role("button", name="Подтвердить").click()
    await expect(page.get_by_role("status")).to_have_text("Пополнение выполнено.")
    card = page.get_by_role("article", name="RUB")
    await expect(card.locator("[data-balance=available]")).to_have_text(f"1{NBSP}234,56{NBSP}₽")
    await shots.take(page, "balance in roubles")
