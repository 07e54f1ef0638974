"""A real headless Chromium (Debian's `chromium`) driven by Playwright against a served app.

Screenshots of every step land in var/test-artifacts/screenshots/<test>/ (or under
$QUADRA_TEST_ARTIFACTS), kept after the run for people to look at.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, ConsoleMessage, Page, Response, async_playwright

from tests.conftest import REPO, free_port

CHROMIUM = os.environ.get("QUADRA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("QUADRA_TEST_ARTIFACTS", REPO / "var" / "test-artifacts"))
# As the machine's notes say: without the background-networking flags Chromium keeps trying
# Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


def chromium_or_skip() -> str:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium at {CHROMIUM} (.ci/run installs the Debian package)")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """The app on a real local port, in this event loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, test_name: str) -> None:
        self.dir = ARTIFACTS / "screenshots" / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)[:120]
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def take(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.dir / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower())}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


def _console(message: ConsoleMessage, problems: list[str]) -> None:
    # A page answered 4xx on purpose (a refused form) is logged as a failed load: failed
    # sub-resources are caught by status in `_subresource` instead.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(message.text)


def _subresource(response: Response, problems: list[str]) -> None:
    if response.status >= 400 and response.request.resource_type != "document":
        problems.append(f"{response.status} {response.request.resource_type} {response.url}")


@asynccontextmanager
async def browser_page(base_url: str, shots: Shots) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) with console errors collected: a page whose script
    fails, or which the CSP blocks, fails the test."""
    async with chromium() as browser:
        context = await browser.new_context(base_url=base_url, locale="en-US")
        page = await context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: _console(m, problems))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: _subresource(r, problems))
        try:
            yield page
        except BaseException:
            await shots.take(page, "failure")
            raise
        finally:
            await context.close()
        assert not problems, f"browser console errors: {problems}"


async def unlabelled_controls(page: Page) -> list[str]:
    """Visible form controls without an accessible name (label, aria-label, aria-labelledby)."""
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
            .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
            .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                            || el.getAttribute('aria-labelledby')
                            || (el.tagName === 'BUTTON' && el.textContent.trim())
                            || (el.type === 'submit' && el.value)))
            .map(el => el.outerHTML.slice(0, 120))"""
    )
    return found
