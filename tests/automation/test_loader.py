"""Rules files: validation against the schema and the home, with errors that say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.automation import load_rules, parse_rules
from hearth.automation._model import CommandAction, SceneAction, StateTrigger, TimeTrigger
from hearth.automation._prefs import demo_rules_text
from hearth.errors import RuleError

from .conftest import HOME

GOOD = """
rules:
  - id: porch
    triggers:
      - {trigger: time, at: 23:00}
    actions:
      - command: {device: porch_light, property: light.on, value: true}
"""


def test_demo_rules_load_and_are_enabled() -> None:
    rules = parse_rules(demo_rules_text(), HOME, "demo_rules.yaml")
    assert {r.id for r in rules.rules} == {"car_home_after_dark", "everyone_left", "alice_asleep",
                                           "offpeak_charging", "front_door_open"}
    assert all(r.enabled for r in rules.rules)
    assert "away" in rules.scenes


def test_unquoted_time_is_a_time_not_a_base60_number() -> None:
    rule = parse_rules(GOOD, HOME).rules[0]
    assert rule.triggers == (TimeTrigger((23 * 3600,)),)


def test_values_are_canonical_per_spec() -> None:
    text = """
- id: r
  triggers: [{trigger: state, device: alice_watch, property: sleep.state, to: deep sleep}]
  actions: [{command: {device: porch_light, property: light.on, value: "on"}}]
"""
    rule = parse_rules(text, HOME).rules[0]
    trigger = rule.triggers[0]
    assert isinstance(trigger, StateTrigger) and trigger.to == frozenset({"Deep Sleep"})
    action = rule.actions[0]
    assert isinstance(action, CommandAction) and action.commands[0].value is True


def test_area_and_type_targets_expand_to_devices() -> None:
    text = """
- id: r
  triggers: [{trigger: hub_start}]
  actions:
    - command: {area: master_bedroom, type: light, property: light.on, value: false}
"""
    action = parse_rules(text, HOME).rules[0].actions[0]
    assert isinstance(action, CommandAction)
    assert {c.device for c in action.commands} == {"master_ceiling_light", "master_bedside_lamp"}


def test_scene_is_compiled_into_commands() -> None:
    text = """
scenes:
  - id: night
    states:
      - {type: light, property: light.on, value: false}
rules:
  - id: r
    triggers: [{trigger: hub_start}]
    actions: [{scene: night}]
"""
    action = parse_rules(text, HOME).rules[0].actions[0]
    lights = [d for d in HOME.devices.values() if d.type == "light"]
    assert isinstance(action, SceneAction) and len(action.commands) == len(lights) > 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- id: r\n  triggers: [{trigger: state, device: nope, property: light.on}]\n  actions: [{stop: x}]",
         "test.yaml:2: rule 'r': triggers[0].device: unknown device 'nope'"),
        ("- id: r\n  triggers:\n    - trigger: state\n      device: porch_light\n      property: light.on\n"
         "      for: soon\n  actions: [{stop: x}]",
         "test.yaml:6: rule 'r': triggers[0].for: expected a duration"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n    - jump: 1",
         "test.yaml:4: rule 'r': actions[0]: an action needs one of"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n"
         "    - command: {device: porch_light, property: light.brightness, value: 500}",
         "rule 'r': actions[0].command.value: porch_light: brightness: 500 percentage is outside 1–100"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n"
         "    - command: {device: front_door_sensor, property: magnet-sensor.open, value: true}",
         "is read-only"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n"
         "    - command: {device: porch_light, property: light.colour, value: 1}",
         "actions[0].command.property: porch_light: light has no property light.colour"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n    - command: {area: attic, type: light, "
         "property: light.on, value: true}", "actions[0].command.area: unknown area 'attic'"),
        ("- id: r\n  triggers: [{trigger: zone, device: porch_light, event: enter}]\n  actions: [{stop: x}]",
         "porch_light has no location"),
        ("- id: r\n  triggers: [{trigger: zone, device: alice, zone: moon, event: enter}]\n  actions: [{stop: x}]",
         "triggers[0].zone: unknown zone 'moon'"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions:\n    - notify: {to: [zoe], message: hi}",
         "actions[0].notify.to: unknown person 'zoe'"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  conditions: [\"state('car', 'nope') > 1\"]\n"
         "  actions: [{stop: x}]", "test.yaml:3: rule 'r': conditions[0]: expression"),
        ("- id: r\n  triggers: [{trigger: cron, cron: '61 * * * *'}]\n  actions: [{stop: x}]",
         "cron minute: '61' is outside 0–59"),
        ("- id: r\n  triggers: [{trigger: event, device: doorbell, event: explode}]\n  actions: [{stop: x}]",
         "doorbell has no event 'explode' (has: doorbell.ring)"),
        ("- id: r\n  mode: sometimes\n  triggers: [{trigger: hub_start}]\n  actions: [{stop: x}]",
         "rule 'r': mode: Input should be 'single', 'restart', 'queued' or 'parallel'"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions: [{scene: party}]", "unknown scene 'party'"),
        ("- id: r\n  triggers: [{trigger: hub_start}]\n  actions: [{stop: x}]\n- id: r\n  triggers: "
         "[{trigger: hub_start}]\n  actions: [{stop: x}]", "test.yaml:4: rule 'r': id: duplicate rule id 'r'"),
        ("rules: [1, 2", "not valid YAML"),
    ],
)
def test_broken_rules_are_rejected_with_where_and_what(text: str, expected: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_rules(text, HOME, "test.yaml")
    assert expected in str(err.value)


def test_one_broken_rule_loads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD + "  - id: broken\n    triggers: []\n    actions: [{stop: x}]\n", encoding="utf-8")
    with pytest.raises(RuleError, match="rule 'broken': triggers"):
        load_rules(path, HOME)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="cannot read"):
        load_rules(tmp_path / "nope.yaml", HOME)
