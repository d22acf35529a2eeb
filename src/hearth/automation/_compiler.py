"""The shared part of compiling rules: errors that name file, line, rule and field, and references to the
home (devices, properties, values, zones) checked as they are read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hearth.automation._geo import location_keys
from hearth.automation._model import Scene
from hearth.errors import RuleError, SpecError
from hearth.model import Device, Home, PropertySpec, Value, builtin_types

Path_ = list[str | int]
M = TypeVar("M", bound=BaseModel)


def locate(root: yaml.Node | None, path: Sequence[str | int]) -> tuple[int | None, list[str | int]]:
    """The line of a data path in a YAML node tree, and the path steps that exist in the file."""
    node, line, kept = root, (root.start_mark.line + 1 if root is not None else None), []
    for i, step in enumerate(path):
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(step)), None)
            if hit is None:
                if i == len(path) - 1:
                    kept.append(step)  # a field that is missing from the file: still name it
                continue  # a schema-only step (a union tag): skip it
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            continue
        kept.append(step)
    return line, kept


def dotted(path: Sequence[str | int]) -> str:
    """['triggers', 0, 'for'] → 'triggers[0].for'."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def explain(err: Mapping[str, Any]) -> str:
    """A pydantic error in plain words."""
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    message = str(err.get("msg", "invalid value"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


class Compiler:
    """What every part of compiling a rule shares: the home, where errors point, scenes and references."""

    def __init__(self, home: Home, source: str, root: yaml.Node | None) -> None:
        self.home, self.source, self.root = home, source, root
        self.scenes: dict[str, Scene] = {}
        self.rule_id = ""
        self.prefix: Path_ = []
        self.types = {d.type for d in home.devices.values()} | set(builtin_types()) | set(home.types)

    def fail(self, path: Path_, message: str) -> RuleError:
        """An error naming file, line, rule and field."""
        full = [*self.prefix, *path]
        line, kept = locate(self.root, full)
        where = f"{self.source}:{line}" if line else self.source
        rule = f" rule {self.rule_id!r}:" if self.rule_id else ""
        field = dotted(kept[2:] if self.rule_id else kept)
        return RuleError(f"{where}:{rule} {field or 'file'}: {message}")

    def validate(self, model: type[M], item: Any) -> M:
        """Validate one item against its schema, with the error located in the file."""
        try:
            return model.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise self.fail([p for p in err["loc"] if isinstance(p, str | int)], explain(err)) from None


    def device(self, path: Path_, device_id: str) -> Device:
        """A device of the home, or an error naming the field."""
        device = self.home.devices.get(device_id)
        if device is None:
            raise self.fail(path, f"unknown device {device_id!r} (see 'hearth devices')")
        return device

    def devices(self, path: Path_, ids: str | list[str]) -> tuple[str, ...]:
        """One or more devices of the home (at least one)."""
        items = [ids] if isinstance(ids, str) else ids
        if not items:
            raise self.fail(path, "name at least one device")
        return tuple(self.device(path, d).id for d in items)

    def prop(self, path: Path_, device: Device, name: str) -> tuple[str, PropertySpec]:
        """A property of a device by name (`service.property` or a unique bare name)."""
        try:
            return device.spec.find(name)
        except SpecError as exc:
            raise self.fail(path, f"{device.id}: {exc}") from None

    def same_prop(self, path: Path_, devices: tuple[str, ...], name: str) -> tuple[str, PropertySpec]:
        """A property every listed device has; its service and spec on the first."""
        found = [self.prop([*path, "property"], self.home.devices[d], name) for d in devices]
        return found[0]

    def values(self, path: Path_, spec: PropertySpec, raw: Any) -> frozenset[Value] | None:
        """Values checked against a property spec (None stays None)."""
        if raw is None:
            return None
        try:
            return frozenset(spec.validate(v) for v in (raw if isinstance(raw, list) else [raw]))
        except SpecError as exc:
            raise self.fail(path, str(exc)) from None

    def zone(self, path: Path_, zone_id: str) -> str:
        """A zone of the home."""
        if zone_id not in self.home.zones:
            raise self.fail(path, f"unknown zone {zone_id!r} (zones: {', '.join(self.home.zones)})")
        return zone_id

    def located(self, path: Path_, ids: str | list[str]) -> tuple[str, ...]:
        """Devices that have a location (people, phones, cars)."""
        devices = self.devices(path, ids)
        for d in devices:
            try:
                location_keys(self.home.devices[d])
            except RuleError as exc:
                raise self.fail(path, str(exc)) from None
        return devices
