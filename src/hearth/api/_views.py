"""JSON views of the model and core objects for the API, the WebSocket and MCP."""

from __future__ import annotations

from typing import Any

from hearth.core import AuditRecorded, Event, Notification, PerceptionDetected, RuleFired, StateChanged, StateStore
from hearth.model import Device, Home, PropertySpec, Spec


def property_view(prop: PropertySpec) -> dict[str, Any]:
    """A property's spec as JSON."""
    view: dict[str, Any] = {"format": prop.format.value, "access": sorted(prop.access)}
    if prop.unit:
        view["unit"] = prop.unit
    if prop.range is not None:
        view["range"] = {"min": prop.range.min, "max": prop.range.max, "step": prop.range.step}
    if prop.choices:
        view["choices"] = [c.description for c in prop.choices]
    if prop.description:
        view["description"] = prop.description
    return view


def spec_view(spec: Spec) -> dict[str, Any]:
    """A whole spec as JSON."""
    return {
        "type": spec.type,
        "services": {
            name: {
                "properties": {p.name: property_view(p) for p in svc.properties.values()},
                "actions": {a.name: {"inputs": list(a.inputs), "outputs": list(a.outputs)}
                            for a in svc.actions.values()},
                "events": {e.name: {"arguments": list(e.arguments)} for e in svc.events.values()},
            }
            for name, svc in spec.services.items()
        },
    }


def device_view(device: Device, state: StateStore | None = None, *, with_spec: bool = False) -> dict[str, Any]:
    """A device, optionally with its current state and spec."""
    view: dict[str, Any] = {
        "id": device.id,
        "name": device.name,
        "type": device.type,
        "area": device.area,
        "aliases": list(device.aliases),
        "owner": device.owner,
    }
    if state is not None:
        view["state"] = {
            f"{svc}.{prop.name}": state.values.get((device.id, svc, prop.name))
            for svc, prop in device.spec.iter_properties()
        }
    if with_spec:
        view["spec"] = spec_view(device.spec)
    return view


def home_view(home: Home) -> dict[str, Any]:
    """The home's structure (no device states)."""
    return {
        "id": home.id,
        "name": home.name,
        "timezone": home.timezone,
        "location": {"latitude": home.location.latitude, "longitude": home.location.longitude},
        "floors": [{"id": f.id, "name": f.name, "aliases": list(f.aliases), "level": f.level}
                   for f in home.floors.values()],
        "areas": [{"id": a.id, "name": a.name, "aliases": list(a.aliases), "floor": a.floor, "shared": a.shared}
                  for a in home.areas.values()],
        "people": [{"id": p.id, "name": p.name, "role": p.role, "devices": list(p.devices)}
                   for p in home.people.values()],
        "zones": [{"id": z.id, "name": z.name, "latitude": z.latitude, "longitude": z.longitude, "radius": z.radius}
                  for z in home.zones.values()],
    }


def audit_view(record: AuditRecorded) -> dict[str, Any]:
    """An audit record as JSON."""
    return {
        "time": record.time,
        "command_id": record.command_id,
        "actor": {"kind": record.actor.kind, "id": record.actor.id, "role": record.actor.role},
        "device": record.device,
        "service": record.service,
        "target": record.target,
        "value": record.value,
        "ok": record.ok,
        "message": record.message,
    }


def event_view(event: Event) -> dict[str, Any] | None:
    """A bus event as a WebSocket message, or None for kinds that are not streamed."""
    if isinstance(event, StateChanged):
        return {"type": "state", "time": event.time, "device": event.device, "service": event.service,
                "property": event.property, "old": event.old, "new": event.new}
    if isinstance(event, AuditRecorded):
        return {"type": "audit", **audit_view(event)}
    if isinstance(event, Notification):
        return {"type": "notification", "time": event.time, "to": list(event.to), "title": event.title,
                "message": event.message, "source": event.source}
    if isinstance(event, PerceptionDetected):
        return {"type": "perception", "time": event.time, "camera": event.camera, "kind": event.kind,
                "count": event.count, "boxes": [list(b) for b in event.boxes], "confidence": event.confidence,
                "label": event.label}
    if isinstance(event, RuleFired):
        return {"type": "rule", "time": event.time, "rule": event.rule, "run_id": event.run_id,
                "trigger": event.trigger, "outcome": event.outcome}
    return None
