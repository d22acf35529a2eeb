"""Where a device's MIoT spec comes from, and how Hearth names map to MIoT iids and vendor values."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hearth.errors import AdapterError, SpecError
from hearth.model import Format, PropertySpec, Spec, Value, spec_from_miot

log = logging.getLogger(__name__)

CACHE_ENV = "HEARTH_MIOT_CACHE"


def default_cache_dir() -> Path:
    """The local folder of MIoT instance files, one `<model>.json` each (`$HEARTH_MIOT_CACHE` overrides)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hearth" / "miot"


def _fmt(prop: PropertySpec) -> str:
    if prop.format is Format.INT:
        return "uint8" if prop.choices else "int32"
    return prop.format.value


def miot_instance(spec: Spec, model: str = "hearth.generic.v1") -> dict[str, Any]:
    """Export a Hearth spec as a MIoT instance document; iids already in the spec are kept, others numbered."""
    vendor = model.split(".")[0]
    services: list[dict[str, Any]] = [{
        "iid": 1, "type": f"urn:miot-spec-v2:service:device-information:00007801:{vendor}:1",
        "description": "Device Information",
        "properties": [
            {"iid": 1, "type": "urn:miot-spec-v2:property:manufacturer:00000001:hearth:1", "description":
             "Device Manufacturer", "format": "string", "access": ["read"]},
            {"iid": 2, "type": "urn:miot-spec-v2:property:model:00000002:hearth:1", "description": "Device Model",
             "format": "string", "access": ["read"]},
        ],
    }] if "device-information" not in spec.services else []
    for siid, svc in enumerate(spec.services.values(), start=2):
        piids: dict[str, int] = {}
        props = []
        for piid, prop in enumerate(svc.properties.values(), start=1):
            piids[prop.name] = prop.iid or piid
            raw: dict[str, Any] = {
                "iid": piids[prop.name], "type": f"urn:miot-spec-v2:property:{prop.name}:00000000:{vendor}:1",
                "description": prop.description or prop.name, "format": _fmt(prop), "access": sorted(prop.access),
            }
            if prop.unit:
                raw["unit"] = prop.unit
            if prop.range is not None:
                raw["value-range"] = [prop.range.min, prop.range.max, prop.range.step or 1]
            if prop.choices:
                raw["value-list"] = [{"value": c.value, "description": c.description} for c in prop.choices]
            props.append(raw)
        actions = [{"iid": act.iid or aiid, "type": f"urn:miot-spec-v2:action:{act.name}:00000000:{vendor}:1",
                    "description": act.description or act.name, "in": [piids[n] for n in act.inputs],
                    "out": [piids[n] for n in act.outputs]}
                   for aiid, act in enumerate(svc.actions.values(), start=1)]
        events = [{"iid": ev.iid or eiid, "type": f"urn:miot-spec-v2:event:{ev.name}:00000000:{vendor}:1",
                   "description": ev.description or ev.name, "arguments": [piids[n] for n in ev.arguments]}
                  for eiid, ev in enumerate(svc.events.values(), start=1)]
        services.append({"iid": svc.iid or siid, "type": f"urn:miot-spec-v2:service:{svc.name}:00000000:{vendor}:1",
                         "description": svc.description or svc.name, "properties": props, "actions": actions,
                         "events": events})
    return {"type": f"urn:miot-spec-v2:device:{spec.type}:00000000:{vendor}:1",
            "description": spec.description or spec.type, "services": services}


def load_miot_file(path: str | Path) -> Spec:
    """Read a MIoT instance JSON file into a Spec; raises SpecError naming the file."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{p}: cannot read MIoT spec ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"{p}: not JSON ({exc.msg} at line {exc.lineno})") from None
    try:
        return spec_from_miot(doc)
    except SpecError as exc:
        raise SpecError(f"{p}: {exc}") from None


def vendor_spec(binding: Mapping[str, Any], device_spec: Spec, cache_dir: Path | None = None) -> Spec:
    """Find the device's MIoT spec: the binding's `spec` file, the cache by `model`, or the catalog layout."""
    path = binding.get("spec")
    if path:
        return load_miot_file(str(path))
    model = binding.get("model")
    if model:
        cached = (cache_dir or default_cache_dir()) / f"{model}.json"
        if cached.is_file():
            return load_miot_file(cached)
    if any(p.iid is not None for _, p in device_spec.iter_properties()):
        return device_spec
    # Offline default: the catalog type numbered the way `miot_instance` (and the simulator) lay it out.
    return spec_from_miot(miot_instance(device_spec))


@dataclass(frozen=True, slots=True)
class PropertyAddress:
    """Where a Hearth property lives on the device, with both sides' specs for value conversion."""

    service: str
    name: str
    siid: int
    piid: int
    hearth: PropertySpec
    vendor: PropertySpec


@dataclass(frozen=True, slots=True)
class ActionAddress:
    """Where a Hearth action lives on the device; inputs are (Hearth name, piid) in order."""

    service: str
    name: str
    siid: int
    aiid: int
    inputs: tuple[tuple[str, PropertyAddress], ...]


@dataclass(frozen=True, slots=True)
class EventAddress:
    """A device event: its Hearth name and its arguments by piid."""

    service: str
    name: str
    arguments: Mapping[int, PropertyAddress]


class MiotMapping:
    """Maps a Hearth device's (service, property/action) to MIoT iids by name, and values both ways."""

    def __init__(self, hearth: Spec, vendor: Spec) -> None:
        self.properties: dict[tuple[str, str], PropertyAddress] = {}
        self.by_iid: dict[tuple[int, int], PropertyAddress] = {}
        self.actions: dict[tuple[str, str], ActionAddress] = {}
        self.events: dict[tuple[int, int], EventAddress] = {}
        self.missing: list[str] = []
        for svc_name, svc in hearth.services.items():
            v_svc = vendor.services.get(svc_name)
            if v_svc is None or v_svc.iid is None:
                self.missing.extend(f"{svc_name}.{p}" for p in svc.properties)
                continue
            for prop in svc.properties.values():
                v_prop = v_svc.properties.get(prop.name)
                if v_prop is None or v_prop.iid is None:
                    self.missing.append(f"{svc_name}.{prop.name}")
                    continue
                addr = PropertyAddress(svc_name, prop.name, v_svc.iid, v_prop.iid, prop, v_prop)
                self.properties[(svc_name, prop.name)] = addr
                self.by_iid[(v_svc.iid, v_prop.iid)] = addr
            for act in svc.actions.values():
                v_act = v_svc.actions.get(act.name)
                if v_act is None or v_act.iid is None or any((svc_name, n) not in self.properties
                                                             for n in act.inputs):
                    self.missing.append(f"{svc_name}.{act.name}()")
                    continue
                inputs = tuple((n, self.properties[(svc_name, n)]) for n in act.inputs)
                self.actions[(svc_name, act.name)] = ActionAddress(svc_name, act.name, v_svc.iid, v_act.iid, inputs)
            for ev in svc.events.values():
                v_ev = v_svc.events.get(ev.name)
                if v_ev is None or v_ev.iid is None:
                    continue
                args = {a.piid: a for n in ev.arguments if (a := self.properties.get((svc_name, n))) is not None}
                self.events[(v_svc.iid, v_ev.iid)] = EventAddress(svc_name, ev.name, args)

    def property(self, service: str, name: str) -> PropertyAddress:
        """The address of a property, or AdapterError when the device's spec lacks it."""
        try:
            return self.properties[(service, name)]
        except KeyError:
            raise AdapterError(f"{service}.{name} is not in this device's MIoT spec") from None

    def action(self, service: str, name: str) -> ActionAddress:
        """The address of an action, or AdapterError when the device's spec lacks it."""
        try:
            return self.actions[(service, name)]
        except KeyError:
            raise AdapterError(f"action {service}.{name} is not in this device's MIoT spec") from None

    def readable(self) -> list[PropertyAddress]:
        """Every mapped property the device lets us read."""
        return [a for a in self.properties.values() if a.vendor.readable]


def to_vendor(addr: PropertyAddress, value: Value) -> Value:
    """Turn a canonical Hearth value into what the device expects (value-lists by description → number)."""
    if addr.vendor.choices:
        return addr.vendor.choice(value).value
    if addr.vendor.format is Format.BOOL:
        return bool(value)
    return value


def from_vendor(addr: PropertyAddress, raw: Any) -> Value:
    """Turn a device's value into Hearth's canonical value; raises SpecError when it does not fit."""
    if addr.vendor.choices:
        description = addr.vendor.choice(raw).description
        return addr.hearth.validate(description)
    if addr.hearth.range is not None and isinstance(raw, int | float) and not isinstance(raw, bool):
        # Devices report readings slightly outside the declared range; keep the reading, not an error.
        return addr.hearth.clamp(raw)
    return addr.hearth.validate(raw)
