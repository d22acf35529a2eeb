"""Home Assistant MQTT discovery: the abbreviated keys, the `~` base topic, and the discovery topic."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Short keys a discovery payload may use, from Home Assistant's public MQTT discovery documentation.
CONFIG_KEYS = {
    "act_t": "action_topic", "act_tpl": "action_template", "atype": "automation_type",
    "avty": "availability", "avty_mode": "availability_mode", "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic", "bri_cmd_tpl": "brightness_command_template",
    "bri_scl": "brightness_scale", "bri_stat_t": "brightness_state_topic", "bri_val_tpl": "brightness_value_template",
    "clr_temp_cmd_t": "color_temp_command_topic", "clr_temp_cmd_tpl": "color_temp_command_template",
    "clr_temp_k": "color_temp_kelvin", "clr_temp_stat_t": "color_temp_state_topic",
    "clr_temp_val_tpl": "color_temp_value_template",
    "cmd_t": "command_topic", "cmd_tpl": "command_template", "cmps": "components",
    "curr_temp_t": "current_temperature_topic", "curr_temp_tpl": "current_temperature_template",
    "dev": "device", "dev_cla": "device_class", "e": "encoding", "en": "enabled_by_default",
    "ent_cat": "entity_category", "ent_pic": "entity_picture",
    "fan_mode_cmd_t": "fan_mode_command_topic", "fan_mode_cmd_tpl": "fan_mode_command_template",
    "fan_mode_stat_t": "fan_mode_state_topic", "fan_mode_stat_tpl": "fan_mode_state_template",
    "fanspd_lst": "fan_speed_list", "frc_upd": "force_update", "ic": "icon",
    "json_attr_t": "json_attributes_topic", "json_attr_tpl": "json_attributes_template",
    "max_mirs": "max_mireds", "min_mirs": "min_mireds", "max_temp": "max_temp", "min_temp": "min_temp",
    "mode_cmd_t": "mode_command_topic", "mode_cmd_tpl": "mode_command_template",
    "mode_stat_t": "mode_state_topic", "mode_stat_tpl": "mode_state_template",
    "o": "origin", "obj_id": "object_id", "opt": "optimistic", "ops": "options",
    "osc_cmd_t": "oscillation_command_topic", "osc_cmd_tpl": "oscillation_command_template",
    "osc_stat_t": "oscillation_state_topic", "osc_val_tpl": "oscillation_value_template",
    "p": "platform",
    "pct_cmd_t": "percentage_command_topic", "pct_cmd_tpl": "percentage_command_template",
    "pct_stat_t": "percentage_state_topic", "pct_val_tpl": "percentage_value_template",
    "pl": "payload", "pl_arm_away": "payload_arm_away", "pl_avail": "payload_available",
    "pl_cln_sp": "payload_clean_spot", "pl_cls": "payload_close", "pl_lock": "payload_lock",
    "pl_loc": "payload_locate", "pl_not_avail": "payload_not_available", "pl_off": "payload_off",
    "pl_on": "payload_on", "pl_open": "payload_open", "pl_osc_off": "payload_oscillation_off",
    "pl_osc_on": "payload_oscillation_on", "pl_paus": "payload_pause", "pl_prs": "payload_press",
    "pl_ret": "payload_return_to_base", "pl_rst": "payload_reset", "pl_stop": "payload_stop",
    "pl_strt": "payload_start", "pl_unlk": "payload_unlock",
    "pos_clsd": "position_closed", "pos_open": "position_open", "pos_t": "position_topic",
    "pos_tpl": "position_template",
    "pow_cmd_t": "power_command_topic", "pow_cmd_tpl": "power_command_template",
    "pr_mode_cmd_t": "preset_mode_command_topic", "pr_mode_cmd_tpl": "preset_mode_command_template",
    "pr_mode_stat_t": "preset_mode_state_topic", "pr_mode_val_tpl": "preset_mode_value_template",
    "pr_modes": "preset_modes",
    "ret": "retain", "send_cmd_t": "send_command_topic", "set_fan_spd_t": "set_fan_speed_topic",
    "set_pos_t": "set_position_topic", "set_pos_tpl": "set_position_template",
    "spd_rng_max": "speed_range_max", "spd_rng_min": "speed_range_min",
    "stat_cla": "state_class", "stat_clsd": "state_closed", "stat_closing": "state_closing",
    "stat_jam": "state_jammed", "stat_locked": "state_locked", "stat_locking": "state_locking",
    "stat_off": "state_off", "stat_on": "state_on", "stat_open": "state_open", "stat_opening": "state_opening",
    "stat_stopped": "state_stopped", "stat_t": "state_topic", "stat_tpl": "state_template",
    "stat_unlocked": "state_unlocked", "stat_unlocking": "state_unlocking", "stat_val_tpl": "state_value_template",
    "stype": "subtype", "sup_clrm": "supported_color_modes", "sup_feat": "supported_features",
    "t": "topic", "temp_cmd_t": "temperature_command_topic", "temp_cmd_tpl": "temperature_command_template",
    "temp_stat_t": "temperature_state_topic", "temp_stat_tpl": "temperature_state_template",
    "temp_unit": "temperature_unit", "uniq_id": "unique_id", "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
}
DEVICE_KEYS = {
    "cns": "connections", "ids": "identifiers", "mf": "manufacturer", "mdl": "model", "mdl_id": "model_id",
    "hw": "hw_version", "sw": "sw_version", "sa": "suggested_area", "sn": "serial_number", "name": "name",
}
ORIGIN_KEYS = {"name": "name", "sw": "sw_version", "url": "support_url"}
AVAILABILITY_KEYS = {"t": "topic", "pl_avail": "payload_available", "pl_not_avail": "payload_not_available",
                     "val_tpl": "value_template"}

COMPONENTS = frozenset({"light", "switch", "sensor", "binary_sensor", "climate", "cover", "lock", "fan", "vacuum",
                        "button", "select", "number", "device_trigger"})
_TOPIC = re.compile(r"^(?P<prefix>.+?)/(?P<component>[a-z_]+)/(?:(?P<node>[a-zA-Z0-9_-]+)/)?"
                    r"(?P<object>[a-zA-Z0-9_-]+)/config$")


@dataclass(frozen=True, slots=True)
class DiscoveryTopic:
    """The parts of `<prefix>/<component>/[<node_id>/]<object_id>/config`."""

    component: str
    node_id: str | None
    object_id: str

    @property
    def key(self) -> str:
        """A stable id for what this topic configures."""
        return "/".join(p for p in (self.component, self.node_id, self.object_id) if p)


def parse_topic(topic: str) -> DiscoveryTopic | None:
    """Split a discovery topic, or None when it is not one."""
    m = _TOPIC.match(topic)
    if m is None:
        return None
    return DiscoveryTopic(m["component"], m["node"], m["object"])


def _expand(raw: Mapping[str, Any], table: Mapping[str, str]) -> dict[str, Any]:
    return {table.get(k, k): v for k, v in raw.items()}


def expand_config(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Replace abbreviated keys (also inside device, origin and availability) and apply the `~` base topic."""
    config = _expand(raw, CONFIG_KEYS)
    if isinstance(config.get("device"), Mapping):
        config["device"] = _expand(config["device"], DEVICE_KEYS)
    if isinstance(config.get("origin"), Mapping):
        config["origin"] = _expand(config["origin"], ORIGIN_KEYS)
    if isinstance(config.get("availability"), list):
        config["availability"] = [_expand(a, AVAILABILITY_KEYS) if isinstance(a, Mapping) else a
                                  for a in config["availability"]]
    base = config.pop("~", None)
    if isinstance(base, str):
        config = {k: _with_base(v, base) if _is_topic_key(k) else v for k, v in config.items()}
        if isinstance(config.get("availability"), list):
            config["availability"] = [
                {**a, "topic": _with_base(a.get("topic"), base)} if isinstance(a, Mapping) else a
                for a in config["availability"]
            ]
    return config


def _is_topic_key(key: str) -> bool:
    return key == "topic" or key.endswith("_topic")


def _with_base(value: Any, base: str) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith("~"):
        return base + value[1:]
    if value.endswith("~"):
        return value[:-1] + base
    return value
