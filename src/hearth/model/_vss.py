"""Import COVESA VSS JSON (vss-tools export) as a car's spec: one service whose properties are signal paths."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from hearth.errors import SpecError
from hearth.model._spec import Choice, Format, PropertySpec, ServiceSpec, Spec, ValueRange

VEHICLE_SERVICE = "vehicle"

_ACCESS = {
    "sensor": frozenset({"read", "notify"}),
    "actuator": frozenset({"read", "write", "notify"}),
    "attribute": frozenset({"read"}),
}

_UNITS = {"celsius": "celsius", "percent": "percentage", "km/h": "km/h", "m": "meters", "degrees": "arcdegrees"}


def iter_vss_leaves(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (full path, leaf) for every signal in a VSS JSON tree."""
    stack: list[tuple[str, Mapping[str, Any]]] = [(k, v) for k, v in doc.items() if isinstance(v, Mapping)]
    while stack:
        path, node = stack.pop()
        children = node.get("children")
        if isinstance(children, Mapping):
            stack.extend((f"{path}.{k}", v) for k, v in children.items() if isinstance(v, Mapping))
        elif "datatype" in node:
            yield path, node


def vss_property(path: str, leaf: Mapping[str, Any]) -> PropertySpec:
    """Build the PropertySpec of one VSS leaf."""
    kind = str(leaf.get("type", "sensor"))
    access = _ACCESS.get(kind)
    if access is None:
        raise SpecError(f"{path}: unknown VSS node type {kind!r}")
    fmt = Format.parse(str(leaf["datatype"]))
    allowed = leaf.get("allowed")
    choices = tuple(Choice(i, str(v)) for i, v in enumerate(allowed)) if allowed else ()
    rng = None
    if "min" in leaf or "max" in leaf:
        lo = float(leaf.get("min", -1e18))
        hi = float(leaf.get("max", 1e18))
        rng = ValueRange(lo, hi)
    unit = leaf.get("unit")
    return PropertySpec(
        name=path,
        format=fmt,
        access=access,
        description=str(leaf.get("description", "")),
        unit=_UNITS.get(str(unit).lower(), str(unit)) if unit else None,
        range=rng,
        choices=choices,
    )


def spec_from_vss(doc: Mapping[str, Any], only: Collection[str] | None = None, type_name: str = "car") -> Spec:
    """Build a car Spec from a VSS JSON tree, keeping only the `only` paths when given."""
    if not isinstance(doc, Mapping) or "Vehicle" not in doc:
        raise SpecError("not a VSS JSON document (no 'Vehicle' root)")
    wanted = set(only) if only is not None else None
    props: dict[str, PropertySpec] = {}
    for path, leaf in iter_vss_leaves(doc):
        if wanted is None and str(leaf.get("datatype", "")).endswith("[]"):
            continue  # array signals (e.g. seat positions lists) have no place in a hub's property model
        if wanted is None or path in wanted:
            props[path] = vss_property(path, leaf)
    if wanted is not None:
        missing = wanted - props.keys()
        if missing:
            raise SpecError(f"VSS document lacks signals: {', '.join(sorted(missing))}")
    ordered = dict(sorted(props.items()))
    service = ServiceSpec(VEHICLE_SERVICE, "Vehicle signals (COVESA VSS)", ordered)
    return Spec(type=type_name, services={VEHICLE_SERVICE: service}, description="Vehicle")
