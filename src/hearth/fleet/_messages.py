"""The wire form of what homes send (`hearth.<home>.in`): property readings, clock ticks and command requests.

Compact JSON, one object per message: `{"i": id, "t": epoch s, "d": device, "s": service, "p": property,
"v": value}` for a reading, `{"i", "t"}` for a tick, `{"i", "t", "c": {device, service, property|action,
value|args}, "a": "kind:id:role"}` for a command request (the copilot and apps send these, so the worker that
owns the home runs them through the same command path, in order with the home's events), and
`{"i", "t", "reload": 1}` after the home's definition or rules changed in the database.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from hearth.core import Actor, Command
from hearth.errors import HearthError
from hearth.model import Value


class BadMessage(HearthError):
    """A message on an ingress subject is not valid JSON of the expected shape."""


@dataclass(slots=True)  # not frozen: one is made for every message a worker reads
class Reading:
    """One message from a home: a property report, or a tick (`device` empty) that only moves time."""

    id: str
    home: str
    time: float
    device: str = ""
    service: str = ""
    property: str = ""
    value: Value | None = None

    @builtins.property
    def is_tick(self) -> bool:
        """True when the message only advances the home's clock."""
        return not self.device

    def to_json(self) -> dict[str, Any]:
        """The compact wire form."""
        if self.is_tick:
            return {"i": self.id, "t": self.time}
        return {"i": self.id, "t": self.time, "d": self.device, "s": self.service, "p": self.property, "v": self.value}


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """Someone (an app, the copilot) asks the home's worker to run a command through the command path."""

    id: str
    home: str
    time: float
    command: Mapping[str, Any] = field(default_factory=dict)
    actor: Actor = field(default_factory=lambda: Actor("person", "unknown", "guest"))

    def to_command(self) -> Command:
        """The command itself."""
        c = self.command
        return Command(str(c["device"]), str(c["service"]), c.get("property"), c.get("value"), c.get("action"),
                       dict(c.get("args") or {}), bool(c.get("confirmed", False)))

    def to_json(self) -> dict[str, Any]:
        """The compact wire form."""
        return {"i": self.id, "t": self.time, "c": dict(self.command),
                "a": f"{self.actor.kind}:{self.actor.id}:{self.actor.role}"}


@dataclass(slots=True)
class Reload:
    """The home's definition or rules changed in the database: its worker rebuilds the home's engine at this
    point of the home's stream (state and pending timers carry over)."""

    id: str
    home: str
    time: float

    def to_json(self) -> dict[str, Any]:
        """The compact wire form."""
        return {"i": self.id, "t": self.time, "reload": 1}


Message = Reading | CommandRequest | Reload


def encode(message: Message) -> bytes:
    """Bytes for `hearth.<home>.in`."""
    return orjson.dumps(message.to_json())


def decode(home: str, payload: bytes) -> Message:
    """Parse an ingress payload; raises BadMessage."""
    try:
        obj = orjson.loads(payload)
        ident, time = str(obj["i"]), float(obj["t"])
        if obj.get("reload"):
            return Reload(ident, home, time)
        if "c" in obj:
            kind, actor_id, role = str(obj.get("a", "person:unknown:guest")).split(":", 2)
            return CommandRequest(ident, home, time, dict(obj["c"]), Actor(kind, actor_id, role))  # type: ignore[arg-type]
        if "d" not in obj:
            return Reading(ident, home, time)
        return Reading(ident, home, time, str(obj["d"]), str(obj["s"]), str(obj["p"]), obj["v"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadMessage(f"home {home}: bad message {payload[:80]!r} ({exc})") from exc
