"""zigbee2mqtt natively: exposes with access bits become specs, state JSON becomes values, `/set` drives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.adapters.mqtt.rig import Rig

BULB = {
    "friendly_name": "Hall Bulb", "ieee_address": "0x0017880100000001", "type": "Router",
    "definition": {"vendor": "Philips", "model": "9290022166", "exposes": [
        {"type": "light", "features": [
            {"type": "binary", "name": "state", "property": "state", "access": 7, "value_on": "ON",
             "value_off": "OFF", "value_toggle": "TOGGLE"},
            {"type": "numeric", "name": "brightness", "property": "brightness", "access": 7, "value_min": 0,
             "value_max": 254},
            {"type": "numeric", "name": "color_temp", "property": "color_temp", "access": 7, "unit": "mired",
             "value_min": 153, "value_max": 454},
            {"type": "composite", "name": "color_xy", "property": "color", "access": 7, "features": []},
        ]},
        {"type": "enum", "name": "effect", "property": "effect", "access": 2, "values": ["blink", "okay"]},
        {"type": "numeric", "name": "linkquality", "property": "linkquality", "access": 1, "unit": "lqi",
         "value_min": 0, "value_max": 255},
    ]},
}
SENSOR = {
    "friendly_name": "bedroom/climate", "type": "EndDevice",
    "definition": {"vendor": "Aqara", "model": "WSDCGQ11LM", "exposes": [
        {"type": "numeric", "name": "temperature", "property": "temperature", "access": 1, "unit": "°C"},
        {"type": "numeric", "name": "humidity", "property": "humidity", "access": 1, "unit": "%"},
        {"type": "numeric", "name": "battery", "property": "battery", "access": 1, "unit": "%", "value_min": 0,
         "value_max": 100},
    ]},
}
REMOTE = {
    "friendly_name": "remote", "type": "EndDevice",
    "definition": {"vendor": "IKEA", "model": "E1743", "exposes": [
        {"type": "enum", "name": "action", "property": "action", "access": 1, "values": ["on", "off",
                                                                                         "brightness_move_up"]},
    ]},
}
COORDINATOR = {"friendly_name": "Coordinator", "type": "Coordinator", "definition": None}


def bridge(rig: Rig, *devices: dict[str, Any]) -> None:
    rig.send("zigbee2mqtt/bridge/devices", list(devices), retained=True)


def test_exposes_become_a_spec() -> None:
    rig = Rig()
    bridge(rig, COORDINATOR, BULB, SENSOR)
    assert sorted(rig.adapter.devices) == ["bedroom_climate", "hall_bulb"]
    spec = rig.adapter.devices["hall_bulb"].spec
    assert sorted(spec.services) == ["connectivity", "device", "light"]
    on = spec.property("light", "on")
    assert on.access == {"read", "write", "notify"}
    assert spec.property("light", "brightness").range.max == 100  # type: ignore[union-attr]
    ct = spec.property("light", "color-temperature")
    assert (ct.unit, ct.range.min, ct.range.max) == ("kelvin", 2203, 6536)  # type: ignore[union-attr]
    effect = spec.property("device", "effect")
    assert effect.access == {"write"} and [c.description for c in effect.choices] == ["Blink", "Okay"]
    assert spec.property("connectivity", "linkquality").access == {"read", "notify"}
    climate = rig.adapter.devices["bedroom_climate"].spec
    assert sorted(climate.services) == ["battery", "environment"]
    assert climate.property("environment", "temperature").unit == "celsius"


def test_state_json_updates_every_service() -> None:
    rig = Rig()
    bridge(rig, BULB, SENSOR)
    rig.send("zigbee2mqtt/Hall Bulb", {"state": "ON", "brightness": 127, "color_temp": 370, "linkquality": 99,
                                       "color": {"x": 0.3, "y": 0.3}})
    rig.send("zigbee2mqtt/bedroom/climate", {"temperature": 19.5, "humidity": 48.1, "battery": 97})
    assert rig.value("hall_bulb", "light", "on") is True
    assert rig.value("hall_bulb", "light", "brightness") == 50
    assert rig.value("hall_bulb", "light", "color-temperature") == 2703
    assert rig.value("hall_bulb", "connectivity", "linkquality") == 99
    assert rig.value("bedroom_climate", "environment", "temperature") == 19.5
    assert rig.value("bedroom_climate", "battery", "battery") == 97


def test_bad_state_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    bridge(rig, BULB)
    rig.send("zigbee2mqtt/Hall Bulb", {"state": "ON", "brightness": 200})
    rig.send("zigbee2mqtt/Hall Bulb", {"state": "MAYBE", "brightness": 10})
    rig.send("zigbee2mqtt/Hall Bulb", "not json")
    assert rig.value("hall_bulb", "light", "on") is True and rig.value("hall_bulb", "light", "brightness") == 79
    assert "expected 'ON' or 'OFF', got 'MAYBE'" in caplog.text


async def test_set_commands() -> None:
    rig = Rig()
    bridge(rig, BULB)
    (msg,) = await rig.command("hall_bulb", "light", property="brightness", value=100)
    assert msg[0] == "zigbee2mqtt/Hall Bulb/set" and json.loads(msg[1]) == {"brightness": 254}
    (msg,) = await rig.command("hall_bulb", "light", property="on", value=False)
    assert json.loads(msg[1]) == {"state": "OFF"}
    (msg,) = await rig.command("hall_bulb", "device", property="effect", value="Okay")
    assert json.loads(msg[1]) == {"effect": "okay"}
    # write-only: recorded as sent
    assert rig.value("hall_bulb", "device", "effect") == "Okay"


def test_actions_become_events_and_availability_is_tracked() -> None:
    rig = Rig()
    bridge(rig, REMOTE)
    rig.send("zigbee2mqtt/remote", {"action": "brightness_move_up", "linkquality": 10})
    assert [e.event for e in rig.events] == ["brightness-move-up"]
    rig.send("zigbee2mqtt/remote/availability", {"state": "offline"})
    assert rig.adapter.registry.available("remote") is False


def test_a_new_device_list_replaces_the_old_one() -> None:
    rig = Rig()
    bridge(rig, BULB, SENSOR)
    bridge(rig, SENSOR)
    assert sorted(rig.adapter.devices) == ["bedroom_climate"]
    rig.send("zigbee2mqtt/Hall Bulb", {"state": "ON"})
    assert rig.value("hall_bulb", "light", "on") is None
