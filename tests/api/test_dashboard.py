"""The dashboard in a real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from hearth.core import Actor, Command
from tests.api.conftest import Running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert shutil.which("chromium") or shutil.os.path.exists(CHROMIUM), (  # type: ignore[attr-defined]
        "Debian's chromium is required for the dashboard tests (make test installs it as root)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _state_becomes(served: Running, key: tuple[str, str, str], value: object) -> None:
    """Wait (on the bus, not by sleeping) until a property takes a value."""
    reached = asyncio.Event()

    def check(_: object) -> None:
        if served.hub.state.get(*key) == value:
            reached.set()

    remove = served.hub.bus.subscribe_state(check, key[0], key[1], key[2])
    try:
        check(None)
        await asyncio.wait_for(reached.wait(), 3)
    finally:
        remove()


async def _login(page: Page, served: Running, name: str, password: str) -> None:
    await page.goto(served.url + "/")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", password)
    await page.click("#auth-submit")
    await expect(page.locator("#tabs")).to_be_visible()


async def test_login_control_and_live_update(served: Running, browser: Browser) -> None:
    page = await browser.new_page(locale="en-US")
    await _login(page, served, "alice", "correct horse")
    kitchen = page.locator('[data-device="kitchen_light"]')
    await kitchen.locator("summary").click()
    switch = kitchen.locator('input[data-key="light.on"]')
    await expect(switch).not_to_be_checked()
    await switch.check()
    await _state_becomes(served, ("kitchen_light", "light", "on"), True)
    # A change made elsewhere shows up within a second.
    await served.hub.execute(Command("kitchen_light", "light", "brightness", 25), Actor("person", "bob", "adult"))
    await expect(kitchen.locator('input[data-key="light.brightness"]')).to_have_value("25", timeout=1000)


async def test_phone_sized_chinese_view_and_guest_visibility(served: Running, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = await context.new_page()
    await _login(page, served, "visitor", "guest password")
    await expect(page.locator('[data-area="living_room"] h3')).to_have_text("客厅")
    await expect(page.locator('[data-area="master_bedroom"]')).to_have_count(0)
    await expect(page.locator('#tabs [data-tab="car"]')).to_have_text("汽车")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, "the dashboard must fit a phone screen without sideways scrolling"
    await context.close()


async def test_wrong_password_shows_an_error(served: Running, browser: Browser) -> None:
    page = await browser.new_page(locale="en-US")
    await page.goto(served.url + "/")
    await page.fill("input[name=name]", "alice")
    await page.fill("input[name=password]", "not it")
    await page.click("#auth-submit")
    await expect(page.locator("#auth-error")).to_have_text("Wrong name or password")
