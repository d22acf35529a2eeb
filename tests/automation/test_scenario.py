"""The five demo rules in a scenario on the fake clock, and scenario file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.automation import parse_rules
from hearth.automation._prefs import demo_rules_text
from hearth.automation._scenario import load_scenario, run_scenario
from hearth.errors import RuleError

from .conftest import HOME

SCENARIO = Path(__file__).with_name("data") / "demo_scenario.yaml"
CHARGE = "Vehicle.Powertrain.TractionBattery.Charging.StartStopCharging"


async def test_the_demo_rules_fire_in_an_evening_of_the_demo_household() -> None:
    rules = parse_rules(demo_rules_text(), HOME, "demo_rules.yaml")
    scenario, root, source = load_scenario(SCENARIO)
    result = (await run_scenario(HOME, rules, scenario, source, root)).to_dict()
    by_rule: dict[str, list[tuple[float, str, object]]] = {}
    for cmd in result["commands"]:
        assert cmd["ok"], cmd
        by_rule.setdefault(cmd["rule"], []).append((cmd["time"], f"{cmd['device']}.{cmd['target']}", cmd["value"]))
    # Car within 2 km after sunset (18:35): garage opens, porch light on.
    assert by_rule["car_home_after_dark"] == [(300, "garage_door.target-position", 100), (300, "porch_light.on", True)]
    # Alice falls asleep at 22:30: curtains closed, hallway at 10%.
    assert by_rule["alice_asleep"] == [(14400, "master_curtain.target-position", 0),
                                       (14400, "hallway_light.brightness", 10)]
    # Plugged in at 45% at 18:43: charging waits for 23:00, stops when the battery reaches 90% (00:30).
    assert by_rule["offpeak_charging"] == [
        (16200, "car.Vehicle.Powertrain.TractionBattery.Charging.ChargeLimit", 90),
        (16200, f"car.{CHARGE}", "START"), (21600, f"car.{CHARGE}", "STOP")]
    # Everyone gone by 06:40: door locked, every light off, ACs to Eco.
    gone = by_rule["everyone_left"]
    assert {t for t, _, _ in gone} == {43800}
    assert ("front_door_lock.locked", True) in {(k, v) for _, k, v in gone}
    assert {k for _, k, v in gone if k.endswith(".mode")} == {"living_ac.mode", "master_ac.mode", "kids_ac.mode"}
    assert all(v is False for _, k, v in gone if k.endswith(".on"))
    # The front door stood open 10 minutes: the adults were told once, at 5 minutes.
    assert [(n["time"], n["to"]) for n in result["notifications"]] == [(1500, ["alice", "bob"])]
    assert f"vehicle.{CHARGE}" not in result["final_states"]["car"]  # STOP again, as it started
    assert result["final_states"]["hallway_light"]["light.brightness"] == 10


async def test_nothing_fires_in_daylight() -> None:
    rules = parse_rules(demo_rules_text(), HOME, "demo_rules.yaml")
    scenario, root, source = load_scenario(SCENARIO)
    day = scenario.model_copy(update={"start": "2026-01-01T10:00:00", "steps": scenario.steps[:3]})
    result = await run_scenario(HOME, rules, day, source, root)
    assert result.commands == []
    assert [r["outcome"] for r in result.runs if r["rule"] == "car_home_after_dark"] == ["condition"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps:\n  - {at: 0, set: {device: car}}\n", "s.yaml:2: steps[0].set.property: required field is missing"),
        ("steps:\n  - {at: soon, event: {device: doorbell, event: ring}}\n", "s.yaml:2: steps[0].at: expected a"),
        ("steps:\n  - {at: 0}\n", "exactly one of set, event, webhook, perception, mqtt"),
    ],
)
def test_broken_scenarios_say_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_scenario(path)
    assert message in str(err.value).replace(str(tmp_path) + "/", "")


async def test_a_step_naming_an_unknown_device_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("steps:\n  - {at: 0, set: {device: ghost, property: x, value: 1}}\n", encoding="utf-8")
    scenario, root, source = load_scenario(path)
    with pytest.raises(RuleError, match=r"s.yaml:2: steps\[0\]: unknown device 'ghost'"):
        await run_scenario(HOME, parse_rules(demo_rules_text(), HOME), scenario, source, root)


async def test_mqtt_messages_in_a_scenario(tmp_path: Path) -> None:
    rules = parse_rules("""
- id: garage
  triggers: [{trigger: mqtt, topic: 'garage/+/contact', value: value_json.contact, payload: false}]
  actions: [{command: {device: garage_light, property: light.on, value: true}}]
""", HOME)
    path = tmp_path / "s.yaml"
    path.write_text("steps:\n"
                    "  - {at: 0, mqtt: {topic: garage/side/contact, payload: {contact: false}, retained: true}}\n"
                    "  - {at: 10, mqtt: {topic: garage/side/contact, payload: '{\"contact\": true}'}}\n"
                    "  - {at: 20, mqtt: {topic: garage/side/contact, payload: {contact: false}}}\n", encoding="utf-8")
    scenario, root, source = load_scenario(path)
    result = await run_scenario(HOME, rules, scenario, source, root)
    assert [(c["time"], c["device"]) for c in result.commands] == [(20, "garage_light")]
