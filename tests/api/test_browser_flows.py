"""What a family member does in the dashboard, end to end in Debian's headless Chromium, with screenshots.

Screenshots land in `.hearth/screenshots/` at the top of the work tree (ignored by git) so a person can look
at what the browser showed; the path is printed when the tests run with `-s`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.api.conftest import Running
from tests.api.test_dashboard import CHROMIUM, FLAGS, _login, _state_becomes

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".hearth" / "screenshots"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    assert HAVE_CHROMIUM, "Debian's chromium is required (make test installs it as root)"
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _page(browser: Browser, locale: str) -> Page:
    context = await browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    return await context.new_page()


async def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def _open_device(page: Page, device: str) -> None:
    box = page.locator(f'[data-device="{device}"]')
    await box.locator("summary").click()
    await expect(box.locator(".body")).to_be_visible()


async def test_home_light_and_chinese_copilot(served: Running, chromium: Browser) -> None:
    page = await _page(chromium, "zh-CN")
    await _login(page, served, "alice", "correct horse")
    # The demo home, by floor and room, in Chinese.
    await expect(page.locator('[data-area="living_room"] h3')).to_have_text("客厅")
    assert await page.locator("#tab-home [data-device]").count() >= 20
    await _shot(page, "01-home-zh")

    # A light switched in the page changes the hub's state, and the page shows the new state.
    await _open_device(page, "kitchen_light")
    kitchen = page.locator('[data-device="kitchen_light"]')
    await kitchen.locator('input[data-key="light.on"]').check()
    await _state_becomes(served, ("kitchen_light", "light", "on"), True)
    await expect(kitchen.locator(".headline")).to_have_text("on: ✓")
    await _shot(page, "02-kitchen-light-on")

    # The copilot understands Chinese, says what it did, and the device changes in the home view.
    await page.click('#tabs [data-tab="copilot"]')
    await page.fill("#ask-input", "把客厅的落地灯打开")
    await page.press("#ask-input", "Enter")
    reply = page.locator("#chat .msg.hub").last
    await expect(reply).to_contain_text("已打开落地灯")
    await expect(reply).to_contain_text("done")
    await _state_becomes(served, ("living_floor_lamp", "light", "on"), True)
    await _shot(page, "03-copilot-zh")
    await page.click('#tabs [data-tab="home"]')
    await expect(page.locator('[data-device="living_floor_lamp"] .headline')).to_have_text("on: ✓")
    assert served.hub.commands.audit[-1].actor.id == "alice"


async def test_rule_from_a_sentence_through_the_copilot(served: Running, chromium: Browser) -> None:
    page = await _page(chromium, "zh-CN")
    await _login(page, served, "bob", "battery staple")
    engine = served.hub.services["automation"]
    before = set(engine.rules)
    await page.click('#tabs [data-tab="rules"]')
    form = page.locator("#tab-rules form")
    await form.locator("input[name=text]").fill("每天晚上十点打开阳台灯")
    await form.locator("button[type=submit]").click()
    # The copilot explains the rule and waits for a confirmation before anything is added.
    proposal = page.locator("#chat .msg.hub").last
    await expect(proposal).to_contain_text("每天22:00")
    await expect(proposal).to_contain_text("确认后")
    assert set(engine.rules) == before
    await _shot(page, "04-rule-proposed")
    await proposal.locator("button.primary").click()
    await expect(page.locator("#chat .msg.hub").last).to_contain_text("已启用")
    added = set(engine.rules) - before
    assert len(added) == 1, added
    rule_id = added.pop()
    await page.click('#tabs [data-tab="rules"]')
    listed = page.locator(f'[data-rule="{rule_id}"]')
    await expect(listed).to_contain_text("阳台灯")
    await expect(listed.locator(".pill")).to_have_class("pill on")
    await _shot(page, "05-rule-listed")


async def test_child_cannot_unlock_the_front_door(served: Running, chromium: Browser) -> None:
    page = await _page(chromium, "en-US")
    await _login(page, served, "mia", "kid password")
    await _open_device(page, "front_door_lock")
    switch = page.locator('[data-device="front_door_lock"] input[data-key="lock.locked"]')
    await expect(switch).to_be_checked()
    await switch.uncheck()
    # The refusal is shown, the control goes back to the real state, and the door stays locked.
    await expect(page.locator("#toast")).to_contain_text("child may not unlock")
    await expect(switch).to_be_checked()
    await _shot(page, "06-child-refused")
    assert served.hub.state.get("front_door_lock", "lock", "locked") is True
    refused = served.hub.commands.audit[-1]
    assert refused.actor.id == "mia" and not refused.ok and refused.device == "front_door_lock"
