"""A part word picks the service of a custom device that has several switches (jets, light, pump, 水泵, 加热)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox
from hearth.model import load_home

HOME = Path(__file__).parent / "homes" / "birch.yaml"


@pytest.mark.parametrize(("text", "service", "value"), [
    ("turn on the hot tub jets", "jets", True),
    ("switch on the hot tub light", "light", True),
    ("turn on the hot tub", "heater", True),
    ("打开热水浴缸的按摩", "jets", True),
    ("关掉鱼缸水泵", "pump", False),
    ("关掉鱼缸的加热", "heater", False),
    ("关掉鱼缸的灯", "lamp", False),
    ("turn off the aquarium heater", "heater", False),
])
def test_part_word_switches_that_service(text: str, service: str, value: bool) -> None:
    home = load_home(HOME)
    sandbox = Sandbox(home, Copilot(home))
    result = asyncio.run(sandbox.ask(text, None, None, False)).to_json()
    assert result["status"] == "done", result["reply"]
    assert [(c["service"], c["property"], c["value"]) for c in result["commands"]] == [(service, "on", value)]
