"""A cheap statistical model of many homes: one home template, a few rules, seeded random readings.

Every simulated home has the same devices (a hall motion sensor and light, a temperature sensor, an air
conditioner, a front-door sensor, plus lights and sensors up to `devices_per_home`) and the same four rules:
motion turns the hall light on and off again two minutes later (`delay`, mode restart), heat above 28 °C
turns the air conditioner on in Cool mode, below 24 °C off again, and a door open for three minutes (`for:`)
brightens the hall light. Readings are spread over simulated time so that delays and `for:` holds start,
get cancelled and fire, which is what a fleet must carry across worker failover.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from hearth.fleet._messages import Reading
from hearth.model import Value

TEMPLATE = "synthetic"
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
_CORE_DEVICES = 5

RULES_YAML = """\
rules:
  - id: motion_light
    mode: restart
    triggers:
      - {trigger: state, device: hall_motion, property: motion-sensor.motion-state, to: true}
    actions:
      - command: {device: hall_light, property: light.on, value: true}
      - delay: 2m
      - command: {device: hall_light, property: light.on, value: false}
  - id: too_hot
    triggers:
      - {trigger: numeric, device: temp_sensor, property: environment.temperature, above: 28}
    actions:
      - command: {device: living_ac, property: air-conditioner.on, value: true}
      - command: {device: living_ac, property: air-conditioner.mode, value: Cool}
  - id: cool_again
    triggers:
      - {trigger: numeric, device: temp_sensor, property: environment.temperature, below: 24}
    conditions:
      - {condition: state, device: living_ac, property: air-conditioner.on, state: true}
    actions:
      - command: {device: living_ac, property: air-conditioner.on, value: false}
  - id: door_left_open
    triggers:
      - {trigger: state, device: front_door, property: magnet-sensor.open, to: true, for: 3m}
    actions:
      - command: {device: hall_light, property: light.brightness, value: 100}
"""


def home_yaml(devices_per_home: int) -> str:
    """The home file every simulated home shares (at least five devices)."""
    lines = [
        "home: {id: synthetic, name: Synthetic home, timezone: UTC, location: {latitude: 31.23, longitude: 121.47}}",
        "areas:",
        "  - {id: hall, name: Hall}",
        "  - {id: living, name: Living room}",
        "devices:",
        "  - {id: hall_motion, name: Hall motion, area: hall, type: motion-sensor}",
        "  - {id: hall_light, name: Hall light, area: hall, type: light}",
        "  - {id: temp_sensor, name: Thermometer, area: living, type: temperature-humidity-sensor,"
        " state: {temperature: 25}}",
        "  - {id: living_ac, name: Air conditioner, area: living, type: air-conditioner}",
        "  - {id: front_door, name: Front door, area: hall, type: door-sensor}",
    ]
    for k in range(max(0, devices_per_home - _CORE_DEVICES)):
        kind = "light" if k % 2 == 0 else "temperature-humidity-sensor"
        lines.append(f"  - {{id: extra_{k}, name: Extra {k}, area: living, type: {kind}}}")
    return "\n".join(lines) + "\n"


def home_ids(homes: int, prefix: str = "h") -> list[str]:
    """The ids of `homes` simulated homes."""
    return [f"{prefix}{n:07d}" for n in range(homes)]


class SyntheticFleet:
    """Seeded readings for `homes` homes: each home reports about once per `interval` simulated seconds."""

    def __init__(self, homes: int, devices_per_home: int = 5, seed: int = 1, interval: float = 60.0,
                 prefix: str = "h") -> None:
        if homes < 1:
            raise ValueError("need at least one home")
        self.homes = home_ids(homes, prefix)
        self.devices_per_home = max(_CORE_DEVICES, devices_per_home)
        self.seed = seed
        self.interval = interval

    def warm_up(self, start: float = START) -> list[Reading]:
        """One tick per home at `start`: sent first, it makes every home hot in a worker before timing starts."""
        return [Reading(f"warm-{home}", home, start) for home in self.homes]

    def readings(self, count: int, start: float = START) -> Iterator[Reading]:
        """`count` readings in time order, then one tick per home far enough ahead to let every timer fire."""
        rng = random.Random(self.seed)
        step = self.interval / len(self.homes)
        extras = self.devices_per_home - _CORE_DEVICES
        time = start
        for n in range(count):
            time = start + n * step
            home = self.homes[rng.randrange(len(self.homes))]
            device, service, prop, value = _pick(rng, extras)
            yield Reading(f"r{n}", home, round(time, 3), device, service, prop, value)
        end = round(time + 600.0, 3)
        for home in self.homes:
            yield Reading(f"end-{home}", home, end)


def _pick(rng: random.Random, extras: int) -> tuple[str, str, str, Value]:
    roll = rng.random()
    if roll < 0.3:
        return "hall_motion", "motion-sensor", "motion-state", rng.random() < 0.5
    if roll < 0.6:
        return "temp_sensor", "environment", "temperature", round(rng.uniform(20.0, 32.0), 1)
    if roll < 0.7 or extras == 0:
        return "front_door", "magnet-sensor", "open", rng.random() < 0.5
    k = rng.randrange(extras)
    if k % 2 == 0:
        return f"extra_{k}", "light", "brightness", rng.randint(1, 100)
    return f"extra_{k}", "environment", "temperature", round(rng.uniform(18.0, 26.0), 1)
