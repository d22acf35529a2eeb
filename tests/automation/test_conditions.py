"""Conditions: state, numeric, time window, sun, zone, and/or/not, expressions and trigger ids."""

from __future__ import annotations

import pytest

from hearth.core import WebhookReceived

from .conftest import NOON, rig


def rule(conditions: str) -> str:
    return ("- id: r\n  mode: parallel\n  triggers: [{trigger: webhook, webhook: go, id: go}]\n"
            f"  conditions:\n{conditions}"
            "  actions: [{command: {device: porch_light, property: light.on, value: true}}]\n")


async def outcome(conditions: str, start: float = NOON, setup: dict[tuple[str, str], object] | None = None) -> str:
    async with rig(rule(conditions), start=start) as r:
        for (device, prop), value in (setup or {}).items():
            r.set(device, prop, value)
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        return r.outcomes("r")[-1]


HOUR = 3600.0


@pytest.mark.parametrize(
    ("conditions", "setup", "expected"),
    [
        ("    - {condition: state, device: living_ceiling_light, property: light.on, state: true}\n", {}, "done"),
        ("    - {condition: state, device: [alice, bob], property: presence.at-home, state: true}\n",
         {("bob", "presence.at-home"): False}, "condition"),
        ("    - {condition: numeric, device: kids_climate, property: environment.temperature, below: 24}\n", {},
         "done"),
        ("    - {condition: numeric, device: kids_climate, property: environment.temperature, above: 24}\n", {},
         "condition"),
        ("    - {condition: zone, device: car, zone: home}\n", {}, "done"),
        ("    - {condition: zone, device: car, zone: office}\n", {}, "condition"),
        ("    - {condition: zone, device: alice, zone: office}\n",
         {("alice", "location.latitude"): 31.2397, ("alice", "location.longitude"): 121.4998}, "done"),
        ("    - condition: or\n      conditions:\n        - {condition: zone, device: car, zone: office}\n"
         "        - {condition: zone, device: car, zone: home}\n", {}, "done"),
        ("    - condition: not\n      conditions: [{condition: zone, device: car, zone: home}]\n", {}, "condition"),
        ("    - condition: and\n      conditions: [{condition: zone, device: car, zone: home}, \"1 + 1 == 2\"]\n",
         {}, "done"),
        ("    - \"state('kids_climate', 'temperature') < 24 and state('car', "
         "'Vehicle.Powertrain.TractionBattery.StateOfCharge.Current') >= 70\"\n", {}, "done"),
        ("    - \"distance('car', 'office') > 2 and trigger.kind == 'webhook'\"\n", {}, "done"),
        ("    - \"state('car', 'Vehicle.Speed') / 0 > 1\"\n", {}, "condition"),
        ("    - {condition: trigger, id: go}\n", {}, "done"),
        ("    - {condition: trigger, id: [other]}\n", {}, "condition"),
        ("    - {condition: state, device: front_door_sensor, property: magnet-sensor.open, state: false, for: 1h}\n",
         {}, "condition"),
    ],
)
async def test_state_numeric_zone_logic_expression_trigger(
    conditions: str, setup: dict[tuple[str, str], object], expected: str
) -> None:
    assert await outcome(conditions, setup=setup) == expected


@pytest.mark.parametrize(
    ("window", "hour", "expected"),
    [
        ("after: '09:00', before: '17:00'", 12, "done"),
        ("after: '09:00', before: '17:00'", 18, "condition"),
        ("after: '23:00', before: '07:00'", 12, "condition"),
        ("after: '23:00', before: '07:00'", 23.5, "done"),
        ("after: '23:00', before: '07:00'", 26, "done"),  # 02:00 the next night
        ("weekday: [thu]", 12, "done"),  # 2026-01-01 is a Thursday
        ("weekday: [sat, sun]", 12, "condition"),
    ],
)
async def test_time_window_with_weekdays(window: str, hour: float, expected: str) -> None:
    start = NOON + (hour - 12) * HOUR
    assert await outcome(f"    - {{condition: time, {window}}}\n", start=start) == expected


@pytest.mark.parametrize(
    ("sun", "hour", "expected"),
    [
        ("after: sunset", 12, "condition"),
        ("after: sunset", 19, "done"),
        ("before: sunrise", 5, "done"),
        ("before: sunrise", 9, "condition"),
        ("after: sunrise, before: sunset", 12, "done"),
        ("after: sunset, after_offset: '02:30'", 19, "condition"),
    ],
)
async def test_sun_condition_with_offsets(sun: str, hour: float, expected: str) -> None:
    start = NOON + (hour - 12) * HOUR
    assert await outcome(f"    - {{condition: sun, {sun}}}\n", start=start) == expected


async def test_condition_results_are_in_the_trace() -> None:
    async with rig(rule("    - \"1 < 2\"\n    - {condition: zone, device: car, zone: office}\n")) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        trace = r.engine.traces("r")[0].to_dict()
        assert [(c["condition"], c["result"]) for c in trace["conditions"]] == [
            ("1 < 2", True), ("car in zone office", False)]
        assert r.issued() == []
