"""Home Assistant MQTT discovery components turned into Hearth services (MIoT-style names)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hearth.adapters.mqtt._builder import (
    Builder,
    Config,
    choice_of,
    number,
    on_off,
    render_value,
    words,
)
from hearth.adapters.mqtt._entity import (
    Availability,
    DeviceInfo,
    DiscoveryError,
    EntityPlan,
    Outbound,
    Writer,
    as_object,
    encode,
    kebab,
    slug,
)
from hearth.adapters.mqtt._template import TemplateError
from hearth.model import Choice, EventSpec, Format, PropertySpec, Value, ValueRange

RW = frozenset({"read", "write", "notify"})
RO = frozenset({"read", "notify"})
UNITS = {"°C": "celsius", "°F": "fahrenheit", "%": "percentage", "lx": "lux", "W": "watt", "kWh": "kWh",
         "V": "volt", "A": "ampere", "hPa": "hPa", "ppm": "ppm", "µg/m³": "μg/m3", "s": "seconds", "dB": "dB"}
_BINARY_NAMES = {"motion": "motion-state", "occupancy": "occupancy-status", "presence": "occupancy-status",
                 "door": "open", "window": "open", "opening": "open", "garage_door": "open", "moisture": "water-leak",
                 "smoke": "smoke", "battery": "battery-low", "connectivity": "connected"}


def _bool(b: Builder, name: str, on: str, off: str, *, state_on: str | None = None, state_off: str | None = None,
          state_topic: str = "state_topic", template: str = "value_template",
          command_topic: str = "command_topic") -> None:
    reader = b.state(name, state_topic, template, on_off(state_on or on, state_off or off))
    writer = b.command(command_topic, None, lambda v: on if v else off)
    b.prop(PropertySpec(name, Format.BOOL), reader, writer)


def _light(b: Builder) -> str:
    cfg = b.cfg
    if cfg.opt("schema") == "json":
        _json_light(b)
        return "light"
    on, off = cfg.text("payload_on", "ON"), cfg.text("payload_off", "OFF")
    _bool(b, "on", on, off, template="state_value_template")
    scale = cfg.num("brightness_scale", 255)
    b.prop(PropertySpec("brightness", Format.INT, unit="percentage", range=ValueRange(1, 100, 1)),
           b.state("brightness", "brightness_state_topic", "brightness_value_template",
                   lambda raw: max(1, min(100, round(number(raw) * 100 / scale)))),
           b.command("brightness_command_topic", "brightness_command_template",
                     lambda v: max(1, round(float(v) * scale / 100))))
    kelvin = cfg.flag("color_temp_kelvin")
    lo, hi = (cfg.num("min_kelvin", 2000), cfg.num("max_kelvin", 6535)) if kelvin else (
        round(1e6 / cfg.num("max_mireds", 500)), round(1e6 / cfg.num("min_mireds", 153)))

    def to_k(raw: Any) -> int:
        value = number(raw)
        return round(value if kelvin else 1e6 / max(value, 1))

    b.prop(PropertySpec("color-temperature", Format.INT, unit="kelvin", range=ValueRange(lo, hi, 1)),
           b.state("color-temperature", "color_temp_state_topic", "color_temp_value_template", to_k),
           b.command("color_temp_command_topic", "color_temp_command_template",
                     lambda v: round(float(v) if kelvin else 1e6 / float(v))))
    return "light"


def _json_light(b: Builder) -> None:
    cfg = b.cfg
    state_topic, command_topic = cfg.opt("state_topic"), cfg.opt("command_topic")
    modes = set(cfg.strings("supported_color_modes", []))
    has_bri = cfg.flag("brightness") or bool(modes - {"onoff"})
    has_ct = "color_temp" in modes
    scale = cfg.num("brightness_scale", 255)
    names = ["on", *(["brightness"] if has_bri else []), *(["color-temperature"] if has_ct else [])]
    if state_topic:
        def read(payload: bytes) -> Mapping[str, Any]:
            data, out = as_object(payload), {}
            if "state" in data:
                out["on"] = on_off("ON", "OFF")(data["state"])
            if has_bri and isinstance(data.get("brightness"), int | float):
                out["brightness"] = max(1, min(100, round(data["brightness"] * 100 / scale)))
            if has_ct and isinstance(data.get("color_temp"), int | float) and data["color_temp"] > 0:
                out["color-temperature"] = round(1e6 / data["color_temp"])
            return out

        b.readers.append((state_topic, read))
    retain = cfg.flag("retain")

    def writer(name: str) -> Writer:
        def write(value: Value) -> list[Outbound]:
            assert command_topic is not None
            if name == "on":
                body: dict[str, Any] = {"state": "ON" if value else "OFF"}
            elif name == "brightness":
                body = {"state": "ON", "brightness": max(1, round(float(value) * scale / 100))}
            else:
                body = {"state": "ON", "color_temp": round(1e6 / float(value))}
            return [Outbound(command_topic, encode(body), retain)]

        return write

    specs = {"on": PropertySpec("on", Format.BOOL),
             "brightness": PropertySpec("brightness", Format.INT, unit="percentage", range=ValueRange(1, 100, 1)),
             "color-temperature": PropertySpec("color-temperature", Format.INT, unit="kelvin",
                                               range=ValueRange(2000, 6535, 1))}
    for name in names:
        spec = specs[name]
        access = (RO if state_topic else frozenset()) | (frozenset({"write"}) if command_topic else frozenset())
        if access:
            b.props[name] = PropertySpec(name, spec.format, access, unit=spec.unit, range=spec.range)
        if command_topic:
            b.writers[name] = writer(name)


def _switch(b: Builder) -> str:
    on, off = b.cfg.text("payload_on", "ON"), b.cfg.text("payload_off", "OFF")
    _bool(b, "on", on, off, state_on=b.cfg.text("state_on", on), state_off=b.cfg.text("state_off", off))
    return "switch"


def _sensor(b: Builder) -> str:
    cfg = b.cfg
    device_class = cfg.opt("device_class")
    unit = cfg.opt("unit_of_measurement")
    name = kebab(device_class) if device_class else "value"
    numeric = bool(unit or cfg.opt("state_class")) or device_class in {"temperature", "humidity", "illuminance",
                                                                        "battery", "power", "energy", "pressure"}
    spec = PropertySpec(name, Format.FLOAT if numeric else Format.STRING, unit=UNITS.get(unit or "", unit))
    b.prop(spec, b.state(name, "state_topic", "value_template", number if numeric else str))
    return "sensor"


def _binary_sensor(b: Builder) -> str:
    device_class = b.cfg.opt("device_class") or ""
    name = _BINARY_NAMES.get(device_class, kebab(device_class) if device_class else "state")
    on, off = b.cfg.text("payload_on", "ON"), b.cfg.text("payload_off", "OFF")
    b.prop(PropertySpec(name, Format.BOOL), b.state(name, "state_topic", "value_template", on_off(on, off)))
    return "binary-sensor"


def _select_like(b: Builder, name: str, options: list[str], state: tuple[str, str], command: tuple[str, str | None]
                 ) -> None:
    choices, to_desc, to_word = words(options)
    b.prop(PropertySpec(name, Format.INT, choices=choices),
           b.state(name, state[0], state[1], choice_of(to_desc)),
           b.command(command[0], command[1], lambda v: to_word[str(v)]))


def _climate(b: Builder) -> str:
    cfg = b.cfg
    _select_like(b, "mode", cfg.strings("modes", ["auto", "off", "cool", "heat", "dry", "fan_only"]),
                 ("mode_state_topic", "mode_state_template"), ("mode_command_topic", "mode_command_template"))
    step = cfg.num("temp_step", 1)
    b.prop(PropertySpec("target-temperature", Format.FLOAT, unit="celsius",
                        range=ValueRange(cfg.num("min_temp", 7), cfg.num("max_temp", 35), step)),
           b.state("target-temperature", "temperature_state_topic", "temperature_state_template", number),
           b.command("temperature_command_topic", "temperature_command_template"))
    b.prop(PropertySpec("temperature", Format.FLOAT, unit="celsius"),
           b.state("temperature", "current_temperature_topic", "current_temperature_template", number))
    if cfg.opt("fan_mode_state_topic") or cfg.opt("fan_mode_command_topic"):
        _select_like(b, "fan-level", cfg.strings("fan_modes", ["auto", "low", "medium", "high"]),
                     ("fan_mode_state_topic", "fan_mode_state_template"),
                     ("fan_mode_command_topic", "fan_mode_command_template"))
    return "thermostat"


def _cover(b: Builder) -> str:
    cfg = b.cfg
    motions = {"Open": cfg.text("payload_open", "OPEN"), "Close": cfg.text("payload_close", "CLOSE"),
               "Pause": cfg.text("payload_stop", "STOP")}
    b.prop(PropertySpec("motor-control", Format.INT, choices=(Choice(0, "Pause"), Choice(1, "Open"),
                                                              Choice(2, "Close"))),
           None, b.command("command_topic", None, lambda v: motions[str(v)]))
    states = {cfg.text("state_open", "open"): "Open", cfg.text("state_opening", "opening"): "Opening",
              cfg.text("state_closed", "closed"): "Closed", cfg.text("state_closing", "closing"): "Closing",
              cfg.text("state_stopped", "stopped"): "Stopped"}
    b.prop(PropertySpec("status", Format.INT, choices=tuple(Choice(i, d) for i, d in enumerate(states.values()))),
           b.state("status", "state_topic", "value_template", choice_of(states)))
    low, high = cfg.num("position_closed", 0), cfg.num("position_open", 100)

    def pct(raw: Any) -> int:
        return max(0, min(100, round((number(raw) - low) * 100 / ((high - low) or 1))))

    position = PropertySpec("current-position", Format.INT, unit="percentage", range=ValueRange(0, 100, 1))
    b.prop(position, b.state("current-position", "position_topic", "position_template", pct))
    b.prop(PropertySpec("target-position", Format.INT, unit="percentage", range=ValueRange(0, 100, 1)), None,
           b.command("set_position_topic", "set_position_template", lambda v: round(low + float(v) * (high - low)
                                                                                    / 100)))
    return "garage-door" if cfg.opt("device_class") == "garage" else "curtain"


def _lock(b: Builder) -> str:
    cfg = b.cfg
    _bool(b, "locked", cfg.text("payload_lock", "LOCK"), cfg.text("payload_unlock", "UNLOCK"),
          state_on=cfg.text("state_locked", "LOCKED"), state_off=cfg.text("state_unlocked", "UNLOCKED"))
    return "lock"


def _fan(b: Builder) -> str:
    cfg = b.cfg
    _bool(b, "on", cfg.text("payload_on", "ON"), cfg.text("payload_off", "OFF"), template="state_value_template")
    low, high = cfg.num("speed_range_min", 1), cfg.num("speed_range_max", 100)
    b.prop(PropertySpec("speed-level", Format.INT, unit="percentage", range=ValueRange(0, 100, 1)),
           b.state("speed-level", "percentage_state_topic", "percentage_value_template",
                   lambda raw: max(0, min(100, round((number(raw) - low + 1) * 100 / (high - low + 1))))),
           b.command("percentage_command_topic", "percentage_command_template",
                     lambda v: 0 if float(v) == 0 else round(low - 1 + float(v) * (high - low + 1) / 100)))
    if cfg.raw.get("preset_modes"):
        _select_like(b, "mode", cfg.strings("preset_modes", []), ("preset_mode_state_topic",
                     "preset_mode_value_template"), ("preset_mode_command_topic", "preset_mode_command_template"))
    _bool(b, "horizontal-swing", cfg.text("payload_oscillation_on", "oscillate_on"),
          cfg.text("payload_oscillation_off", "oscillate_off"), state_topic="oscillation_state_topic",
          template="oscillation_value_template", command_topic="oscillation_command_topic")
    return "fan"


_VACUUM_STATES = {"cleaning": "Sweeping", "docked": "Charging", "paused": "Paused", "idle": "Idle",
                  "returning": "Returning", "error": "Error"}


def _vacuum(b: Builder) -> str:
    cfg = b.cfg
    for name, desc, key, default in (("start-sweep", "Start cleaning", "payload_start", "start"),
                                     ("stop-sweeping", "Stop cleaning", "payload_stop", "stop"),
                                     ("pause-sweeping", "Pause cleaning", "payload_pause", "pause"),
                                     ("start-charge", "Return to the dock", "payload_return_to_base", "return_to_base"),
                                     ("locate", "Locate", "payload_locate", "locate")):
        b.action(name, desc, "command_topic", cfg.text(key, default))
    speeds = cfg.strings("fan_speed_list", [])
    state_topic = cfg.opt("state_topic")
    choices, to_desc, to_word = words(speeds)
    status = PropertySpec("status", Format.INT, choices=tuple(Choice(i, d) for i, d in
                                                              enumerate(dict.fromkeys(_VACUUM_STATES.values()))))
    battery = PropertySpec("battery-level", Format.INT, unit="percentage", range=ValueRange(0, 100, 1))
    mode = PropertySpec("mode", Format.INT, choices=choices)
    if state_topic:
        def read(payload: bytes) -> Mapping[str, Any]:
            data, out = as_object(payload), {}
            if "state" in data:
                out["status"] = choice_of(_VACUUM_STATES)(data["state"])
            if isinstance(data.get("battery_level"), int | float):
                out["battery-level"] = max(0, min(100, round(data["battery_level"])))
            if speeds and "fan_speed" in data:
                out["mode"] = choice_of(to_desc)(data["fan_speed"])
            return out

        b.readers.append((state_topic, read))
        b.props["status"] = status
        b.props["battery-level"] = battery
    if speeds:
        b.prop(mode, None, b.command("set_fan_speed_topic", None, lambda v: to_word[str(v)]))
        if state_topic:
            b.props["mode"] = PropertySpec("mode", Format.INT, b.props["mode"].access | RO, choices=choices)
    return "vacuum"


def _button(b: Builder) -> str:
    b.action("press", "Press", "command_topic", b.cfg.text("payload_press", "PRESS"))
    return "button"


def _select(b: Builder) -> str:
    _select_like(b, "option", b.cfg.strings("options", []), ("state_topic", "value_template"),
                 ("command_topic", "command_template"))
    return "select"


def _number(b: Builder) -> str:
    cfg = b.cfg
    low, high, step = cfg.num("min", 1), cfg.num("max", 100), cfg.num("step", 1)
    integral = all(float(x).is_integer() for x in (low, high, step))
    unit = cfg.opt("unit_of_measurement")
    b.prop(PropertySpec("value", Format.INT if integral else Format.FLOAT, unit=UNITS.get(unit or "", unit),
                        range=ValueRange(low, high, step)),
           b.state("value", "state_topic", "value_template", number),
           b.command("command_topic", "command_template"))
    return "number"


def _device_trigger(b: Builder) -> str:
    cfg = b.cfg
    topic = cfg.opt("topic")
    if not topic:
        raise DiscoveryError(f"{cfg.where}: a device trigger needs a topic")
    name = kebab(f"{cfg.text('type', 'trigger')} {cfg.text('subtype', '')}")
    expected, template = cfg.opt("payload"), cfg.template("value_template")

    def fire(payload: bytes) -> str | None:
        if expected is None:
            return name
        return name if str(render_value(payload, template)) == expected else None

    b.events[name] = EventSpec(name, f"{cfg.text('type', '')} {cfg.text('subtype', '')}".strip())
    b.triggers.append((topic, fire))
    return "trigger"


BUILDERS: dict[str, Callable[[Builder], str]] = {
    "light": _light, "switch": _switch, "sensor": _sensor, "binary_sensor": _binary_sensor, "climate": _climate,
    "cover": _cover, "lock": _lock, "fan": _fan, "vacuum": _vacuum, "button": _button, "select": _select,
    "number": _number, "device_trigger": _device_trigger,
}


def _device(cfg: Config, key: str, fallback_name: str) -> DeviceInfo:
    dev = cfg.raw.get("device")
    if isinstance(dev, Mapping):
        ids = dev.get("identifiers")
        ident = ids[0] if isinstance(ids, list) and ids else ids
        if not ident and isinstance(dev.get("connections"), list) and dev["connections"]:
            ident = "_".join(str(x) for x in dev["connections"][0])
        if ident:
            return DeviceInfo(slug(str(ident)), str(dev.get("name") or fallback_name),
                              str(dev.get("manufacturer") or ""), str(dev.get("model") or ""),
                              dev.get("suggested_area") if isinstance(dev.get("suggested_area"), str) else None)
    ident = cfg.opt("unique_id") or key
    return DeviceInfo(slug(ident), fallback_name)


def _availability(cfg: Config) -> tuple[Availability, ...]:
    items: list[Availability] = []
    topic = cfg.opt("availability_topic")
    if topic:
        items.append(Availability(topic, cfg.text("payload_available", "online"),
                                  cfg.text("payload_not_available", "offline")))
    for raw in cfg.raw.get("availability") or ():
        if isinstance(raw, Mapping) and isinstance(raw.get("topic"), str):
            items.append(Availability(raw["topic"], str(raw.get("payload_available", "online")),
                                      str(raw.get("payload_not_available", "offline"))))
    return tuple(items)


def build_entity(component: str, key: str, config: Mapping[str, Any]) -> EntityPlan:
    """Translate one expanded discovery config into an EntityPlan; raises DiscoveryError."""
    builder_fn = BUILDERS.get(component)
    if builder_fn is None:
        raise DiscoveryError(f"{key}: component {component!r} is not supported")
    cfg = Config(config, key)
    try:
        b = Builder(cfg)
        service = builder_fn(b)
    except (TemplateError, KeyError, ValueError) as exc:
        raise DiscoveryError(f"{key}: {exc}") from None
    object_name = key.rsplit("/", 1)[-1].replace("_", " ")
    name = cfg.opt("name") or ""
    device = _device(cfg, key, name or object_name)
    qos = int(cfg.num("qos", 1))
    return EntityPlan(key, component, name or device.name, device, b.service(service), tuple(b.readers),
                      b.writers, b.callers, tuple(b.triggers), _availability(cfg), qos)
