"""Compiling triggers: the validated schema to frozen trigger values, checked against the home."""

from __future__ import annotations

from typing import Any

from hearth.automation import _schema_triggers as s
from hearth.automation._compiler import Compiler, Path_
from hearth.automation._cron import Cron
from hearth.automation._model import (
    CronTrigger,
    DistanceTrigger,
    EventTrigger,
    HubStartTrigger,
    MqttTrigger,
    NumericTrigger,
    PerceptionTrigger,
    StateTrigger,
    SunTrigger,
    TimeTrigger,
    Trigger,
    WebhookTrigger,
    ZoneTrigger,
)
from hearth.automation._mqtt import as_text, parse_path
from hearth.errors import RuleError, SpecError
from hearth.model import Value


def build_trigger(comp: Compiler, path: Path_, t: Any) -> Trigger:
    """Compile a validated trigger, checking its references."""
    if isinstance(t, s.StateTriggerModel | s.NumericTriggerModel):
        devices = comp.devices([*path, "device"], t.device)
        service, spec = comp.same_prop(path, devices, t.property)
        if isinstance(t, s.NumericTriggerModel):
            return NumericTrigger(devices, service, spec.name, t.above, t.below, t.for_, t.id)
        return StateTrigger(devices, service, spec.name, comp.values([*path, "from"], spec, t.from_),
                            comp.values([*path, "to"], spec, t.to), t.for_, t.id)
    if isinstance(t, s.TimeTriggerModel):
        return TimeTrigger(tuple(t.at) if isinstance(t.at, list) else (t.at,), t.id)
    if isinstance(t, s.CronTriggerModel | s.TimePatternTriggerModel):
        text = t.cron if isinstance(t, s.CronTriggerModel) else " ".join(
            "*" + str(v) if str(v).startswith("/") else str(v) for v in (t.seconds, t.minutes, t.hours)
        ) + " * * *"
        try:
            Cron.parse(text)
        except RuleError as exc:
            raise comp.fail(path, str(exc)) from None
        return CronTrigger(text, t.id)
    if isinstance(t, s.SunTriggerModel):
        return SunTrigger(t.event, t.offset, t.id)
    if isinstance(t, s.ZoneTriggerModel):
        return ZoneTrigger(comp.located([*path, "device"], t.device), comp.zone([*path, "zone"], t.zone),
                           t.event, t.id)
    if isinstance(t, s.DistanceTriggerModel):
        return DistanceTrigger(comp.located([*path, "device"], t.device), comp.zone([*path, "zone"], t.zone),
                               t.above, t.below, t.id)
    if isinstance(t, s.EventTriggerModel):
        return _event_trigger(comp, path, t)
    if isinstance(t, s.PerceptionTriggerModel):
        if t.camera is not None:
            comp.device([*path, "camera"], t.camera)
        return PerceptionTrigger(t.camera, t.kind, t.label, t.min_count, t.id)
    if isinstance(t, s.WebhookTriggerModel):
        return WebhookTrigger(t.webhook, t.id)
    if isinstance(t, s.MqttTriggerModel):
        payload = None if t.payload is None else as_text(t.payload)
        return MqttTrigger(t.topic, payload, None if t.value is None else parse_path(t.value), t.id)
    return HubStartTrigger(t.id)


def _event_trigger(comp: Compiler, path: Path_, t: s.EventTriggerModel) -> EventTrigger:
    device = comp.device([*path, "device"], t.device)
    services = [svc for svc in device.spec.services.values()
                if t.event in svc.events and (t.service is None or svc.name == t.service)]
    if not services:
        known = [f"{svc.name}.{e}" for svc in device.spec.services.values() for e in svc.events]
        has = ", ".join(known) or "none"
        raise comp.fail([*path, "event"], f"{device.id} has no event {t.event!r} (has: {has})")
    svc = services[0]
    args: dict[str, Value] = {}
    for name, value in t.arguments.items():
        if name not in svc.events[t.event].arguments:
            raise comp.fail([*path, "arguments", name], f"event {t.event} has no argument {name!r}")
        try:
            args[name] = svc.properties[name].validate(value)
        except SpecError as exc:
            raise comp.fail([*path, "arguments", name], str(exc)) from None
    return EventTrigger(device.id, t.event, t.service, args, t.id)
