"""Phones report where they are; the tracker moves the phone's location and battery and its owner's presence."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hearth.adapters.phone._payload import Fix, Message, PayloadError, Regions, Skipped, Transition
from hearth.core import Clock, Command, StateStore
from hearth.errors import AdapterError, SpecError
from hearth.model import AWAY, Device, Home, Zone, zone_at

log = logging.getLogger(__name__)

ADAPTER = "phone"
_KEYS = frozenset({"owntracks", "token"})
Status = Literal["applied", "stale", "ignored"]


@dataclass(frozen=True, slots=True)
class PhoneBinding:
    """A phone's `binding:`: `{owntracks?: "user/device", token?: "secret for its own reports"}`."""

    owntracks: str | None = None
    token: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, device: Device) -> PhoneBinding:
        """Validate a phone's binding; raises AdapterError naming the device and the field."""
        raw: Mapping[str, Any] = device.binding
        unknown = set(raw) - _KEYS
        if unknown:
            known = ", ".join(sorted(_KEYS))
            raise AdapterError(f"{device.id}: phone binding has unknown keys {sorted(unknown)} (known: {known})")
        if "location" not in device.spec.services:
            raise AdapterError(f"{device.id}: the phone adapter needs a device with a `location` service")
        who = raw.get("owntracks")
        if who is not None:
            parts = str(who).split("/")
            if len(parts) != 2 or not all(parts) or any(c in str(who) for c in "+#"):
                raise AdapterError(f"{device.id}: phone binding `owntracks` must be \"user/device\"")
        token = raw.get("token")
        if token is not None and len(str(token)) < 8:
            raise AdapterError(f"{device.id}: phone binding `token` must have at least 8 characters")
        return cls(str(who) if who is not None else None, str(token) if token is not None else None)


@dataclass(frozen=True, slots=True)
class Report:
    """What one message did: `applied`, `stale` (older than what the phone already said) or `ignored`."""

    status: Status
    device: str
    zone: str | None = None
    reason: str = ""


class PhoneTracker:
    """Adapter `phone`: the home's phones bound to it, their reports, and the people who carry them.

    A person's location, `presence.zone` and `presence.at-home` follow the latest fix of any of their phones;
    fixes less precise than `max_accuracy` metres move the phone but leave the person where they were.
    """

    name = ADAPTER

    def __init__(self, home: Home, state: StateStore, clock: Clock, *, max_accuracy: float = 2000.0) -> None:
        self.home, self._state, self._clock = home, state, clock
        self.max_accuracy = max_accuracy
        self.phones: dict[str, PhoneBinding] = {}
        self.by_owntracks: dict[str, str] = {}
        for device in home.devices.values():
            if device.adapter != ADAPTER:
                continue
            binding = PhoneBinding.parse(device)
            self.phones[device.id] = binding
            if binding.owntracks is not None:
                if binding.owntracks in self.by_owntracks:
                    raise AdapterError(f"{device.id}: OwnTracks {binding.owntracks!r} is bound twice")
                self.by_owntracks[binding.owntracks] = device.id
        self._last: dict[str, float] = {}

    def owner(self, device_id: str) -> str | None:
        """The person who carries the phone."""
        device = self.home.devices[device_id]
        if device.owner is not None:
            return device.owner
        return next((p.id for p in self.home.people.values() if device_id in p.devices), None)

    def token_matches(self, device_id: str, secret: str) -> bool:
        """Whether `secret` is the phone's own token (compared in constant time)."""
        token = self.phones[device_id].token
        return token is not None and bool(secret) and hmac.compare_digest(token.encode(), secret.encode())

    async def execute(self, command: Command, device: Device) -> None:
        """Phones only report; nothing can be sent to them."""
        raise AdapterError(f"{device.name} only reports its location; it takes no commands")

    def handle(self, device_id: str, message: Message, source: str) -> Report:
        """Apply one parsed message from a bound phone."""
        if device_id not in self.phones:
            raise AdapterError(f"{device_id!r} is not a phone bound to the phone adapter")
        if isinstance(message, Fix):
            return self.locate(device_id, message, source)
        if isinstance(message, Transition):
            return self._transition(device_id, message, source)
        if isinstance(message, Regions):
            names = ", ".join(r.name for r in message.regions) or "none"
            log.info("phone %s: knows regions %s; home zones: %s", device_id, names, ", ".join(self.home.zones))
            return Report("ignored", device_id, reason="regions noted")
        assert isinstance(message, Skipped)
        return Report("ignored", device_id, reason=f"{message.kind} messages are not used")

    def locate(self, device_id: str, fix: Fix, source: str, zone_hint: str | None = None,
               leaving: str | None = None) -> Report:
        """Move the phone and its owner to a fix; stale fixes (not newer than the last) change nothing."""
        when = fix.time if fix.time is not None else self._clock.now()
        last = self._last.get(device_id)
        if last is not None and (when < last or (when == last and zone_hint is None and leaving is None)):
            return Report("stale", device_id, reason=f"fix from {when:.0f} is not newer than {last:.0f}")
        values = self._phone_values(device_id, fix)
        self._last[device_id] = when
        for (service, prop), value in values.items():
            self._state.apply(device_id, service, prop, value, cause=source)
        person = self.owner(device_id)
        if person is None:
            return Report("applied", device_id)
        if fix.accuracy is not None and fix.accuracy > self.max_accuracy:
            return Report("applied", device_id, reason=f"accuracy {fix.accuracy:.0f} m too coarse for presence")
        zone = zone_hint or self._zone_of(fix, leaving)
        self._place(person, values, zone, device_id)
        return Report("applied", device_id, zone)

    def _transition(self, device_id: str, message: Transition, source: str) -> Report:
        zone = self.zone_named(message.region)
        if zone is None:
            return Report("ignored", device_id, reason=f"region {message.region!r} is not a zone of this home")
        if message.fix is not None:
            hint = zone.id if message.event == "enter" else None
            leaving = zone.id if message.event == "leave" else None
            return self.locate(device_id, message.fix, source, zone_hint=hint, leaving=leaving)
        last = self._last.get(device_id)
        if last is not None and message.time < last:
            return Report("stale", device_id)
        self._last[device_id] = message.time
        person = self.owner(device_id)
        if person is None:
            return Report("applied", device_id)
        current = self._state.values.get((person, "presence", "zone"))
        new = zone.id if message.event == "enter" else (AWAY if current == zone.id else current)
        if isinstance(new, str):
            self._apply_zone(person, new, device_id)
        return Report("applied", device_id, new if isinstance(new, str) else None)

    def zone_named(self, name: str) -> Zone | None:
        """The home zone an OwnTracks region names (by id, name or alias, ignoring case)."""
        wanted = name.strip().casefold()
        for zone in self.home.zones.values():
            if wanted in {zone.id.casefold(), zone.name.casefold(), *(a.casefold() for a in zone.aliases)}:
                return zone
        return None

    def _zone_of(self, fix: Fix, leaving: str | None) -> str:
        for region in fix.regions or ():
            zone = self.zone_named(region)
            if zone is not None and zone.id != leaving:
                return zone.id
        zones: Iterable[Zone] = (z for z in self.home.zones.values() if z.id != leaving)
        return zone_at(zones, fix.latitude, fix.longitude)

    def _phone_values(self, device_id: str, fix: Fix) -> dict[tuple[str, str], Any]:
        spec = self.home.devices[device_id].spec
        wanted: dict[tuple[str, str], Any] = {("location", "latitude"): fix.latitude,
                                              ("location", "longitude"): fix.longitude}
        if fix.accuracy is not None:
            wanted[("location", "accuracy")] = fix.accuracy
        if fix.battery is not None:
            wanted[("battery", "battery-level")] = fix.battery
        if fix.charging is not None:
            wanted[("battery", "charging")] = fix.charging
        values: dict[tuple[str, str], Any] = {}
        for (service, name), raw in wanted.items():
            svc = spec.services.get(service)
            if svc is None or name not in svc.properties:
                continue
            prop = svc.properties[name]
            try:
                values[(service, name)] = prop.clamp(raw) if name == "accuracy" else prop.validate(raw)
            except SpecError as exc:
                raise PayloadError(str(exc)) from None
        return values

    def _place(self, person: str, values: Mapping[tuple[str, str], Any], zone: str, cause: str) -> None:
        for key, value in values.items():
            if key[0] == "location" and (person, *key) in self._state.values:
                self._state.apply(person, key[0], key[1], value, cause=cause)
        self._apply_zone(person, zone, cause)

    def _apply_zone(self, person: str, zone: str, cause: str) -> None:
        if (person, "presence", "zone") in self._state.values:
            self._state.apply(person, "presence", "zone", zone, cause=cause)
        if (person, "presence", "at-home") in self._state.values:
            self._state.apply(person, "presence", "at-home", zone == "home", cause=cause)
