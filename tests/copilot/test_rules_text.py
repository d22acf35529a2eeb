"""Rules from a sentence: triggers, conditions and actions built as data, validated, explained, confirmed, tried."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from hearth.automation import Engine, parse_rules
from hearth.copilot import Copilot
from hearth.copilot._batch import Sandbox
from hearth.copilot._rules_text import TextRules, looks_like_rule
from hearth.copilot._service import CopilotService
from hearth.core import Actor, FakeClock, Notification
from hearth.hub import build_core, load_home_or_demo
from hearth.model import Home


@pytest.fixture(scope="module")
def home() -> Home:
    return load_home_or_demo(None)


@pytest.fixture(scope="module")
def sandbox(home: Home) -> Sandbox:
    return Sandbox(home, Copilot(home))


async def rule_of(sandbox: Sandbox, text: str, **kw: Any) -> tuple[dict[str, Any], str]:
    result = await sandbox.ask(text, **kw)
    assert result.status == "clarify", result.reply
    assert result.intent == "HearthRuleFromText" and result.slots["needs_confirmation"] is True
    assert result.changes == ()
    return dict(result.slots["rule"]), result.reply


async def test_time_with_a_lock_condition_and_a_reminder(sandbox: Sandbox) -> None:
    rule, reply = await rule_of(sandbox, "每天晚上十一点如果门没锁就提醒我")
    assert rule["triggers"] == [{"trigger": "time", "at": "23:00"}]
    assert rule["conditions"] == [{"condition": "state", "device": "front_door_lock", "property": "lock.locked",
                                   "state": False}]
    assert rule["actions"][0]["notify"]["to"] == "alice"
    assert reply.startswith("每天23:00，如果大门锁未上锁，就提醒你。")


async def test_arriving_home_after_dark(sandbox: Sandbox) -> None:
    rule, reply = await rule_of(sandbox, "when I get home after dark turn on the porch light", actor=None)
    assert rule["triggers"] == [{"trigger": "zone", "device": "alice", "zone": "home", "event": "enter"}]
    assert rule["conditions"][0]["condition"] == "or"
    assert rule["actions"] == [{"command": {"device": "porch_light", "property": "light.on", "value": True}}]
    assert reply.startswith("When you get home after dark, turn on the Porch light.")


async def test_the_acting_person_is_i(sandbox: Sandbox, home: Home) -> None:
    bob = Actor("person", "bob", "adult")
    rule, reply = await rule_of(sandbox, "when I get home turn on the porch light", actor=bob)
    assert rule["triggers"][0]["device"] == "bob" and "you get home" in reply


async def test_held_state_duration(sandbox: Sandbox) -> None:
    rule, _ = await rule_of(sandbox, "if the front door stays open for 5 minutes notify me")
    assert rule["triggers"] == [{"trigger": "state", "device": "front_door_sensor", "property": "magnet-sensor.open",
                                 "to": True, "for": "300s"}]
    zh, _ = await rule_of(sandbox, "如果前门打开超过5分钟就通知我")
    assert zh["triggers"] == rule["triggers"]


async def test_distance_weekdays_threshold_sleep_and_camera(sandbox: Sandbox) -> None:
    car, _ = await rule_of(sandbox, "when the car is within 2 km of home open the garage")
    assert car["triggers"] == [{"trigger": "distance", "device": "car", "zone": "home", "below": 2.0}]
    assert car["actions"][0]["command"]["device"] == "garage_door"
    weekday, reply = await rule_of(sandbox, "工作日早上七点打开卧室窗帘")
    assert weekday["triggers"] == [{"trigger": "time", "at": "07:00"}]
    assert weekday["conditions"] == [{"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}]
    assert reply.startswith("工作日07:00")
    hot, _ = await rule_of(sandbox, "当客厅温度高于28度时打开空调")
    assert hot["triggers"][0] == {"trigger": "numeric", "device": "living_climate",
                                  "property": "environment.temperature", "above": 28.0}
    assert hot["actions"][0]["command"]["device"] == "living_ac"  # the room of the trigger picks the AC
    asleep, _ = await rule_of(sandbox, "when Alice falls asleep turn off all the lights")
    assert asleep["triggers"][0] == {"trigger": "state", "device": "alice", "property": "sleep.asleep", "to": True}
    assert asleep["actions"] == [{"command": {"type": "light", "property": "light.on", "value": False}}]
    seen, _ = await rule_of(sandbox, "when someone is at the front door after 22:00, notify me and turn on the porch"
                                     " light")
    # A sighting listens to a camera rule made with it (its false-alarm controls are tested with a hub).
    assert seen["triggers"] == [{"trigger": "perception", "camera": "front_camera", "kind": "rule",
                                 "label": f"{seen['id']}-front_camera-person"}]
    assert seen["conditions"] == [{"condition": "time", "after": "22:00"}]
    assert [next(iter(a)) for a in seen["actions"]] == ["notify", "command"]


async def test_everyone_leaving_uses_a_scene(sandbox: Sandbox) -> None:
    rule, reply = await rule_of(sandbox, "when everyone leaves home activate the away scene")
    assert rule["triggers"][0]["property"] == "presence.at-home" and rule["conditions"][0]["state"] is False
    assert all(a["alias"] == "scene:away" for a in rule["actions"]) and "away scene" in reply


@pytest.mark.parametrize("text", ["when I get home turn on the sauna", "every day at 7 am set the bedroom light to 1"
                                                                       "50%",
                                  "当我到家时打开桑拿房"])
async def test_unknown_things_and_bad_values_are_refused(sandbox: Sandbox, text: str) -> None:
    result = await sandbox.ask(text)
    assert result.status == "refused" and result.intent == "HearthRuleFromText" and result.changes == ()


async def test_children_cannot_create_rules(sandbox: Sandbox, home: Home) -> None:
    result = await sandbox.ask("when I get home turn on the porch light", actor=Copilot(home).actor_for("mia"))
    assert result.status == "refused"


async def test_every_rule_validates_with_the_automation_loader(sandbox: Sandbox, home: Home) -> None:
    import yaml

    rule, _ = await rule_of(sandbox, "when the kids room temperature drops below 18 turn on the kids room air condit"
                                     "ioner")
    ruleset = parse_rules(yaml.safe_dump({"rules": [rule]}), home)
    assert ruleset.rules[0].id == rule["id"]


async def test_confirmed_without_a_hub_is_validated_and_dry_run_fires(home: Home) -> None:
    copilot = Copilot(home)
    copilot.rule_hook = TextRules(copilot, dry_run=True)
    sandbox = Sandbox(home, copilot)
    result = await sandbox.ask("when someone is at the front door after 22:00, notify me and turn on the porch light",
                               confirm=True)
    assert result.status == "done" and result.slots["validated"] is True
    run = result.slots["dry_run"]
    assert run["fired"] and run["commands"][0]["device"] == "porch_light" and run["notifications"]
    assert "Dry run" in result.reply


async def test_confirmed_in_the_hub_adds_the_rule_to_the_engine(home: Home, tmp_path: Path) -> None:
    clock = FakeClock(0.0)
    bus, state, commands = build_core(home, clock)
    engine = Engine(home, bus, clock, state, commands)
    engine.load(parse_rules("scenes: []\nrules: []\n", home))
    service = CopilotService(home, bus, state, commands, engine=engine, data_dir=tmp_path)
    told: list[Notification] = []
    bus.subscribe(Notification, told.append)
    alice = Actor("person", "alice", "admin")
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(engine)
        asked = await service.ask("if the front door stays open for 5 minutes notify me", alice)
        assert asked["status"] == "clarify" and asked["needs_confirmation"] and not engine.rules
        done = await service.ask("if the front door stays open for 5 minutes notify me", alice, confirm=True)
        assert done["status"] == "done" and done["slots"]["rule"]["id"] in engine.rules
        assert (tmp_path / "demo.added_rules.yaml").exists()
        state.apply("front_door_sensor", "magnet-sensor", "open", True, cause="test")
        await clock.run_for(301)
    assert told and told[0].to == ("alice",)


def test_rule_sentences_are_told_from_commands() -> None:
    assert looks_like_rule("当客厅温度高于28度时打开空调", "zh")
    assert looks_like_rule("turn on the porch light when I get home", "en")
    assert not looks_like_rule("turn on the porch light", "en")
    assert not looks_like_rule("打开客厅的灯", "zh")


async def test_the_llm_create_rule_tool_validates_with_the_automation_api(home: Home) -> None:
    from hearth.copilot._llm_tools import HomeTools

    _, state, commands = build_core(home, FakeClock(0.0))
    tools = HomeTools(home, state, commands, Actor("copilot", "alice", "admin"))
    good = "id: porch\ntriggers: [{trigger: sun, event: sunset}]\n" \
           "actions: [{command: {device: porch_light, property: light.on, value: true}}]\n"
    outcome = await tools.call("create_rule", {"yaml": good})
    assert outcome.ok and outcome.rule is not None and outcome.rule["id"] == "porch"
    bad = await tools.call("create_rule", {"yaml": good.replace("porch_light", "sauna_light")})
    assert not bad.ok and "sauna_light" in bad.content["error"]
