"""Scenes by name: found in both languages, applied through the command path, unknown ones refused."""

from __future__ import annotations

import pytest

from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox
from hearth.hub import load_home_or_demo


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    home = load_home_or_demo(None)
    return Sandbox(home, Copilot(home))


@pytest.mark.parametrize("text", ["activate the away scene", "开启离家模式", "run the nobody home scene",
                                  "切换到外出模式"])
async def test_scene_is_applied(sandbox: Sandbox, text: str) -> None:
    result = await sandbox.ask(text, setup={"kitchen_light": {"on": True}})
    assert result.status == "done" and result.slots["scene"] == "away"
    changed = {(c["device"], c["property"]): c["new"] for c in result.changes}
    assert changed[("kitchen_light", "on")] is False
    assert all(c["device"] != "car" for c in result.changes)


@pytest.mark.parametrize("text", ["activate the movie scene", "开启回家模式"])
async def test_unknown_scene_is_refused_with_the_known_ones(sandbox: Sandbox, text: str) -> None:
    result = await sandbox.ask(text)
    assert result.status == "refused" and result.changes == ()
    assert "Nobody home" in result.reply or "离家" in result.reply


@pytest.mark.parametrize("text", ["set the living room AC to eco mode", "客厅空调调成制冷模式"])
async def test_device_modes_are_not_scenes(sandbox: Sandbox, text: str) -> None:
    result = await sandbox.ask(text)
    assert result.slots.get("domain") != "scene"
