"""The one path for every change: validate against spec and policy, hand to the adapter, audit."""

from __future__ import annotations

import builtins
import itertools
import logging
import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from hearth.core._bus import Bus
from hearth.core._clock import Clock
from hearth.core._events import Actor, AuditRecorded, CommandIssued
from hearth.core._state import StateStore
from hearth.errors import AdapterError, CommandRejected, HearthError, SpecError
from hearth.model import Device, Home, Value

log = logging.getLogger(__name__)
_ids = itertools.count(1)
_prefix = f"{os.getpid():x}"


def new_command_id() -> str:
    """A process-unique command id."""
    return f"c{_prefix}-{next(_ids)}"


@dataclass(frozen=True, slots=True)
class Command:
    """Set a property (`property` + `value`) or call an action (`action` + `args`) on one device."""

    device: str
    service: str
    property: str | None = None
    value: Any = None
    action: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    confirmed: bool = False
    id: str = field(default_factory=new_command_id)

    def __post_init__(self) -> None:
        if (self.property is None) == (self.action is None):
            raise CommandRejected("a command sets exactly one property or calls exactly one action")

    @builtins.property
    def target(self) -> str:
        """The property or action name."""
        return self.property if self.property is not None else str(self.action)

    def describe(self) -> str:
        """Short text for logs and audit."""
        if self.property is not None:
            return f"{self.device} {self.service}.{self.property} = {self.value!r}"
        return f"{self.device} {self.service}.{self.action}({dict(self.args)})"


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What happened to a command."""

    command: Command
    ok: bool
    message: str = ""
    error: HearthError | None = None


class Adapter(Protocol):
    """Something that drives devices; it reports their state back through the state store."""

    name: str

    async def execute(self, command: Command, device: Device) -> None:
        """Carry the validated command to the device; raise AdapterError on failure."""
        ...


class Policy(Protocol):
    """Decides whether an actor may issue a command; raises PermissionDenied or ConfirmationRequired."""

    def check(self, actor: Actor, command: Command, device: Device, home: Home) -> None:
        """Raise to refuse."""
        ...


class DirectAdapter:
    """The in-memory fake: applies property writes at once and accepts every action."""

    name = "direct"

    def __init__(self, state: StateStore) -> None:
        self._state = state

    async def execute(self, command: Command, device: Device) -> None:
        """Apply the write immediately."""
        if command.property is not None:
            self._state.apply(device.id, command.service, command.property, command.value, cause=command.id)


def validate_command(home: Home, command: Command, discovered: Mapping[str, Device] | None = None) -> Command:
    """Check a command against the device's spec; return it with canonical values."""
    device = home.devices.get(command.device) or (discovered or {}).get(command.device)
    if device is None:
        raise CommandRejected(f"no device {command.device!r} in this home")
    try:
        if command.property is not None:
            prop = device.spec.property(command.service, command.property)
            if not prop.writable:
                raise CommandRejected(f"{device.name}: {command.service}.{prop.name} is read-only")
            value = prop.validate(command.value)
            return replace(command, value=value) if value != command.value or type(value) is not type(
                command.value) else command
        action = device.spec.action(command.service, str(command.action))
        service = device.spec.service(command.service)
        args: dict[str, Value] = {}
        for name in action.inputs:
            if name not in command.args and name in service.properties:
                continue  # an input named after a property of the service defaults to the device's setting
            if name not in command.args:
                raise CommandRejected(f"{device.name}: action {action.name} needs argument {name!r}")
            args[name] = service.properties[name].validate(command.args[name])
        extra = set(command.args) - set(action.inputs)
        if extra:
            raise CommandRejected(f"{device.name}: action {action.name} takes no argument {sorted(extra)[0]!r}")
        return replace(command, args=args)
    except SpecError as exc:
        raise CommandRejected(f"{device.name}: {exc}") from None


class CommandPath:
    """Validates, authorises, dispatches and audits every command from every actor."""

    def __init__(
        self,
        home: Home,
        bus: Bus,
        clock: Clock,
        adapters: Mapping[str, Adapter],
        policy: Policy | None = None,
        audit_len: int = 1000,
    ) -> None:
        self.home = home
        self._bus = bus
        self._clock = clock
        self._adapters = dict(adapters)
        self.policy = policy
        self.audit: deque[AuditRecorded] = deque(maxlen=audit_len)
        self.discovered: dict[str, Device] = {}

    def device(self, device_id: str) -> Device | None:
        """A device of the home file, or one an adapter discovered at run time."""
        return self.home.devices.get(device_id) or self.discovered.get(device_id)

    def set_discovered(self, adapter: str, devices: Mapping[str, Device]) -> None:
        """Replace the devices one adapter discovered (MQTT discovery, zigbee2mqtt); home-file ids win."""
        for dev_id in [d for d, dev in self.discovered.items() if dev.adapter == adapter]:
            del self.discovered[dev_id]
        for dev_id, dev in devices.items():
            if dev_id not in self.home.devices:
                self.discovered[dev_id] = dev

    def add_adapter(self, adapter: Adapter) -> None:
        """Register an adapter by its name."""
        self._adapters[adapter.name] = adapter

    def check(self, command: Command, actor: Actor) -> Command:
        """Validate and authorise without executing; raises CommandRejected."""
        valid = validate_command(self.home, command, self.discovered)
        if self.policy is not None:
            device = self.device(valid.device)
            assert device is not None
            self.policy.check(actor, valid, device, self.home)
        return valid

    async def execute(self, command: Command, actor: Actor) -> CommandResult:
        """Run a command through the whole path; never raises for a refused command, it reports it."""
        try:
            valid = self.check(command, actor)
        except CommandRejected as exc:
            return self._record(command, actor, ok=False, message=str(exc), error=exc)
        device = self.device(valid.device)
        assert device is not None
        adapter = self._adapters.get(device.adapter) or self._adapters.get("default")
        if adapter is None:
            return self._record(valid, actor, ok=False, message=f"no adapter {device.adapter!r} for {device.name}")
        self._bus.publish(
            CommandIssued(self._clock.now(), valid.id, valid.device, valid.service, valid.target,
                          valid.value if valid.property else dict(valid.args), actor)
        )
        try:
            await adapter.execute(valid, device)
        except HearthError as exc:
            return self._record(valid, actor, ok=False, message=str(exc), error=exc)
        except Exception as exc:  # an adapter bug must not take the caller down; it is audited
            log.exception("adapter %s failed", adapter.name)
            error = AdapterError(f"{adapter.name}: {exc}")
            return self._record(valid, actor, ok=False, message=str(error), error=error)
        return self._record(valid, actor, ok=True, message="ok")

    def _record(
        self, command: Command, actor: Actor, *, ok: bool, message: str, error: HearthError | None = None
    ) -> CommandResult:
        if self.audit.maxlen != 0 or self._bus.wants(AuditRecorded):  # else nobody would ever see the record
            value = command.value if command.property is not None else dict(command.args)
            record = AuditRecorded(self._clock.now(), command.id, actor, command.device, command.service,
                                   command.target, value, ok, message)
            self.audit.append(record)
            self._bus.publish(record)
        return CommandResult(command, ok, message, error)
