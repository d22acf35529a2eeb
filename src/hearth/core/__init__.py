"""Hearth's core: typed events, the bus, the clock, the state store and the command path."""

from hearth.core._bus import Bus, Remove, StateKey
from hearth.core._clock import Clock, FakeClock, SystemClock
from hearth.core._commands import (
    Adapter,
    Command,
    CommandPath,
    CommandResult,
    DirectAdapter,
    Policy,
    new_command_id,
    validate_command,
)
from hearth.core._events import (
    SYSTEM,
    Actor,
    AuditRecorded,
    CommandIssued,
    DeviceEvent,
    Event,
    HubStarted,
    HubStopping,
    MqttMessage,
    Notification,
    PerceptionDetected,
    RuleFired,
    StateChanged,
    WebhookReceived,
)
from hearth.core._policy import DefaultPolicy, is_risky
from hearth.core._state import StateStore

__all__ = [
    "SYSTEM",
    "Actor",
    "Adapter",
    "AuditRecorded",
    "Bus",
    "Clock",
    "Command",
    "CommandIssued",
    "CommandPath",
    "CommandResult",
    "DefaultPolicy",
    "DeviceEvent",
    "DirectAdapter",
    "Event",
    "FakeClock",
    "HubStarted",
    "HubStopping",
    "MqttMessage",
    "Notification",
    "PerceptionDetected",
    "Policy",
    "Remove",
    "RuleFired",
    "StateChanged",
    "StateKey",
    "StateStore",
    "SystemClock",
    "WebhookReceived",
    "is_risky",
    "new_command_id",
    "validate_command",
]
