"""State and numeric triggers with `for:`: they fire once the matching state has held long enough.

Each pending hold is a clock callback; `Holds` hears when one starts and ends, so the engine can persist it
and re-arm it after a restart (`HoldWatch.resume`).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

from hearth.automation._conditions import in_range
from hearth.automation._model import NumericTrigger, StateTrigger
from hearth.automation._wiring import Attached, Fire, Remove, Wiring
from hearth.core import StateChanged
from hearth.model import Value


class Holds(Protocol):
    """Where `for:` timers are recorded while they run (the engine persists them)."""

    def started(self, key: str, due: float, payload: dict[str, Any]) -> None:
        """A hold began; it will fire at `due` unless it ends first."""
        ...

    def ended(self, key: str) -> None:
        """A hold fired or was broken."""
        ...


class HoldWatch:
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
        """The attachment: detach, or resume a persisted hold."""
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
