"""The VSS-over-MQTT topic layout and payloads.

A car (or a car gateway) under base topic `B` (default `vss/<device id>`) publishes each signal on
`B/<VSS path with dots as slashes>`, e.g. `vss/car/Vehicle/Cabin/HVAC/AmbientAirTemperature`, with a JSON
value (`21.5`, `true`, `"START"`) or `{"value": 21.5, "ts": 1767225600}`; retained, so a new listener sees the
current state at once. Target values for actuators go to `B/set/<path as slashes>` (QoS 1), and
`B/status` carries `online` / `offline` (a last will) when the publisher provides it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hearth.errors import AdapterError
from hearth.model import Value


class VssPayloadError(AdapterError):
    """A VSS message Hearth cannot use; the message says why."""


@dataclass(frozen=True, slots=True)
class VssTopics:
    """Topics of one car under its base topic."""

    base: str

    def __post_init__(self) -> None:
        if not self.base or any(c in self.base for c in "+#") or self.base.endswith("/"):
            raise AdapterError(f"bad VSS base topic {self.base!r}")

    @property
    def signals(self) -> str:
        """The filter matching every signal topic."""
        return f"{self.base}/Vehicle/#"

    @property
    def status(self) -> str:
        """Where the car says `online` / `offline`."""
        return f"{self.base}/status"

    def signal(self, path: str) -> str:
        """The topic a signal's value is published on."""
        return f"{self.base}/{path.replace('.', '/')}"

    def target(self, path: str) -> str:
        """The topic an actuator's target value is sent to."""
        return f"{self.base}/set/{path.replace('.', '/')}"

    def path_of(self, topic: str) -> str | None:
        """The VSS path of a signal topic, or None if the topic is not one."""
        prefix = f"{self.base}/"
        if not topic.startswith(prefix + "Vehicle/"):
            return None
        return topic[len(prefix):].replace("/", ".")


def encode_value(value: Value) -> bytes:
    """The JSON payload of a value."""
    return json.dumps(value, ensure_ascii=False).encode()


def decode_value(payload: bytes) -> Value:
    """The value in a payload: bare JSON or `{"value": …}`; VssPayloadError if there is none."""
    try:
        data: Any = json.loads(payload)
    except ValueError:
        raise VssPayloadError("payload is not JSON") from None
    if isinstance(data, dict):
        if "value" not in data:
            raise VssPayloadError("a JSON object payload needs `value`")
        data = data["value"]
    if isinstance(data, float) and not math.isfinite(data):
        raise VssPayloadError("value is not a finite number")
    if not isinstance(data, bool | int | float | str):
        raise VssPayloadError(f"value must be a number, true/false or text, not {type(data).__name__}")
    return data
