"""What a discovered MQTT entity is to Hearth: a service on a device, plus how to read and drive it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hearth.errors import AdapterError
from hearth.model import ServiceSpec, Value


class PayloadError(AdapterError):
    """An inbound MQTT payload that does not fit what the entity declared."""


class DiscoveryError(AdapterError):
    """A discovery config Hearth cannot use."""


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send for a command."""

    topic: str
    payload: bytes
    retain: bool = False


Reader = Callable[[bytes], Mapping[str, Any]]  # payload -> {property: raw value}; raises PayloadError
Writer = Callable[[Value], list[Outbound]]  # canonical value -> messages
Caller = Callable[[Mapping[str, Value]], list[Outbound]]  # action args -> messages
Trigger = Callable[[bytes], str | None]  # payload -> event name, or None when it does not match


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The physical device an entity belongs to."""

    id: str
    name: str
    manufacturer: str = ""
    model: str = ""
    area: str | None = None


@dataclass(frozen=True, slots=True)
class Availability:
    """A topic that says whether the device is online."""

    topic: str
    online: str = "online"
    offline: str = "offline"
    json_key: str | None = None


@dataclass(frozen=True, slots=True)
class EntityPlan:
    """A discovered entity: its service spec and its topics, with pure functions to convert payloads."""

    key: str
    component: str
    name: str
    device: DeviceInfo
    service: ServiceSpec
    readers: tuple[tuple[str, Reader], ...] = ()
    writers: Mapping[str, Writer] = field(default_factory=dict)
    actions: Mapping[str, Caller] = field(default_factory=dict)
    triggers: tuple[tuple[str, Trigger], ...] = ()
    availability: tuple[Availability, ...] = ()
    qos: int = 1


def slug(text: str) -> str:
    """A Hearth id from free text: lower case, `_` between words."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out or "device"


def kebab(text: str) -> str:
    """A MIoT-style name from free text: lower case, `-` between words."""
    return slug(text).replace("_", "-")


def as_text(payload: bytes) -> str:
    """Decode a payload as UTF-8 text; raises PayloadError."""
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PayloadError("payload is not UTF-8 text") from None


def as_json(payload: bytes) -> Any:
    """Parse a JSON payload; raises PayloadError."""
    try:
        return json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PayloadError(f"payload is not JSON ({exc})") from None


def as_object(payload: bytes) -> Mapping[str, Any]:
    """Parse a JSON object payload; raises PayloadError."""
    data = as_json(payload)
    if not isinstance(data, Mapping):
        raise PayloadError("payload is not a JSON object")
    return data


def encode(value: Any) -> bytes:
    """A command payload: text as is, everything else as JSON."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":")).encode()
