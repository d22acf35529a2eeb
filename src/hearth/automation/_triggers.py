"""Triggers attached to the wiring and the clock: `attach` wires one trigger and returns its undo, and
`trigger_vars` says what a run sees as `trigger`. Families live beside this module: `for:` holds in `_hold`,
moments (time, cron, sun) in `_timed`, MQTT topics in `_mqtt`; the shared indexes are in `_wiring`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from hearth.automation._conditions import in_range
from hearth.automation._geo import location_keys, zone_distance
from hearth.automation._hold import Holds, HoldWatch
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
from hearth.automation._mqtt import MISSING, as_text, mqtt_listener, read_value
from hearth.automation._timed import attach_timed
from hearth.automation._wiring import Attached, Fire, Remove, StateKey, Wiring
from hearth.core import DeviceEvent, HubStarted, MqttMessage, PerceptionDetected, StateChanged, WebhookReceived
from hearth.model import Value

__all__ = ["Attached", "Fire", "Holds", "Wiring", "attach", "trigger_vars"]


def attach(trigger: Trigger, index: int, wiring: Wiring, fire: Fire, holds: Holds | None = None) -> Attached:
    """Wire one trigger; `fire(index, payload)` is called each time it fires."""
    ctx = wiring.ctx
    if isinstance(trigger, StateTrigger | NumericTrigger):
        if trigger.hold:
            return HoldWatch(trigger, index, wiring, fire, holds).attached()
        return Attached(_state_listeners(trigger, index, wiring, fire))
    if isinstance(trigger, ZoneTrigger | DistanceTrigger):
        return Attached(_place_listeners(trigger, index, wiring, fire))
    if isinstance(trigger, TimeTrigger | CronTrigger | SunTrigger):
        return Attached([attach_timed(trigger, index, ctx, fire)])
    if isinstance(trigger, EventTrigger):
        return Attached([wiring.on_event(DeviceEvent, trigger.device, partial(_device_event, trigger, index, fire))])
    if isinstance(trigger, PerceptionTrigger):
        return Attached([wiring.on_event(PerceptionDetected, "", partial(_perception, trigger, index, fire))])
    if isinstance(trigger, WebhookTrigger):
        return Attached([wiring.on_event(WebhookReceived, trigger.webhook, partial(fire, index))])
    if isinstance(trigger, MqttTrigger):
        return Attached([wiring.on_mqtt(trigger.topic, mqtt_listener(trigger, index, fire))])
    assert isinstance(trigger, HubStartTrigger)
    return Attached([wiring.on_event(HubStarted, "", partial(fire, index))])


def _state_listeners(trigger: StateTrigger | NumericTrigger, index: int, wiring: Wiring, fire: Fire) -> list[Remove]:
    removers: list[Remove] = []
    for device in trigger.devices:
        key = (device, trigger.service, trigger.property)
        if isinstance(trigger, NumericTrigger):
            above, below = trigger.above, trigger.below

            def crossed(ev: StateChanged, above: float | None = above, below: float | None = below) -> None:
                if in_range(ev.new, above, below) and not in_range(ev.old, above, below):
                    fire(index, ev)

            removers.append(wiring.on_state(key, crossed))
            continue
        from_ = trigger.from_
        listener: Callable[[StateChanged], None]
        if from_ is None:
            listener = partial(fire, index)
        else:
            def listener(ev: StateChanged, from_: frozenset[Value] = from_) -> None:
                if ev.old in from_:
                    fire(index, ev)
        if trigger.to is None:
            removers.append(wiring.on_state(key, listener))
        else:
            removers.extend(wiring.on_state(key, listener, value) for value in trigger.to)
    return removers


def _place_listeners(trigger: ZoneTrigger | DistanceTrigger, index: int, wiring: Wiring, fire: Fire) -> list[Remove]:
    ctx = wiring.ctx
    zone = ctx.home.zones[trigger.zone]
    values = ctx.state.values
    removers: list[Remove] = []
    for device in trigger.devices:
        keys = location_keys(ctx.home.devices[device])

        def inside(keys: tuple[StateKey, StateKey] = keys) -> tuple[bool, float | None]:
            km = zone_distance(values, keys, zone)
            if isinstance(trigger, ZoneTrigger):
                return km is not None and km * 1000.0 <= zone.radius, km
            return km is not None and in_range(km, trigger.above, trigger.below), km

        state = {"inside": inside()[0]}

        def moved(ev: StateChanged, device: str = device, inside: Callable[[], tuple[bool, float | None]] = inside,
                  state: dict[str, bool] = state) -> None:
            now_inside, km = inside()
            was = state["inside"]
            state["inside"] = now_inside
            if now_inside == was:
                return
            wanted = now_inside if isinstance(trigger, DistanceTrigger) or trigger.event == "enter" else not now_inside
            if wanted:
                event = "enter" if now_inside else "leave"
                fire(index, {"device": device, "zone": zone.id, "event": event,
                             "distance_km": None if km is None else round(km, 3)})

        removers.extend(wiring.on_state(key, moved) for key in keys)
    return removers


def _device_event(trigger: EventTrigger, index: int, fire: Fire, ev: DeviceEvent) -> None:
    if ev.event != trigger.event or (trigger.service is not None and ev.service != trigger.service):
        return
    if all(ev.arguments.get(k) == v for k, v in trigger.arguments.items()):
        fire(index, ev)


def _perception(trigger: PerceptionTrigger, index: int, fire: Fire, ev: PerceptionDetected) -> None:
    if (trigger.camera is None or ev.camera == trigger.camera) and (trigger.kind is None or ev.kind == trigger.kind) \
            and (trigger.label is None or ev.label == trigger.label) and ev.count >= trigger.min_count:
        fire(index, ev)


def trigger_vars(trigger: Trigger, payload: object) -> dict[str, Any]:
    """The variables a run sees as `trigger`: kind, id and what happened."""
    base: dict[str, Any] = {"kind": _KIND[type(trigger)], "id": trigger.id}
    if isinstance(payload, StateChanged):
        base.update(device=payload.device, property=f"{payload.service}.{payload.property}", to=payload.new,
                    time=payload.time)
        base["from"] = payload.old
    elif isinstance(payload, DeviceEvent):
        base.update(device=payload.device, service=payload.service, event=payload.event,
                    arguments=dict(payload.arguments), time=payload.time)
    elif isinstance(payload, PerceptionDetected):
        base.update(camera=payload.camera, perception=payload.kind, count=payload.count, label=payload.label,
                    confidence=payload.confidence, time=payload.time)
    elif isinstance(payload, WebhookReceived):
        base.update(webhook=payload.webhook, payload=dict(payload.payload), time=payload.time)
    elif isinstance(payload, MqttMessage):
        base.update(topic=payload.topic, payload=payload.payload, retained=payload.retained, time=payload.time)
        if isinstance(trigger, MqttTrigger) and trigger.path is not None:
            value = read_value(trigger.path, payload.payload)
            base["value"] = None if value is MISSING else value
            base["value_text"] = None if value is MISSING else as_text(value)
    elif isinstance(payload, HubStarted):
        base.update(time=payload.time)
    elif isinstance(payload, dict):
        base.update(payload)
    return base


_KIND: dict[type[Any], str] = {
    StateTrigger: "state", NumericTrigger: "numeric", TimeTrigger: "time", CronTrigger: "cron", SunTrigger: "sun",
    ZoneTrigger: "zone", DistanceTrigger: "distance", EventTrigger: "event", PerceptionTrigger: "perception",
    WebhookTrigger: "webhook", MqttTrigger: "mqtt", HubStartTrigger: "hub_start",
}
