"""Every page the admin's menu reaches, in a real browser: it renders without a script or CSP
error, has a heading and labelled controls, is reachable by keyboard, and shows hostile input
typed into any of its forms as text, never as markup."""

from __future__ import annotations

import re

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, expect

from domain.staff import Role
from tests.dashboards.browser.conftest import LiveAdmin
from tests.dashboards.browser.harness import unlabelled_controls

HOSTILE = [
    # breaking out of an attribute, markup and SQL in one value (one submission a form for all three)
    '"><svg data-xss="1"></svg><img src=x data-xss="1"> \' OR 1=1 --',
    "x" * 100_000,  # huge, and not a number where a number belongs
]
SKIPPED_ACTIONS = ("/admin/logout",)
SKIPPED_LINKS = re.compile(r"/static/|/download|\.csv|\.xlsx|/logout|/login")


async def _menu(page: Page) -> list[str]:
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    return [str(await links.nth(i).get_attribute("href")) for i in range(await links.count())]


async def test_every_menu_page_renders_accessibly(live_admin: LiveAdmin) -> None:
    page = live_admin.page
    await live_admin.sign_in(live_admin.harness.users[Role.ADMIN].email)
    for path in ["/admin", "/admin/account", *await _menu(page)]:
        response = await page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        await expect(page.locator("h1")).to_have_count(1)
        assert await unlabelled_controls(page) == [], path
        assert await page.locator("html").get_attribute("lang") == "en"
        await live_admin.shots.take(page, path.strip("/").replace("/", "-") or "home")
        # Keyboard: the skip link is the first stop and lands on the page's main content.
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.locator("main")).to_be_focused()


async def _reachable(page: Page, start: list[str], limit: int = 40) -> list[str]:
    """The menu pages and, two links deep, one page of each kind they link to (a company, its
    catalog and balance forms, a rule, a case, an order...): ids replaced by a placeholder to
    tell kinds apart."""
    seen, kinds, queue = list(start), {_kind(p) for p in start}, [(p, 0) for p in start]
    while queue and len(seen) < limit:
        path, depth = queue.pop(0)
        if depth == 2:
            continue
        await page.goto(path)
        for href in await page.locator("main a[href^='/admin/']").evaluate_all("els => els.map(e => e.getAttribute('href'))"):
            target = href.split("#")[0]
            if SKIPPED_LINKS.search(target) or _kind(target) in kinds:
                continue
            kinds.add(_kind(target))
            seen.append(target)
            queue.append((target, depth + 1))
    return seen


def _kind(path: str) -> str:
    bare = path.split("?")[0]
    return re.sub(r"/(cmp|stf|ord|case|qk|exp)_[^/]+|/[0-9a-f]{24,}|/[a-z]+_[a-z0-9_]+(?=/|$)", "/{id}", bare)


async def test_hostile_input_in_every_form_is_shown_as_text(live_admin: LiveAdmin) -> None:
    page = live_admin.page
    await live_admin.sign_in(live_admin.harness.users[Role.ADMIN].email)
    tried = 0
    reachable = await _reachable(page, ["/admin/account", *await _menu(page)])
    print("pages tried:", reachable)  # shown with -s or on failure
    for path in reachable:
        await page.goto(path)
        forms = await page.locator("main form").count()
        for index in range(forms):
            for payload in HOSTILE:
                await page.goto(path)
                if await page.locator("main form").count() <= index:
                    break  # an earlier submission changed the page (a row removed, say)
                form = page.locator("main form").nth(index)
                action = await form.get_attribute("action") or path
                if action.startswith(SKIPPED_ACTIONS):
                    break
                await _fill_every_field(form, payload)
                submit = form.locator("button[type=submit], button:not([type])").first
                if await submit.count() == 0:
                    break
                method = await form.get_attribute("method")  # the form is gone after a failed navigation
                try:
                    async with page.expect_navigation():
                        await submit.click()
                except PlaywrightError as exc:
                    if not _refused_by_the_http_layer(exc, payload, method):
                        raise
                    # The server's HTTP parser refused the request line (h11 reads at most 16 kB
                    # of it: uvicorn answers 400 and closes, and the browser may see the close
                    # before the answer). Nothing reached the app, nothing was written.
                    continue
                tried += 1
                assert await page.locator("[data-xss]").count() == 0, (path, action, payload[:40])
                assert "Internal error" not in await page.content(), (path, action, payload[:40])
    assert tried > 40
    await live_admin.shots.take(page, "after hostile input")


def _refused_by_the_http_layer(exc: PlaywrightError, payload: str, method: str | None) -> bool:
    """A GET form's 100 kB value makes a URL the HTTP parser refuses before the app sees it."""
    too_long = (method or "get").lower() == "get" and len(payload) > 16_384
    return too_long and any(code in str(exc) for code in _REFUSALS)


_REFUSALS = ("ERR_HTTP_RESPONSE_CODE_FAILURE", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE")


async def _fill_every_field(form, payload: str) -> None:  # type: ignore[no-untyped-def]
    fields = form.locator("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea")
    for i in range(await fields.count()):
        field = fields.nth(i)
        if not await field.is_visible():
            continue
        # Wrong types too: a number or date field becomes free text first, as a forged post could.
        await field.evaluate("el => { if (el.tagName === 'INPUT') el.type = 'text'; el.removeAttribute('maxlength'); el.removeAttribute('required'); el.removeAttribute('pattern'); }")
        if len(payload) > 1_000:  # set in the page: 100 kB sent over the wire per field is slow
            await field.evaluate("(el, n) => { el.value = 'x'.repeat(n); el.dispatchEvent(new Event('input', {bubbles: true})); }", len(payload))
        else:
            await field.fill(payload)
