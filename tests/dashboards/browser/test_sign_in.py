"""Signing in and out in a real browser, by keyboard."""

from __future__ import annotations

from playwright.async_api import expect

from domain.staff import Role
from tests.dashboards.browser.conftest import LiveAdmin


async def test_sign_in_by_keyboard_see_the_menu_and_sign_out(live_admin: LiveAdmin) -> None:
    page, shots = live_admin.page, live_admin.shots
    await page.goto("/admin")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await shots.take(page, "login form")
    await page.get_by_label("Email").fill(live_admin.harness.users[Role.RISK].email)
    await page.keyboard.press("Tab")
    await page.keyboard.type("correct horse battery staple")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Hello")).to_be_visible()
    menu = page.get_by_role("navigation", name="Main")
    await expect(menu.get_by_role("link", name="Review queue")).to_be_visible()
    await expect(menu.get_by_role("link", name="Staff users")).to_have_count(0)
    await shots.take(page, "home as risk")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def test_a_wrong_password_shows_an_error(live_admin: LiveAdmin) -> None:
    page = live_admin.page
    await page.goto("/admin/login")
    await page.get_by_label("Email").fill("nobody@quadra.test")
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")
    await live_admin.shots.take(page, "wrong password")
