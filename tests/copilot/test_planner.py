"""Planner and safety: values, ranges, relative changes, confirmation and roles, through the real command path."""

from __future__ import annotations

import pytest

from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox, setup_values
from hearth.errors import CopilotError
from hearth.hub import load_home_or_demo


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    home = load_home_or_demo(None)
    return Sandbox(home, Copilot(home))


async def test_absolute_value_out_of_range_is_refused_with_the_range(sandbox: Sandbox) -> None:
    result = await sandbox.ask("把台灯调到150%")
    assert result.status == "refused" and "1%" in result.reply and "100%" in result.reply
    assert result.changes == ()


async def test_relative_change_is_clamped(sandbox: Sandbox) -> None:
    result = await sandbox.ask("raise the desk lamp brightness by 50 percent")
    assert result.status == "done"
    assert result.changes[0]["new"] == 100


async def test_relative_change_uses_current_state(sandbox: Sandbox) -> None:
    result = await sandbox.ask("客厅空调调高两度", setup={"living_ac": {"target-temperature": 20}})
    assert [c["new"] for c in result.changes] == [22.0]


async def test_risky_needs_confirmation_and_changes_nothing(sandbox: Sandbox) -> None:
    result = await sandbox.ask("unlock the front door")
    assert result.status == "clarify" and result.changes == ()
    confirmed = await sandbox.ask("unlock the front door", confirm=True)
    assert confirmed.status == "done" and confirmed.changes[0]["new"] is False


async def test_child_cannot_unlock(sandbox: Sandbox) -> None:
    mia = sandbox.copilot.actor_for("mia")
    result = await sandbox.ask("把大门解锁", actor=mia, confirm=True)
    assert result.status == "refused" and result.changes == ()


async def test_each_request_starts_from_a_fresh_home(sandbox: Sandbox) -> None:
    await sandbox.ask("turn on the kitchen light")
    again = await sandbox.ask("turn on the kitchen light")
    assert again.changes[0]["old"] is False


async def test_pronoun_follows_the_previous_clause(sandbox: Sandbox) -> None:
    result = await sandbox.ask("turn on the desk lamp and set it to 30%")
    assert {(c["device"], c["property"]) for c in result.commands} == {
        ("study_desk_lamp", "on"), ("study_desk_lamp", "brightness")}


async def test_ambiguous_request_lists_options(sandbox: Sandbox) -> None:
    result = await sandbox.ask("turn on the light")
    assert result.status == "clarify" and "Kitchen light" in result.reply and not result.changes


async def test_unknown_device_is_refused(sandbox: Sandbox) -> None:
    result = await sandbox.ask("set the aromatherapy in the garage to 50")
    assert result.status == "refused" and result.changes == ()


async def test_rules_from_text_go_to_the_hook(sandbox: Sandbox) -> None:
    result = await sandbox.ask("when I get home after dark turn on the porch light")
    assert result.status == "clarify" and result.intent == "HearthRuleFromText"


def test_setup_shapes() -> None:
    home = load_home_or_demo(None)
    a = setup_values(home, {"kitchen_light": {"light.on": True, "brightness": 10}})
    b = setup_values(home, [{"device": "kitchen_light", "service": "light", "property": "on", "value": True},
                            {"device": "kitchen_light", "property": "brightness", "value": 10}])
    assert a == b == {("kitchen_light", "light", "on"): True, ("kitchen_light", "light", "brightness"): 10}
    with pytest.raises(CopilotError):
        setup_values(home, {"nope": {"on": True}})


@pytest.mark.parametrize(("text", "status", "new"), [
    ("set the living room air conditioner to 72", "done", 22.0),  # only a Fahrenheit setting fits 16–30 °C
    ("set the living room air conditioner to 80 degrees", "done", 26.5),
    ("set the living room air conditioner to 72°", "done", 22.0),
    ("set the living room air conditioner to 25", "done", 25.0),  # a Celsius setting stays Celsius
    ("set the living room air conditioner to 72 celsius", "refused", None),  # said in Celsius: no guess
    ("set the living room air conditioner to 72°C", "refused", None),
    ("把客厅空调调到72度", "refused", None),  # 度 in Chinese is Celsius
    ("set the living room air conditioner to 5", "refused", None),  # no reading of 5 fits
    ("set the living room air conditioner to 200", "refused", None),
    ("set the water heater to 95", "refused", None),  # not room climate: no Fahrenheit guess
])
async def test_a_thermostat_setting_only_fahrenheit_can_mean_is_read_as_fahrenheit(
        sandbox: Sandbox, text: str, status: str, new: float | None) -> None:
    result = await sandbox.ask(text)
    assert result.status == status, result.reply
    assert [c["new"] for c in result.changes] == ([new] if new is not None else [])


KIND_NAMED_HOME = """\
home: {id: k, name: K}
areas:
  - {id: hall, name: Hall}
  - {id: bedroom, name: Bedroom}
  - {id: yard, name: Yard}
devices:
  - {id: front_door, name: Front Door, area: hall, type: lock}
  - {id: back_door, name: Back Door, area: yard, type: lock}
  - {id: nightstand, name: Nightstand Lamp, area: bedroom, type: light}
  - {id: hall_light, name: Hall light, area: hall, type: light}
  - {id: yard_light, name: Yard light, area: yard, type: light}
"""


@pytest.mark.parametrize(("text", "status", "device"), [
    ("锁上前门", "done", "front_door"),  # 前门 is a front door: the lock of that name, not every lock
    ("锁上后门", "done", "back_door"),
    ("打开床头灯", "done", "nightstand"),  # 床头灯 is a bedside lamp: the Nightstand Lamp
    ("lock the back door", "done", "back_door"),
    ("锁上门", "clarify", None),  # a kind said alone still asks which
    ("打开灯", "clarify", None),
])
async def test_a_kind_word_that_is_part_of_one_device_s_name_means_that_device(
        text: str, status: str, device: str | None) -> None:
    from hearth.model import parse_home

    home = parse_home(KIND_NAMED_HOME, "kinds")
    result = await Sandbox(home, Copilot(home)).ask(text, confirm=True)
    assert result.status == status, result.reply
    assert [c["device"] for c in result.commands] == ([device] if device else [])


ROOM_OF_HOME = """\
home: {id: r, name: R}
areas:
  - {id: emmas_room, name: Emma's Room}
  - {id: lounge, name: Lounge}
people:
  - {id: emma, name: Emma, role: child}
devices:
  - {id: emma_sensor, name: Room sensor, area: emmas_room, type: temperature-humidity-sensor,
     state: {relative-humidity: 44}}
  - {id: lounge_sensor, name: Lounge sensor, area: lounge, type: temperature-humidity-sensor,
     state: {relative-humidity: 61}}
"""


@pytest.mark.parametrize("text", ["Emma房间湿度多少", "Emma的房间湿度多少", "Emma的卧室湿度多少",
                                  "what's the humidity in Emma's room"])
async def test_a_room_named_in_english_after_a_person_is_reached_in_chinese_too(text: str) -> None:
    from hearth.model import parse_home

    home = parse_home(ROOM_OF_HOME, "room of")
    result = await Sandbox(home, Copilot(home)).ask(text)
    assert result.status == "answered", result.reply
    assert "44" in result.reply and "61" not in result.reply
