"""Home Assistant's sentence templates (hassil + home-assistant-intents) as a second reader of requests.

The templates are matched with slot lists built from the home's own names and aliases (devices, areas, floors),
once per home. A match is said back as a plain command in Hearth's own words ("turn on the Kitchen light") and
planned by the ordinary planner, so a command from either reader is validated the same way.

Cost: a match takes a few milliseconds on a small home and grows with the number of names, so the reader is used
only where it can help (the slot-filling reader understood nothing) and only on homes of up to `MAX_DEVICES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from hearth.copilot._text import Lang
from hearth.model import Home

MAX_DEVICES = 300
LANGUAGES = {"en": "en", "zh": "zh-CN"}
# Home Assistant domains for Hearth's device types (the templates use them as required context).
_DOMAINS = {"light": "light", "air-conditioner": "climate", "heater": "climate", "curtain": "cover",
            "garage-door": "cover", "window-opener": "cover", "lock": "lock", "fan": "fan", "vacuum": "vacuum",
            "television": "media_player", "speaker": "media_player", "switch": "switch", "outlet": "switch",
            "water-heater": "water_heater", "temperature-humidity-sensor": "sensor"}
_OUT_OF_SCOPE = frozenset({"HassGetWeather", "HassGetCurrentTime", "HassGetCurrentDate", "HassStartTimer",
                           "HassCancelTimer", "HassCancelAllTimers", "HassTimerStatus", "HassShoppingListAddItem",
                           "HassListAddItem", "HassBroadcast", "HassNevermind", "HassRespond"})


@dataclass(frozen=True, slots=True)
class HassilMatch:
    """A template match: the Home Assistant intent and its resolved slots (device, area and floor ids, values)."""

    intent: str
    slots: Mapping[str, Any]

    @property
    def out_of_scope(self) -> bool:
        """Whether the intent is not about the home's devices (weather, timers, lists)."""
        return self.intent in _OUT_OF_SCOPE


@cache
def _intents(language: str) -> Any:
    import home_assistant_intents
    from hassil import Intents

    data = home_assistant_intents.get_intents(language)
    if data is None:
        raise LookupError(f"home-assistant-intents has no sentences for {language}")
    return Intents.from_dict(data)


class HassilReader:
    """Matches one home's requests against the Home Assistant templates; built lazily, once."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.enabled = len(home.devices) <= MAX_DEVICES
        self._lists: dict[str, Any] | None = None

    def _slot_lists(self) -> dict[str, Any]:
        if self._lists is None:
            from hassil import TextSlotList

            home = self.home
            names = [(n, d.id, {"domain": _DOMAINS.get(d.type, d.type)}) for d in home.devices.values()
                     if d.type not in ("person", "phone", "watch") for n in (d.name, *d.aliases)]
            areas = [(n, a.id) for a in home.areas.values() for n in (a.name, *a.aliases)]
            floors = [(n, f.id) for f in home.floors.values() for n in (f.name, *f.aliases)]
            self._lists = {"name": TextSlotList.from_tuples(names), "area": TextSlotList.from_tuples(areas),
                           "floor": TextSlotList.from_tuples(floors)}
        return self._lists

    def match(self, text: str, lang: Lang) -> HassilMatch | None:
        """The best template match with every slot resolved, or None."""
        if not self.enabled:
            return None
        from hassil import recognize

        result = recognize(text, _intents(LANGUAGES[lang]), slot_lists=self._slot_lists())
        if result is None:
            return None
        slots = {k: v.value for k, v in result.entities.items()}
        return HassilMatch(result.intent.name, slots)

    def paraphrase(self, found: HassilMatch, lang: Lang) -> str | None:
        """The match said as a plain English command the planner reads, or None for intents it doesn't cover."""
        home = self.home
        target = self._target(found.slots)
        if target is None:
            return None
        intent, slots = found.intent, found.slots
        domain = _DOMAINS.get(home.devices[slots["name"]].type) if slots.get("name") in home.devices else \
            slots.get("domain")
        if intent in ("HassTurnOn", "HassTurnOff"):
            on = intent == "HassTurnOn"
            verb = {"lock": ("lock", "unlock"), "cover": ("open", "close")}.get(str(domain), ("turn on", "turn off"))
            return f"{verb[0] if on else verb[1]} {target}"
        if intent == "HassLightSet" and "brightness" in slots:
            return f"set {target} brightness to {slots['brightness']:g}%"
        if intent == "HassClimateSetTemperature" and "temperature" in slots:
            return f"set {target} temperature to {float(slots['temperature']):g} degrees"
        if intent == "HassSetPosition" and "position" in slots:
            return f"set {target} position to {slots['position']:g}%"
        if intent == "HassVacuumStart":
            return f"start {target}"
        if intent in ("HassMediaPause", "HassMediaUnpause"):
            return f"{'pause' if intent == 'HassMediaPause' else 'play'} {target}"
        if intent == "HassGetState":
            return f"what is the state of {target}?"
        return None

    def _target(self, slots: Mapping[str, Any]) -> str | None:
        home = self.home
        if "name" in slots and slots["name"] in home.devices:
            return f"the {home.devices[slots['name']].name}"
        where = ""
        if "area" in slots and slots["area"] in home.areas:
            where = f" in the {home.areas[slots['area']].name}"
        elif "floor" in slots and slots["floor"] in home.floors:
            where = f" on the {home.floors[slots['floor']].name}"
        domain = slots.get("domain")
        kinds = [t for t, d in _DOMAINS.items() if d == domain and any(x.type == t for x in home.devices.values())]
        if len(kinds) == 1 and (where or domain):
            return f"all the {kinds[0].replace('-', ' ')}s{where}"
        return None
