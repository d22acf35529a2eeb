"""Typed events: one frozen dataclass per kind, subscribed by type."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hearth.model import Value

ActorKind = Literal["person", "rule", "copilot", "agent", "system", "adapter"]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change: a person, a rule, the copilot, an MCP agent or the system."""

    kind: ActorKind
    id: str
    role: str = "admin"

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


SYSTEM = Actor("system", "hearth")


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every bus event; `time` is the clock's epoch seconds."""

    time: float


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    """A property's value changed."""

    device: str
    service: str
    property: str
    old: Value | None
    new: Value
    cause: str = ""


@dataclass(frozen=True, slots=True)
class DeviceEvent(Event):
    """A device emitted a MIoT-style event (doorbell ring, lock operated, …)."""

    device: str
    service: str
    event: str
    arguments: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CommandIssued(Event):
    """A command passed validation and was handed to its adapter."""

    command_id: str
    device: str
    service: str
    target: str
    value: Any
    actor: Actor


@dataclass(frozen=True, slots=True)
class AuditRecorded(Event):
    """A command's audit record (actor, command, result)."""

    command_id: str
    actor: Actor
    device: str
    service: str
    target: str
    value: Any
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class Notification(Event):
    """A message for people (from a rule, the copilot or the system)."""

    to: tuple[str, ...]
    title: str
    message: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class RuleFired(Event):
    """A rule's run started or ended."""

    rule: str
    run_id: str
    trigger: str
    outcome: str = "started"


@dataclass(frozen=True, slots=True)
class PerceptionDetected(Event):
    """A camera saw something: a person, a face, motion or a natural-language condition."""

    camera: str
    kind: str
    count: int = 0
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    confidence: float = 0.0
    label: str = ""


@dataclass(frozen=True, slots=True)
class WebhookReceived(Event):
    """An HTTP webhook arrived."""

    webhook: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MqttMessage(Event):
    """A message arrived on an MQTT topic that something in the hub asked to hear (rules' `mqtt` triggers)."""

    topic: str
    payload: str
    retained: bool = False


@dataclass(frozen=True, slots=True)
class HubStarted(Event):
    """The hub finished starting."""


@dataclass(frozen=True, slots=True)
class HubStopping(Event):
    """The hub is about to stop."""


def _fast_init(cls: type[Event]) -> None:
    """Give an event class an `__init__` that writes its slots directly; same signature and defaults.

    Events are built on Hearth's hottest path (every state change, command and rule run). A frozen
    dataclass's generated `__init__` sets each field through `object.__setattr__`; writing each slot
    through its descriptor has the same effect at about half the cost. Instances stay frozen: assignment
    from outside still raises FrozenInstanceError, and equality, hashing, `repr` and
    `dataclasses.replace` are the dataclass's own.
    """
    namespace: dict[str, Any] = {"_NOTHING": _NOTHING}
    params: list[str] = []
    body: list[str] = []
    for f in dataclasses.fields(cls):
        name = f.name
        namespace[f"_set_{name}"] = getattr(cls, name).__set__
        if f.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = f.default
            params.append(f"{name}=_default_{name}")
            body.append(f"_set_{name}(self, {name})")
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = f.default_factory
            params.append(f"{name}=_NOTHING")
            body.append(f"_set_{name}(self, _factory_{name}() if {name} is _NOTHING else {name})")
        else:
            params.append(name)
            body.append(f"_set_{name}(self, {name})")
    source = f"def __init__(self, {', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, namespace)  # how dataclasses itself builds __init__; the source uses only field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = dict(cls.__init__.__annotations__)
    type.__setattr__(cls, "__init__", init)


class _Factory:
    """Stands for "call the default factory" in a generated signature, as dataclasses shows it."""

    def __repr__(self) -> str:
        return "<factory>"


_NOTHING: Any = _Factory()

for _event_class in (Event, StateChanged, DeviceEvent, CommandIssued, AuditRecorded, Notification, RuleFired,
                     PerceptionDetected, WebhookReceived, MqttMessage, HubStarted, HubStopping):
    _fast_init(_event_class)
