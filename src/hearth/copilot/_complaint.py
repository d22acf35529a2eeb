"""Requests planned with a second look: complaints ("too dark", "我好冷"), covers lowered or raised without an
amount, and read-only features asked to switch ("start recording")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache

from hearth.copilot import _props as P
from hearth.copilot._frame import Frame
from hearth.copilot._index import HomeIndex
from hearth.copilot._lexicon import _load
from hearth.copilot._plan import DevicePlan, plan_device
from hearth.copilot._reply import label
from hearth.copilot._resolve import Issue, Targets, resolve_areas
from hearth.core import Command
from hearth.model import Device, Format, Value

Snapshot = Mapping[tuple[str, str, str], Value]


@dataclass(frozen=True, slots=True)
class Complaint:
    """Something uncomfortable: the property concept that fixes it, which way, and the kinds of device that can."""

    name: str
    prop: str
    direction: int
    types: tuple[str, ...]
    switch_on: bool
    level: int = 0


@cache
def complaints() -> dict[str, Complaint]:
    """The complaints the lexicon knows, by name."""
    steps = {"up": 1, "down": -1}
    return {name: Complaint(name, str(e["prop"]), steps[e["direction"]], tuple(e["types"]),
                            bool(e.get("switch_on", False)), steps.get(e.get("level", ""), 0))
            for name, e in _load("complaints").items()}


def complaint_of(frame: Frame) -> Complaint | None:
    """The complaint a clause makes, if it makes one and asks nothing."""
    if not frame.complaints or frame.question or frame.numbers:
        return None
    return complaints().get(frame.complaints[-1])


def _fits(device: Device, kind: str) -> bool:
    return device.type == kind or (kind in device.type.split("-") and device.type != "water-heater")


def _is_on(device: Device, snap: Snapshot) -> bool:
    sw = P.switch_property(device)
    return sw is not None and snap.get((device.id, sw[0], sw[1].name)) is True


def complaint_targets(index: HomeIndex, frame: Frame, complaint: Complaint, snap: Snapshot) -> Targets | Issue | None:
    """The devices that can fix a complaint: the only one there is, or the ones already on, else ask which.

    None when the clause names what it is about ("the TV is too loud"): ordinary resolution applies then.
    """
    if frame.devices or frame.cores or frame.car_parts or frame.persons:
        return None
    areas = resolve_areas(index, frame)
    if isinstance(areas, Issue):
        return areas
    home = index.home
    pool = [home.devices[d] for a in areas for d in index.by_area.get(a, ())] if areas else list(
        home.devices.values())
    found: list[Device] = []
    named = [t for group in frame.types for t in group]
    for kind in named or complaint.types:
        found = [d for d in pool if d.type == kind or (not named and _fits(d, kind))]
        if found:
            break
    if named and not found:
        return None
    if not found:
        return Issue("refused", "nothing_in_area_can", {"areas": areas}) if areas else Issue("refused", "nothing_can",
                                                                                               {})
    if len(found) == 1:
        return Targets((found[0].id,), areas, named=False)
    on = [d.id for d in found if _is_on(d, snap)]
    if areas:
        return Targets(tuple(on or [d.id for d in found]), areas, named=False)
    if len(on) == 1:
        return Targets((on[0],), areas, named=False)
    return Issue("clarify", "which_device", {"what": "device"}, tuple(d.id for d in found))


def plan_complaint(index: HomeIndex, device: Device, frame: Frame, complaint: Complaint, snap: Snapshot,
                   areas: tuple[str, ...]) -> DevicePlan | Issue:
    """Commands that ease a complaint on one device: switch it on if it is off, then move the property."""
    sw = P.switch_property(device)
    off = sw is not None and snap.get((device.id, sw[0], sw[1].name)) is False
    concept = index.lex.concepts.get(complaint.prop)
    has_prop = concept is not None and any(p.writable for _, p in P.by_concepts(device, [concept], write=True))
    if has_prop:
        result = plan_device(index, device, frame, snap, areas)
        if isinstance(result, DevicePlan) and off and complaint.switch_on and sw is not None:
            result.commands.insert(0, Command(device.id, sw[0], property=sw[1].name, value=True))
        return result
    if sw is not None and off and complaint.switch_on:
        # A fan cannot cool the air's setpoint, but switching it on is what helps.
        return DevicePlan(device.id, [Command(device.id, sw[0], property=sw[1].name, value=True)], "HassTurnOn",
                          {"property": f"{sw[0]}.{sw[1].name}", "value": True})
    level = next(((s, p) for s, p in device.spec.iter_properties() if p.writable and p.choices
                  and "level" in p.name), None)
    if level is not None and complaint.level:
        names = [c.description for c in level[1].choices if c.description.lower() != "auto"]
        current = snap.get((device.id, level[0], level[1].name))
        if isinstance(current, str) and current in names:
            value = names[min(max(names.index(current) + complaint.level, 0), len(names) - 1)]
            return DevicePlan(device.id, [Command(device.id, level[0], property=level[1].name, value=value)],
                              "HassFanSetSpeed", {"property": f"{level[0]}.{level[1].name}", "value": value})
    return plan_device(index, device, frame, snap, areas)


def full_move(frame: Frame, device: Device) -> Frame:
    """"Lower the blind" / "放下窗帘" with no amount closes it; "raise" opens it."""
    verbs = set(frame.verbs)
    if not verbs or not verbs <= {"up", "down"} or frame.numbers or frame.flags & {"bit", "lot"} or (
            set(frame.props) - {"position"}) or P.position_property(device) is None:
        return frame
    return replace(frame, verbs=["close" if verbs == {"down"} else "open"])


def read_only_feature(index: HomeIndex, device: Device, frame: Frame) -> Issue | None:
    """"Start recording" on a camera whose recording can only be read: refused, not a power switch."""
    verbs = set(frame.verbs)
    if not verbs & {"on", "off", "start", "stop"} or not frame.props or frame.numbers or frame.values:
        return None
    concepts = [index.lex.concepts[c] for c in frame.props if c in index.lex.concepts and c not in ("power", "status")]
    found = P.by_concepts(device, concepts, write=False)
    if found and not any(p.writable for _, p in found) and all(p.format is Format.BOOL for _, p in found):
        name = index.device_name(device.id, frame.lang)
        return Issue("refused", "read_only", {"device": name, "what": label(found[0][1], frame.lang)})
    return None


def plan_for(index: HomeIndex, device: Device, frame: Frame, snap: Snapshot,
             areas: tuple[str, ...]) -> DevicePlan | Issue:
    """Plan a clause on one device, with complaints, cover moves and read-only features looked at first."""
    complaint = complaint_of(frame)
    if complaint is not None:
        return plan_complaint(index, device, frame, complaint, snap, areas)
    return read_only_feature(index, device, frame) or plan_device(index, device, full_move(frame, device), snap, areas)
