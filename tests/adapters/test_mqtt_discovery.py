"""Home Assistant MQTT discovery: abbreviations, base topics, templates and every supported component."""

from __future__ import annotations

import json

import pytest

from hearth.adapters.mqtt import Template, TemplateError, expand_config, matches, parse_topic
from hearth.errors import AdapterError
from tests.adapters.mqtt.rig import Rig

# ---- pure parts ----


def test_abbreviations_and_base_topic_expand() -> None:
    config = expand_config({
        "~": "home/kitchen", "stat_t": "~/state", "cmd_t": "~/set", "json_attr_t": "attrs/~", "uniq_id": "k1",
        "dev": {"ids": ["abc"], "mf": "Acme", "mdl": "L1"}, "o": {"name": "X", "sw": "1"},
        "avty": [{"t": "~/avail", "pl_avail": "up"}], "unit_of_meas": "°C", "name": "~ stays in names",
    })
    assert config["state_topic"] == "home/kitchen/state" and config["command_topic"] == "home/kitchen/set"
    assert config["json_attributes_topic"] == "attrs/home/kitchen"
    assert config["device"] == {"identifiers": ["abc"], "manufacturer": "Acme", "model": "L1"}
    assert config["origin"] == {"name": "X", "sw_version": "1"}
    assert config["availability"] == [{"topic": "home/kitchen/avail", "payload_available": "up"}]
    assert config["name"] == "~ stays in names" and "~" not in config


def test_discovery_topics() -> None:
    assert parse_topic("homeassistant/light/kitchen/config").key == "light/kitchen"  # type: ignore[union-attr]
    with_node = parse_topic("homeassistant/sensor/node-1/temp_1/config")
    assert with_node is not None and (with_node.node_id, with_node.object_id) == ("node-1", "temp_1")
    assert parse_topic("homeassistant/light/kitchen/state") is None
    assert parse_topic("homeassistant/status") is None


@pytest.mark.parametrize(
    ("flt", "topic", "hit"),
    [("a/+/c", "a/b/c", True), ("a/#", "a", True), ("a/#", "a/b/c", True), ("a/+", "a/b/c", False),
     ("a/b", "a/b", True), ("+/b", "x/c", False)],
)
def test_topic_filters(flt: str, topic: str, hit: bool) -> None:
    assert matches(flt, topic) is hit


def test_templates() -> None:
    assert Template("{{ value_json.temperature }}").render("x", '{"temperature": 21.5}') == 21.5
    assert Template("{{ value_json['a'][1].b | float }}").render("", '{"a": [0, {"b": "2"}]}') == 2.0
    assert Template("{{ value | int }}").render("42.0") == 42
    assert Template("{{ value_json.x | default('n/a') }}").render("", "{}") == "n/a"
    assert Template('{"state": "{{ value }}"}').render("ON") == '{"state": "ON"}'
    with pytest.raises(TemplateError, match="supported"):
        Template("{{ states('sensor.x') }}")
    with pytest.raises(TemplateError, match=r"no value_json\.missing"):
        Template("{{ value_json.missing }}").render("", "{}")


# ---- components ----


def test_light_with_separate_topics() -> None:
    rig = Rig()
    rig.discover("light", "kitchen", {"~": "k/light", "name": "Kitchen", "uniq_id": "kit1", "stat_t": "~/state",
                                      "cmd_t": "~/set", "bri_stat_t": "~/bri", "bri_cmd_t": "~/bri/set",
                                      "clr_temp_stat_t": "~/ct", "clr_temp_cmd_t": "~/ct/set"})
    device = rig.adapter.devices["kit1"]
    assert device.name == "Kitchen" and device.adapter == "mqtt"
    light = device.spec.service("light")
    assert set(light.properties) == {"on", "brightness", "color-temperature"}
    rig.send("k/light/state", "ON")
    rig.send("k/light/bri", "128")
    rig.send("k/light/ct", "250")
    assert (rig.value("kit1", "light", "on"), rig.value("kit1", "light", "brightness"),
            rig.value("kit1", "light", "color-temperature")) == (True, 50, 4000)


async def test_light_commands_go_to_command_topics() -> None:
    rig = Rig()
    rig.discover("light", "kitchen", {"~": "k/light", "uniq_id": "kit1", "stat_t": "~/state", "cmd_t": "~/set",
                                      "bri_cmd_t": "~/bri/set", "bri_scl": 100, "clr_temp_cmd_t": "~/ct/set",
                                      "clr_temp_k": True})
    assert await rig.command("kit1", "light", property="on", value=False) == [("k/light/set", "OFF")]
    assert await rig.command("kit1", "light", property="brightness", value=30) == [("k/light/bri/set", "30")]
    assert await rig.command("kit1", "light", property="color-temperature", value=3000) == [("k/light/ct/set",
                                                                                               "3000")]
    # no state topic for brightness: recorded as sent
    assert rig.value("kit1", "light", "brightness") == 30


async def test_json_schema_light() -> None:
    rig = Rig()
    rig.discover("light", "desk", {"schema": "json", "uniq_id": "desk", "stat_t": "desk/state", "cmd_t": "desk/set",
                                   "sup_clrm": ["color_temp"]})
    rig.send("desk/state", {"state": "ON", "brightness": 255, "color_temp": 370})
    assert rig.value("desk", "light", "brightness") == 100
    assert rig.value("desk", "light", "color-temperature") == 2703
    (msg,) = await rig.command("desk", "light", property="brightness", value=50)
    assert msg[0] == "desk/set" and json.loads(msg[1]) == {"state": "ON", "brightness": 128}


async def test_switch_with_value_template() -> None:
    rig = Rig()
    rig.discover("switch", "plug", {"uniq_id": "plug", "stat_t": "plug/state", "val_tpl": "{{ value_json.power }}",
                                    "stat_on": "on", "stat_off": "off", "cmd_t": "plug/cmd", "pl_on": "1",
                                    "pl_off": "0"})
    rig.send("plug/state", {"power": "on"})
    assert rig.value("plug", "switch", "on") is True
    assert await rig.command("plug", "switch", property="on", value=False) == [("plug/cmd", "0")]


def test_bad_payloads_are_logged_and_change_nothing(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.discover("sensor", "t1", {"uniq_id": "t1", "stat_t": "t1/state", "dev_cla": "temperature",
                                  "unit_of_meas": "°C"})
    rig.send("t1/state", "21.5")
    rig.send("t1/state", "warm")
    rig.send("t1/state", b"\xff\xfe")
    assert rig.value("t1", "sensor", "temperature") == 21.5
    assert rig.adapter.devices["t1"].spec.property("sensor", "temperature").unit == "celsius"
    assert "t1/state" in caplog.text and "expected a number, got 'warm'" in caplog.text
    assert rig.adapter.registry.dropped == 2


def test_broken_discovery_configs_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    rig.send("homeassistant/switch/x/config", "{not json")
    rig.send("homeassistant/switch/y/config", "[1, 2]")
    rig.discover("number", "z", {"uniq_id": "z", "min": "low", "cmd_t": "z/set"})
    rig.discover("sensor", "w", {"uniq_id": "w", "stat_t": "w", "val_tpl": "{{ now() }}"})
    assert rig.adapter.devices == {}
    assert caplog.text.count("ignored") == 4


def test_binary_sensor_and_grouping_by_device() -> None:
    rig = Rig()
    dev = {"ids": ["hall-multi"], "name": "Hall sensor", "mf": "Acme", "mdl": "MS1"}
    rig.discover("binary_sensor", "hall_motion", {"uniq_id": "m", "stat_t": "hall/motion", "dev_cla": "motion",
                                                  "dev": dev})
    rig.discover("sensor", "hall_temp", {"uniq_id": "t", "stat_t": "hall/temp", "dev_cla": "temperature",
                                         "dev": dev})
    rig.discover("sensor", "hall_hum", {"uniq_id": "h", "stat_t": "hall/hum", "dev_cla": "humidity", "dev": dev})
    device = rig.adapter.devices["hall_multi"]
    assert sorted(device.spec.services) == ["binary-sensor", "sensor", "sensor-hall-hum"]
    assert device.spec.type == "mqtt:MS1"
    rig.send("hall/motion", "ON")
    rig.send("hall/hum", "40")
    assert rig.value("hall_multi", "binary-sensor", "motion-state") is True
    assert rig.value("hall_multi", "sensor-hall-hum", "humidity") == 40.0


async def test_climate() -> None:
    rig = Rig()
    rig.discover("climate", "ac", {"uniq_id": "ac", "mode_stat_t": "ac/mode", "mode_cmd_t": "ac/mode/set",
                                   "modes": ["off", "cool", "heat", "fan_only"], "temp_stat_t": "ac/target",
                                   "temp_cmd_t": "ac/target/set", "curr_temp_t": "ac/current", "temp_step": 0.5,
                                   "min_temp": 16, "max_temp": 30, "fan_mode_cmd_t": "ac/fan/set"})
    spec = rig.adapter.devices["ac"].spec
    assert [c.description for c in spec.property("thermostat", "mode").choices] == ["Off", "Cool", "Heat",
                                                                                     "Fan Only"]
    rig.send("ac/mode", "fan_only")
    rig.send("ac/current", "26.5")
    assert rig.value("ac", "thermostat", "mode") == "Fan Only"
    assert rig.value("ac", "thermostat", "temperature") == 26.5
    assert await rig.command("ac", "thermostat", property="mode", value="Cool") == [("ac/mode/set", "cool")]
    assert await rig.command("ac", "thermostat", property="target-temperature", value=22.5) == [
        ("ac/target/set", "22.5")]
    assert await rig.command("ac", "thermostat", property="fan-level", value="High") == [("ac/fan/set", "high")]


async def test_cover_and_lock() -> None:
    rig = Rig()
    rig.discover("cover", "garage", {"uniq_id": "gd", "dev_cla": "garage", "cmd_t": "gd/set", "stat_t": "gd/state",
                                     "pos_t": "gd/pos", "set_pos_t": "gd/pos/set", "pos_open": 255})
    rig.discover("lock", "front", {"uniq_id": "fl", "cmd_t": "fl/set", "stat_t": "fl/state"})
    rig.send("gd/state", "opening")
    rig.send("gd/pos", "51")
    assert rig.value("gd", "garage-door", "status") == "Opening"
    assert rig.value("gd", "garage-door", "current-position") == 20
    assert await rig.command("gd", "garage-door", property="motor-control", value="Close") == [("gd/set", "CLOSE")]
    assert await rig.command("gd", "garage-door", property="target-position", value=100) == [("gd/pos/set", "255")]
    rig.send("fl/state", "UNLOCKED")
    assert rig.value("fl", "lock", "locked") is False
    assert await rig.command("fl", "lock", property="locked", value=True) == [("fl/set", "LOCK")]


async def test_fan_vacuum_button_select_number() -> None:
    rig = Rig()
    rig.discover("fan", "f", {"uniq_id": "f", "cmd_t": "f/set", "stat_t": "f/state", "pct_cmd_t": "f/pct/set",
                              "pct_stat_t": "f/pct", "pr_modes": ["auto", "sleep"], "pr_mode_cmd_t": "f/mode/set",
                              "osc_cmd_t": "f/osc/set"})
    rig.discover("vacuum", "v", {"uniq_id": "v", "cmd_t": "v/cmd", "stat_t": "v/state", "set_fan_spd_t": "v/speed",
                                 "fanspd_lst": ["quiet", "max"]})
    rig.discover("button", "b", {"uniq_id": "b", "cmd_t": "b/press"})
    rig.discover("select", "s", {"uniq_id": "s", "cmd_t": "s/set", "stat_t": "s/state", "ops": ["eco", "boost"]})
    rig.discover("number", "n", {"uniq_id": "n", "cmd_t": "n/set", "stat_t": "n/state", "min": 0, "max": 10,
                                 "step": 0.5})
    rig.send("f/pct", "40")
    assert rig.value("f", "fan", "speed-level") == 40
    assert await rig.command("f", "fan", property="mode", value="Sleep") == [("f/mode/set", "sleep")]
    assert await rig.command("f", "fan", property="horizontal-swing", value=True) == [("f/osc/set", "oscillate_on")]
    rig.send("v/state", {"state": "cleaning", "battery_level": 61, "fan_speed": "max"})
    assert (rig.value("v", "vacuum", "status"), rig.value("v", "vacuum", "battery-level"),
            rig.value("v", "vacuum", "mode")) == ("Sweeping", 61, "Max")
    assert await rig.command("v", "vacuum", action="start-charge") == [("v/cmd", "return_to_base")]
    assert await rig.command("v", "vacuum", property="mode", value="Quiet") == [("v/speed", "quiet")]
    assert await rig.command("b", "button", action="press") == [("b/press", "PRESS")]
    rig.send("s/state", "boost")
    assert rig.value("s", "select", "option") == "Boost"
    assert await rig.command("s", "select", property="option", value="Eco") == [("s/set", "eco")]
    rig.send("n/state", "7.5")
    assert rig.value("n", "number", "value") == 7.5
    assert rig.adapter.devices["n"].spec.property("number", "value").range.step == 0.5  # type: ignore[union-attr]


def test_device_trigger_becomes_a_device_event() -> None:
    rig = Rig()
    rig.discover("device_trigger", "remote_1", {"atype": "trigger", "t": "remote/action", "type": "button_short_press",
                                                "stype": "button_1", "pl": "single", "dev": {"ids": ["remote"]}})
    spec = rig.adapter.devices["remote"].spec
    assert "button-short-press-button-1" in spec.service("trigger").events
    rig.send("remote/action", "double")
    rig.send("remote/action", "single", retained=True)
    rig.send("remote/action", "single")
    assert [(e.device, e.service, e.event) for e in rig.events] == [("remote", "trigger",
                                                                    "button-short-press-button-1")]


def test_device_based_discovery_and_removal() -> None:
    rig = Rig()
    rig.send("homeassistant/device/multi/config", {
        "dev": {"ids": "multi1", "name": "Multi"}, "o": {"name": "bridge"}, "stat_t": "multi/state",
        "cmps": {"t": {"p": "sensor", "dev_cla": "temperature", "unit_of_meas": "°C",
                       "val_tpl": "{{ value_json.temperature }}"},
                 "h": {"p": "sensor", "dev_cla": "humidity", "unit_of_meas": "%",
                       "val_tpl": "{{ value_json.humidity }}"}},
    }, retained=True)
    device = rig.adapter.devices["multi1"]
    assert sorted(device.spec.services) == ["sensor", "sensor-h"]
    rig.send("multi/state", {"temperature": 20.5, "humidity": 51})
    assert rig.value("multi1", "sensor", "temperature") == 20.5
    assert rig.value("multi1", "sensor-h", "humidity") == 51.0
    rig.send("homeassistant/device/multi/config", {"dev": {"ids": "multi1"}, "o": {"name": "bridge"},
                                                   "cmps": {"h": {"p": "sensor"}}})
    assert sorted(rig.adapter.devices["multi1"].spec.services) == ["sensor"]
    rig.send("homeassistant/device/multi/config", b"")
    assert rig.adapter.devices == {}


def test_empty_payload_removes_and_unsubscribes() -> None:
    rig = Rig()
    changes: list[list[str]] = []
    rig.adapter.listen(lambda devices: changes.append(sorted(devices)))
    rig.discover("switch", "p", {"uniq_id": "p", "stat_t": "p/state", "cmd_t": "p/set"})
    rig.send("homeassistant/switch/p/config", b"", retained=True)
    rig.send("p/state", "ON")
    assert rig.adapter.devices == {} and rig.value("p", "switch", "on") is None
    assert changes == [["p"], []]


def test_hearths_own_announcements_are_not_ingested() -> None:
    rig = Rig()
    rig.discover("switch", "hearth_demo_x", {"uniq_id": "x", "stat_t": "x", "cmd_t": "x/set",
                                             "o": {"name": "Hearth"}})
    assert rig.adapter.devices == {}


async def test_offline_devices_refuse_commands() -> None:
    rig = Rig()
    rig.discover("switch", "p", {"uniq_id": "p", "stat_t": "p/state", "cmd_t": "p/set", "avty_t": "p/avail"})
    rig.send("p/avail", "offline")
    with pytest.raises(AdapterError, match="offline"):
        await rig.command("p", "switch", property="on", value=True)
    rig.send("p/avail", "online")
    assert await rig.command("p", "switch", property="on", value=True) == [("p/set", "ON")]


async def test_stop_drops_everything() -> None:
    rig = Rig()
    rig.discover("switch", "p", {"uniq_id": "p", "stat_t": "p/state", "cmd_t": "p/set"})
    rig.stop()
    rig.discover("switch", "q", {"uniq_id": "q", "stat_t": "q/state", "cmd_t": "q/set"})
    assert rig.adapter.devices == {}
