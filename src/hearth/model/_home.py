"""The home file: floors, areas, people, zones, custom types and devices, loaded all-or-nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hearth.errors import HomeFileError, SpecError
from hearth.model._catalog import DeviceType, device_type, initial_value
from hearth.model._inline import inline_type
from hearth.model._spec import Spec, Value
from hearth.model._yaml import compose_yaml, load_yaml

Role = Literal["admin", "adult", "child", "guest"]


@dataclass(frozen=True, slots=True)
class Floor:
    """A floor of the home."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    level: int = 0


@dataclass(frozen=True, slots=True)
class Area:
    """A room or outdoor area."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    floor: str | None = None
    shared: bool = True


@dataclass(frozen=True, slots=True)
class Person:
    """A member of the household; also a device of type `person`."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    role: Role = "adult"
    devices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Zone:
    """A circle on the map; `home` is always one."""

    id: str
    name: str
    latitude: float
    longitude: float
    radius: float = 100.0
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Device:
    """A device in the home with its spec and initial state."""

    id: str
    name: str
    type: str
    spec: Spec
    area: str | None = None
    aliases: tuple[str, ...] = ()
    initial: Mapping[tuple[str, str], Value] = field(default_factory=dict)
    adapter: str = "simulator"
    binding: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None
    shared: bool = True


@dataclass(frozen=True, slots=True)
class Permission:
    """A per-device rule on top of roles: who (roles/people), on what (devices/areas/types), denied what.

    `deny` holds `see` (hidden), `control` (every command) or `service.property` / `service.action` names.
    """

    deny: frozenset[str]
    roles: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()

    def applies(self, person: str, role: str, device: Device) -> bool:
        """Whether this entry covers this actor and device (empty who/what lists match everyone/everything)."""
        who = (not self.roles and not self.people) or role in self.roles or person in self.people
        what = (not self.devices and not self.areas and not self.types) or device.id in self.devices or (
            device.area in self.areas) or device.type in self.types
        return who and what


@dataclass(frozen=True, slots=True)
class Location:
    """Where the home is, for the sun and the home zone."""

    latitude: float = 31.2304
    longitude: float = 121.4737
    elevation: float = 0.0


@dataclass(frozen=True, slots=True)
class Home:
    """A whole household, validated."""

    id: str
    name: str
    location: Location
    timezone: str
    floors: Mapping[str, Floor]
    areas: Mapping[str, Area]
    people: Mapping[str, Person]
    zones: Mapping[str, Zone]
    devices: Mapping[str, Device]
    types: Mapping[str, DeviceType] = field(default_factory=dict)
    source: str = "<memory>"
    permissions: tuple[Permission, ...] = ()
    _initial: dict[tuple[str, str, str], Value] | None = field(default=None, init=False, repr=False, compare=False)

    def denied(self, person: str, role: str, device: Device) -> frozenset[str]:
        """Everything the permissions section denies this actor on this device."""
        denied: set[str] = set()
        for entry in self.permissions:
            if entry.applies(person, role, device):
                denied |= entry.deny
        return frozenset(denied)

    def device(self, device_id: str) -> Device:
        """Return a device or raise SpecError."""
        try:
            return self.devices[device_id]
        except KeyError:
            raise SpecError(f"no device {device_id!r} in this home") from None

    def devices_in(self, area: str) -> list[Device]:
        """Devices located in an area."""
        return [d for d in self.devices.values() if d.area == area]

    def initial_state(self) -> dict[tuple[str, str, str], Value]:
        """Every property's starting value, keyed by (device, service, property) (a fresh dict each call)."""
        cached = self._initial
        if cached is None:  # computed once: a fleet worker starts thousands of homes from one template
            cached = {}
            for dev in self.devices.values():
                for svc, prop in dev.spec.iter_properties():
                    key = (svc, prop.name)
                    cached[(dev.id, svc, prop.name)] = dev.initial.get(key, initial_value(prop))
            object.__setattr__(self, "_initial", cached)
        return dict(cached)


# ---- raw schema (pydantic, boundary only) ----


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Strict):
    id: str = Field(min_length=1, pattern=r"^[^\s/]+$")
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)


class _Floor(_Named):
    level: int = 0


class _Area(_Named):
    floor: str | None = None
    shared: bool = True


class _Person(_Named):
    role: Role = "adult"
    devices: list[str] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)


class _Zone(_Named):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius: float = Field(default=100.0, gt=0)


class _Device(_Named):
    type: str
    area: str | None = None
    state: dict[str, Any] = Field(default_factory=dict)
    adapter: str = "simulator"
    binding: dict[str, Any] = Field(default_factory=dict)
    owner: str | None = None
    shared: bool = True


class _Location(_Strict):
    latitude: float = Field(default=31.2304, ge=-90, le=90)
    longitude: float = Field(default=121.4737, ge=-180, le=180)
    elevation: float = 0.0


class _HomeInfo(_Strict):
    id: str = "home"
    name: str = "Home"
    location: _Location = Field(default_factory=_Location)
    timezone: str = "UTC"
    home_radius: float = Field(default=150.0, gt=0)


class _Permission(_Strict):
    roles: list[Role] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list)
    areas: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    deny: list[str] = Field(min_length=1)


class _HomeFile(_Strict):
    home: _HomeInfo = Field(default_factory=_HomeInfo)
    floors: list[_Floor] = Field(default_factory=list)
    areas: list[_Area] = Field(default_factory=list)
    people: list[_Person] = Field(default_factory=list)
    zones: list[_Zone] = Field(default_factory=list)
    types: dict[str, dict[str, Any]] = Field(default_factory=dict)
    devices: list[_Device] = Field(default_factory=list)
    permissions: list[_Permission] = Field(default_factory=list)


# ---- loading ----


def _line_of(root: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:
                if getattr(key, "value", None) == str(step):
                    found, line = value, key.start_mark.line + 1
                    break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
        if node is None:
            break
    return line


class _Loader:
    """Turns raw YAML into a Home, tracking where each error is in the file."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        try:
            self.root = compose_yaml(text)
            self.data = load_yaml(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{source}:{mark.line + 1}" if mark else source
            raise HomeFileError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
        if not isinstance(self.data, dict):
            raise HomeFileError(f"{source}:1: the home file must be a mapping with home/areas/devices")

    def fail(self, path: Sequence[str | int], message: str) -> HomeFileError:
        line = _line_of(self.root, path)
        field_name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        where = f"{self.source}:{line}" if line else self.source
        return HomeFileError(f"{where}: {field_name or 'file'}: {message}")

    def load(self) -> Home:
        try:
            raw = _HomeFile.model_validate(self.data)
        except ValidationError as exc:
            err = exc.errors()[0]
            path = [p for p in err["loc"] if isinstance(p, str | int)]
            raise self.fail(path, _explain(err)) from None
        types = self._types(raw)
        floors = self._unique("floors", [Floor(f.id, f.name or f.id, tuple(f.aliases), f.level) for f in raw.floors])
        areas = self._unique(
            "areas", [Area(a.id, a.name or a.id, tuple(a.aliases), a.floor, a.shared) for a in raw.areas]
        )
        for i, area in enumerate(raw.areas):
            if area.floor is not None and area.floor not in floors:
                raise self.fail(["areas", i, "floor"], f"unknown floor {area.floor!r}")
        people = self._unique(
            "people",
            [Person(p.id, p.name or p.id, tuple(p.aliases), p.role, tuple(p.devices)) for p in raw.people],
        )
        home_zone = Zone("home", raw.home.name, raw.home.location.latitude, raw.home.location.longitude,
                         raw.home.home_radius, ("home", "家"))
        zones = {"home": home_zone, **self._unique("zones", [
            Zone(z.id, z.name or z.id, z.latitude, z.longitude, z.radius, tuple(z.aliases)) for z in raw.zones
        ])}
        devices = self._devices(raw, types, areas, people)
        for i, person in enumerate(raw.people):
            for dev_id in person.devices:
                if dev_id not in devices:
                    raise self.fail(["people", i, "devices"], f"unknown device {dev_id!r}")
        permissions = self._permissions(raw, devices, areas, people)
        info = raw.home
        return Home(
            id=info.id, name=info.name,
            location=Location(info.location.latitude, info.location.longitude, info.location.elevation),
            timezone=self._timezone(info.timezone), floors=floors, areas=areas, people=people, zones=zones,
            devices=devices, types=types, source=self.source, permissions=permissions,
        )

    def _permissions(
        self, raw: _HomeFile, devices: Mapping[str, Device], areas: Mapping[str, Area], people: Mapping[str, Person]
    ) -> tuple[Permission, ...]:
        result = []
        for i, entry in enumerate(raw.permissions):
            for name, known in (("people", people), ("devices", devices), ("areas", areas)):
                unknown = [x for x in getattr(entry, name) if x not in known]
                if unknown:
                    raise self.fail(["permissions", i, name], f"unknown {name[:-1]} {unknown[0]!r}")
            for word in entry.deny:
                if word not in ("see", "control") and "." not in word:
                    raise self.fail(["permissions", i, "deny"],
                                    f"{word!r}: expected see, control or service.property / service.action")
            result.append(Permission(frozenset(entry.deny), frozenset(entry.roles), frozenset(entry.people),
                                     frozenset(entry.devices), frozenset(entry.areas), frozenset(entry.types)))
        return tuple(result)

    def _timezone(self, name: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(["home", "timezone"], f"unknown time zone {name!r} (e.g. Asia/Shanghai)") from None
        return name

    def _unique(self, section: str, items: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for i, item in enumerate(items):
            if item.id in result:
                raise self.fail([section, i, "id"], f"duplicate id {item.id!r}")
            result[item.id] = item
        return result

    def _types(self, raw: _HomeFile) -> dict[str, DeviceType]:
        types: dict[str, DeviceType] = {}
        for name, body in raw.types.items():
            try:
                types[name] = inline_type(name, body)
            except SpecError as exc:
                raise self.fail(["types", name], str(exc)) from None
        return types

    def _devices(
        self, raw: _HomeFile, types: Mapping[str, DeviceType], areas: Mapping[str, Area], people: Mapping[str, Person]
    ) -> dict[str, Device]:
        devices: dict[str, Device] = {}
        for i, person in enumerate(raw.people):
            devices[person.id] = self._device(
                ["people", i], person.id, person.name or person.id, "person", None, person.aliases, person.state,
                types, owner=person.id,
            )
        for i, dev in enumerate(raw.devices):
            if dev.id in devices:
                raise self.fail(["devices", i, "id"], f"duplicate id {dev.id!r} (people are devices too)")
            if dev.area is not None and dev.area not in areas:
                raise self.fail(["devices", i, "area"], f"unknown area {dev.area!r} (areas: {', '.join(areas)})")
            if dev.owner is not None and dev.owner not in people:
                raise self.fail(["devices", i, "owner"], f"unknown person {dev.owner!r}")
            devices[dev.id] = self._device(
                ["devices", i], dev.id, dev.name or dev.id, dev.type, dev.area, dev.aliases, dev.state, types,
                adapter=dev.adapter, binding=dev.binding, owner=dev.owner, shared=dev.shared,
            )
        return devices

    def _device(
        self,
        path: list[str | int],
        dev_id: str,
        name: str,
        type_name: str,
        area: str | None,
        aliases: list[str],
        state: Mapping[str, Any],
        types: Mapping[str, DeviceType],
        **extra: Any,
    ) -> Device:
        try:
            dtype = device_type(type_name, types)
        except SpecError as exc:
            raise self.fail([*path, "type"], str(exc)) from None
        initial = dict(dtype.defaults)
        for key, value in state.items():
            try:
                service, prop = dtype.spec.find(str(key))
                initial[(service, prop.name)] = prop.validate(value)
            except SpecError as exc:
                raise self.fail([*path, "state", str(key)], str(exc)) from None
        return Device(dev_id, name, type_name, dtype.spec, area, tuple(aliases), initial, **extra)


def _explain(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    return str(err.get("msg", "invalid value"))


def load_home(path: str | Path) -> Home:
    """Load and validate a home file; raises HomeFileError naming file, line and field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise HomeFileError(f"{p}: cannot read ({exc.strerror})") from None
    return _Loader(text, str(p)).load()


def parse_home(text: str, source: str = "<home>") -> Home:
    """Validate a home file given as text."""
    return _Loader(text, source).load()
