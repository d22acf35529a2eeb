"""Triggers attached to the bus and the clock. Dispatch is keyed, as in Home Assistant's event helpers: one
bus listener for state changes, a dict from (device, service, property) to the triggers watching it, and inside
that a dict from value to the triggers waiting for that value. Cost per event follows the rules that match it,
not how many rules exist, and a watched property costs a few small objects (a bus subscription per property
would cost about 1 kB each: 10 MB for 10,000 rules). Every attachment returns its undo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from hearth.automation._conditions import Context, in_range
from hearth.automation._cron import Cron
from hearth.automation._geo import location_keys, zone_distance
from hearth.automation._model import (
    CronTrigger,
    DistanceTrigger,
    EventTrigger,
    HubStartTrigger,
    NumericTrigger,
    PerceptionTrigger,
    StateTrigger,
    SunTrigger,
    TimeTrigger,
    Trigger,
    WebhookTrigger,
    ZoneTrigger,
)
from hearth.automation._sun import next_sun_event
from hearth.core import Bus, DeviceEvent, HubStarted, PerceptionDetected, StateChanged, WebhookReceived
from hearth.core import Remove as Remove
from hearth.model import Value

Fire = Callable[[int, object], None]
Listener = Callable[[Any], None]
StateKey = tuple[str, str, str]
_ANY: Any = object()


class Holds(Protocol):
    """Where `for:` timers are recorded while they run (the engine persists them)."""

    def started(self, key: str, due: float, payload: dict[str, Any]) -> None:
        """A hold began; it will fire at `due` unless it ends first."""
        ...

    def ended(self, key: str) -> None:
        """A hold fired or was broken."""
        ...


class _Slot:
    __slots__ = ("any", "by_value")

    def __init__(self) -> None:
        self.any: tuple[Listener, ...] = ()
        self.by_value: dict[Value, tuple[Listener, ...]] | None = None


def _nothing() -> None:
    return None


class Wiring:
    """Shared indexes from the bus to triggers: by property (and value), by device event, webhook, camera."""

    def __init__(self, ctx: Context, bus: Bus) -> None:
        self.ctx = ctx
        self.bus = bus
        self._slots: dict[StateKey, _Slot] = {}
        self._state_remove: Remove | None = None
        self._typed: dict[type[Any], dict[str, tuple[Listener, ...]]] = {}
        self._typed_removers: list[Remove] = []

    def on_state(self, key: StateKey, listener: Callable[[StateChanged], None], value: Any = _ANY) -> Remove:
        """Call `listener` when the property changes (to `value`, when given)."""
        if self._state_remove is None:
            self._state_remove = self.bus.subscribe(StateChanged, self._changed)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        if value is _ANY:
            slot.any = (*slot.any, listener)
        else:
            if slot.by_value is None:
                slot.by_value = {}
            slot.by_value[value] = (*slot.by_value.get(value, ()), listener)

        return partial(self._off, key, slot, listener, value)  # a partial is far smaller than a closure

    def _off(self, key: StateKey, slot: _Slot, listener: Callable[[StateChanged], None], value: Any) -> None:
        if value is _ANY:
            slot.any = _without(slot.any, listener)
        elif slot.by_value is not None:
            rest = _without(slot.by_value.get(value, ()), listener)
            if rest:
                slot.by_value[value] = rest
            else:
                slot.by_value.pop(value, None)
        if not slot.any and not slot.by_value and self._slots.get(key) is slot:
            del self._slots[key]

    def _changed(self, event: StateChanged) -> None:
        slot = self._slots.get((event.device, event.service, event.property))
        if slot is not None:
            _dispatch(slot, event)

    def on_event(self, kind: type[Any], key: str, listener: Listener) -> Remove:
        """Call `listener` for events of `kind` whose key (device, webhook id; '' = any) matches."""
        table = self._typed.get(kind)
        if table is None:
            table = self._typed[kind] = {}
            self._typed_removers.append(self.bus.subscribe(kind, partial(_dispatch_typed, table, _key_of(kind))))
        table[key] = (*table.get(key, ()), listener)

        def remove() -> None:
            rest = _without(table.get(key, ()), listener)
            if rest:
                table[key] = rest
            else:
                table.pop(key, None)

        return remove

    def watched(self) -> int:
        """How many properties triggers are watching (for leak checks)."""
        return len(self._slots)

    def close(self) -> None:
        """Detach from the bus."""
        if self._state_remove is not None:
            self._state_remove()
            self._state_remove = None
        self._slots.clear()
        for remove in self._typed_removers:
            remove()
        self._typed_removers.clear()
        self._typed.clear()


def _without(items: tuple[Listener, ...], listener: Listener) -> tuple[Listener, ...]:
    found = list(items)
    if listener in found:
        found.remove(listener)
    return tuple(found)


def _dispatch(slot: _Slot, event: StateChanged) -> None:
    for listener in slot.any:
        listener(event)
    by_value = slot.by_value
    if by_value:
        matched = by_value.get(event.new)
        if matched:
            for listener in matched:
                listener(event)


def _key_of(kind: type[Any]) -> Callable[[Any], str]:
    if kind is DeviceEvent:
        return lambda e: str(e.device)
    if kind is WebhookReceived:
        return lambda e: str(e.webhook)
    return lambda e: ""


def _dispatch_typed(table: dict[str, tuple[Listener, ...]], key_of: Callable[[Any], str], event: Any) -> None:
    key = key_of(event)
    for listener in table.get(key, ()):
        listener(event)
    if key:
        for listener in table.get("", ()):
            listener(event)


class Attached:
    """A trigger wired to the bus or clock: remove it, or resume a `for:` hold after a restart."""

    __slots__ = ("_removers", "_resume")

    def __init__(self, removers: list[Remove], resume: Callable[[str, float, dict[str, Any]], bool] | None = None):
        self._removers: tuple[Remove, ...] = tuple(removers)
        self._resume = resume

    def remove(self) -> None:
        """Detach."""
        removers, self._removers = self._removers, ()
        for remove in removers:
            remove()

    def resume_hold(self, device: str, due: float, payload: dict[str, Any]) -> bool:
        """Re-arm a persisted hold if its state still holds; False when it no longer does."""
        return self._resume(device, due, payload) if self._resume else False


def attach(trigger: Trigger, index: int, wiring: Wiring, fire: Fire, holds: Holds | None = None) -> Attached:
    """Wire one trigger; `fire(index, payload)` is called each time it fires."""
    ctx = wiring.ctx
    if isinstance(trigger, StateTrigger | NumericTrigger):
        if trigger.hold:
            return _HoldWatch(trigger, index, wiring, fire, holds).attached()
        return Attached(_state_listeners(trigger, index, wiring, fire))
    if isinstance(trigger, ZoneTrigger | DistanceTrigger):
        return Attached(_place_listeners(trigger, index, wiring, fire))
    if isinstance(trigger, TimeTrigger | CronTrigger | SunTrigger):
        return Attached([_Schedule(ctx, _next_fn(trigger, ctx), partial(_timed, fire, index)).start()])
    if isinstance(trigger, EventTrigger):
        return Attached([wiring.on_event(DeviceEvent, trigger.device, partial(_device_event, trigger, index, fire))])
    if isinstance(trigger, PerceptionTrigger):
        return Attached([wiring.on_event(PerceptionDetected, "", partial(_perception, trigger, index, fire))])
    if isinstance(trigger, WebhookTrigger):
        return Attached([wiring.on_event(WebhookReceived, trigger.webhook, partial(fire, index))])
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


class _HoldWatch:
    """A state or numeric trigger with `for:`: it fires once the matching state has held long enough."""

    def __init__(self, trigger: StateTrigger | NumericTrigger, index: int, wiring: Wiring, fire: Fire,
                 holds: Holds | None) -> None:
        self.trigger, self.index, self.fire, self.holds = trigger, index, fire, holds
        self.clock = wiring.ctx.clock
        self.values = wiring.ctx.state.values
        self.pending: dict[str, Remove] = {}
        self.removers = [wiring.on_state((d, trigger.service, trigger.property), self.changed)
                         for d in trigger.devices]

    def attached(self) -> Attached:
        return Attached([*self.removers, self.cancel_all], self.resume)

    def holds_now(self, old: Value | None, new: Value | None) -> bool:
        t = self.trigger
        if isinstance(t, NumericTrigger):
            return in_range(new, t.above, t.below)
        return (t.to is None or new in t.to) and (t.from_ is None or old in t.from_ or old == new)

    def entered(self, old: Value | None, new: Value | None) -> bool:
        t = self.trigger
        if isinstance(t, NumericTrigger):
            return in_range(new, t.above, t.below) and not in_range(old, t.above, t.below)
        return (t.to is None or new in t.to) and (t.from_ is None or old in t.from_)

    def changed(self, ev: StateChanged) -> None:
        device = ev.device
        if device in self.pending:
            if isinstance(self.trigger, StateTrigger) and self.trigger.to is None:
                self.stop(device)  # "held unchanged for": any change breaks it
            elif not self.holds_now(ev.old, ev.new):
                self.stop(device)
                return
            else:
                return
        if self.entered(ev.old, ev.new):
            payload = {"device": ev.device, "property": f"{ev.service}.{ev.property}", "from": ev.old,
                       "to": ev.new, "for": self.trigger.hold, "since": ev.time}
            self.arm(device, ev.time + self.trigger.hold, payload)

    def arm(self, device: str, due: float, payload: dict[str, Any]) -> None:
        key = f"for:{self.index}:{device}"
        self.pending[device] = self.clock.call_at(due, partial(self.due, device, key, payload))
        if self.holds is not None:
            self.holds.started(key, due, payload)

    def due(self, device: str, key: str, payload: dict[str, Any]) -> None:
        self.pending.pop(device, None)
        if self.holds is not None:
            self.holds.ended(key)
        self.fire(self.index, payload)

    def stop(self, device: str) -> None:
        cancel = self.pending.pop(device, None)
        if cancel is not None:
            cancel()
            if self.holds is not None:
                self.holds.ended(f"for:{self.index}:{device}")

    def cancel_all(self) -> None:
        # Detaching (hub stop, rule disabled) cancels the clock callbacks but keeps persisted rows for resuming.
        for cancel in self.pending.values():
            cancel()
        self.pending.clear()

    def resume(self, device: str, due: float, payload: dict[str, Any]) -> bool:
        t = self.trigger
        current = self.values.get((device, t.service, t.property))
        if device in self.pending or not self.holds_now(payload.get("from"), current):
            return False
        self.arm(device, due, payload)
        return True


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


class _Schedule:
    """Calls `on_due(when)` at each moment `next_after` yields, re-arming itself first."""

    def __init__(self, ctx: Context, next_after: Callable[[float], float | None],
                 on_due: Callable[[float], None]) -> None:
        self.clock, self.next_after, self.on_due = ctx.clock, next_after, on_due
        self.cancel: Remove = _nothing

    def start(self) -> Remove:
        self.arm(self.clock.now())
        return lambda: self.cancel()

    def arm(self, after: float) -> None:
        when = self.next_after(after)
        if when is not None:
            self.cancel = self.clock.call_at(when, partial(self.due, when))

    def due(self, when: float) -> None:
        self.arm(when)
        self.on_due(when)


def _next_fn(trigger: TimeTrigger | CronTrigger | SunTrigger, ctx: Context) -> Callable[[float], float | None]:
    home, tz = ctx.home, ctx.tz
    if isinstance(trigger, SunTrigger):
        return lambda after: next_sun_event(home.location, home.timezone, trigger.event, trigger.offset, after)
    if isinstance(trigger, CronTrigger):
        cron = Cron.parse(trigger.expression)
        return lambda after: cron.next_after(after, home.timezone)
    ats = trigger.at

    def next_time(after: float) -> float:
        today = dt.datetime.fromtimestamp(after, tz).date()
        best = []
        for offset in (0, 1, 2):
            day = today + dt.timedelta(days=offset)
            for seconds in ats:
                moment = dt.datetime(day.year, day.month, day.day, seconds // 3600, seconds % 3600 // 60,
                                     seconds % 60, tzinfo=tz).timestamp()
                if moment > after:
                    best.append(moment)
            if best:
                return min(best)
        return after + 86400.0

    return next_time


def _timed(fire: Fire, index: int, when: float) -> None:
    fire(index, {"at": when})


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
    elif isinstance(payload, HubStarted):
        base.update(time=payload.time)
    elif isinstance(payload, dict):
        base.update(payload)
    return base


_KIND: dict[type[Any], str] = {
    StateTrigger: "state", NumericTrigger: "numeric", TimeTrigger: "time", CronTrigger: "cron", SunTrigger: "sun",
    ZoneTrigger: "zone", DistanceTrigger: "distance", EventTrigger: "event", PerceptionTrigger: "perception",
    WebhookTrigger: "webhook", HubStartTrigger: "hub_start",
}
