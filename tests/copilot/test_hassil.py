"""The Home Assistant templates as a second reader: slot lists from the home, said back to the planner."""

from __future__ import annotations

import pytest

from hearth.copilot._hassil import MAX_DEVICES, HassilReader
from hearth.hub import load_home_or_demo
from hearth.model import Home


@pytest.fixture(scope="module")
def reader() -> HassilReader:
    return HassilReader(load_home_or_demo(None))


def test_templates_resolve_the_homes_own_names(reader: HassilReader) -> None:
    found = reader.match("set the kitchen light brightness to 50%", "en")
    assert found is not None and found.intent == "HassLightSet"
    assert found.slots["name"] == "kitchen_light" and found.slots["brightness"] == 50
    assert reader.paraphrase(found, "en") == "set the Kitchen light brightness to 50%"


def test_chinese_templates_and_areas(reader: HassilReader) -> None:
    found = reader.match("把客厅的灯关掉", "zh")
    assert found is not None and found.intent == "HassTurnOff" and found.slots["area"] == "living_room"
    assert reader.paraphrase(found, "zh") == "turn off all the lights in the Living room"


def test_locks_are_locked_not_switched(reader: HassilReader) -> None:
    found = reader.match("lock the front door", "en")
    assert found is not None and reader.paraphrase(found, "en") == "lock the Front door lock"


def test_weather_and_timers_are_out_of_scope(reader: HassilReader) -> None:
    found = reader.match("what's the weather", "en")
    assert found is not None and found.out_of_scope and reader.paraphrase(found, "en") is None


def test_large_homes_skip_the_templates(reader: HassilReader) -> None:
    home = reader.home
    big = Home.__new__(Home)
    object.__setattr__(big, "devices", {str(i): next(iter(home.devices.values())) for i in range(MAX_DEVICES + 1)})
    assert HassilReader(big).match("turn on the kitchen light", "en") is None
