"""The tools the LLM may call: read the home, and propose commands that go through the one command path."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from hearth.core import Actor, Command, CommandPath, StateStore, validate_command
from hearth.errors import CommandRejected, ConfirmationRequired, HearthError, PermissionDenied, SpecError
from hearth.model import Area, Device, Home, PropertySpec

_PRIVATE_TYPES = frozenset({"person", "phone", "watch"})
_RULE_ROLES = frozenset({"admin", "adult"})
WRITE_TOOLS = frozenset({"set_property", "call_action"})
LIST_LIMIT = 200  # devices per list_devices answer; a 1,000-device home is paged by area or type instead

_DEVICE = {"type": "string", "description": "Device id from list_devices (e.g. \"living_ceiling_light\")."}
_SERVICE = {"type": "string", "description": "Service name from get_state (e.g. \"light\", \"vehicle\")."}


def _fn(name: str, description: str, properties: Mapping[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    params = {"type": "object", "properties": dict(properties), "required": list(required)}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": params}}


TOOL_SCHEMAS: tuple[dict[str, Any], ...] = (
    _fn("list_areas", "List the home's floors and areas (rooms) with their ids and aliases.", {}),
    _fn("list_devices", "List devices (id, name, aliases, area, type), optionally only one area or type.",
        {"area": {"type": "string", "description": "Area id or name."},
         "type": {"type": "string", "description": "Device type, e.g. light, lock, car."},
         "include_state": {"type": "boolean", "description": "Also return each device's current values."}}),
    _fn("get_state", "Get a device's current values and what can be set or called on it.",
        {"device": _DEVICE}, ("device",)),
    _fn("set_property", "Set one writable property of a device. Risky changes are held for the user to confirm.",
        {"device": _DEVICE, "service": _SERVICE,
         "property": {"type": "string", "description": "Property name from get_state."},
         "value": {"description": "New value: boolean, number or one of the listed choices."}},
        ("device", "service", "property", "value")),
    _fn("call_action", "Call an action of a device (e.g. a vacuum's start-sweep) with its arguments.",
        {"device": _DEVICE, "service": _SERVICE,
         "action": {"type": "string", "description": "Action name from get_state."},
         "args": {"type": "object", "description": "Action arguments by property name."}},
        ("device", "service", "action")),
    _fn("create_rule", "Propose an automation rule in Hearth's YAML rule format; the user confirms it before it runs.",
        {"yaml": {"type": "string", "description": "The rule as YAML with triggers and actions."}}, ("yaml",)),
    _fn("decline", "Say the request cannot be done: the home lacks what it names, or it is not a home task.",
        {"reason": {"type": "string"},
         "kind": {"type": "string", "enum": ["not_in_home", "out_of_scope"]}}, ("reason", "kind")),
)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What a tool call returned to the model, and what it did to the home."""

    content: Mapping[str, Any]
    ok: bool
    executed: Command | None = None
    pending: Command | None = None
    rejected: Command | None = None
    rule: Mapping[str, Any] | None = None
    declined: tuple[str, str] | None = None  # (kind, reason)


def _error(message: str) -> ToolOutcome:
    return ToolOutcome({"error": message}, ok=False)


class HomeTools:
    """Answers tool calls for one request, as one actor, through the home's command path."""

    def __init__(self, home: Home, state: StateStore, commands: CommandPath, actor: Actor) -> None:
        self.home = home
        self.state = state
        self.commands = commands
        self.actor = actor
        self.areas, self.devices = visible_to(home, actor)
        self._handlers: dict[str, Callable[[Mapping[str, Any]], Awaitable[ToolOutcome]]] = {
            "list_areas": self._list_areas, "list_devices": self._list_devices, "get_state": self._get_state,
            "set_property": self._set_property, "call_action": self._call_action,
            "create_rule": self._create_rule, "decline": self._decline,
        }

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolOutcome:
        """Run one tool call; bad names and arguments come back as tool errors, never exceptions."""
        handler = self._handlers.get(name)
        if handler is None:
            return _error(f"no tool {name!r}; the tools are: {', '.join(self._handlers)}")
        if arguments is None:
            return _error("the arguments are not a valid JSON object; send them again as JSON")
        try:
            return await handler(arguments)
        except (HearthError, KeyError, TypeError, ValueError) as exc:
            # Arguments come from a model: a wrong type or name is its mistake to correct, told back as data.
            return _error(str(exc) or type(exc).__name__)

    def device(self, ref: Any) -> Device:
        """Find a device by id, or by a name or alias that matches exactly one device."""
        if not isinstance(ref, str) or not ref.strip():
            raise SpecError("name a device by its id (see list_devices)")
        key = ref.strip()
        found = self.devices.get(key)
        if found is not None:
            return found
        folded = key.casefold()
        hits = [d for d in self.devices.values()
                if d.name.casefold() == folded or any(a.casefold() == folded for a in d.aliases)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise SpecError(f"{key!r} names several devices ({', '.join(d.id for d in hits)}); use one id")
        raise SpecError(f"unknown device {key!r}: the home has no such device; call list_devices for the ids")

    def _area(self, ref: str) -> str:
        folded = ref.strip().casefold()
        for area in self.areas.values():
            if folded in (area.id.casefold(), area.name.casefold(), *(a.casefold() for a in area.aliases)):
                return area.id
        raise SpecError(f"unknown area {ref!r}; call list_areas for the ids")

    async def _list_areas(self, _: Mapping[str, Any]) -> ToolOutcome:
        floors = [{"id": f.id, "name": f.name, "aliases": list(f.aliases)} for f in self.home.floors.values()]
        areas = [{"id": a.id, "name": a.name, "aliases": list(a.aliases), "floor": a.floor}
                 for a in self.areas.values()]
        return ToolOutcome({"floors": floors, "areas": areas}, ok=True)

    async def _list_devices(self, args: Mapping[str, Any]) -> ToolOutcome:
        devices = list(self.devices.values())
        if args.get("area"):
            area = self._area(str(args["area"]))
            devices = [d for d in devices if d.area == area]
        if args.get("type"):
            wanted = str(args["type"]).strip().casefold()
            devices = [d for d in devices if d.type.casefold() == wanted]
        rows = []
        for dev in devices[:LIST_LIMIT]:
            row = device_summary(dev)
            if args.get("include_state") is True:
                row["state"] = {f"{s}.{p}" if not p.startswith("Vehicle.") else p: v
                                for (s, p), v in self.state.device_state(dev.id).items()}
            rows.append(row)
        content: dict[str, Any] = {"devices": rows}
        if len(devices) > LIST_LIMIT:
            content["truncated"] = f"{len(devices) - LIST_LIMIT} more; filter by area or type"
        return ToolOutcome(content, ok=True)

    async def _get_state(self, args: Mapping[str, Any]) -> ToolOutcome:
        dev = self.device(args.get("device"))
        services: dict[str, Any] = {}
        for svc in dev.spec.services.values():
            props = {p.name: _describe(p, self.state.values.get((dev.id, svc.name, p.name)))
                     for p in svc.properties.values()}
            actions = {a.name: {"args": list(a.inputs)} for a in svc.actions.values()}
            services[svc.name] = {"properties": props, **({"actions": actions} if actions else {})}
        return ToolOutcome({**device_summary(dev), "services": services}, ok=True)

    async def _set_property(self, args: Mapping[str, Any]) -> ToolOutcome:
        dev = self.device(args.get("device"))
        if "value" not in args:
            raise SpecError("set_property needs a value")
        service, prop = _address(dev, str(args.get("service") or ""), str(args.get("property") or ""))
        return await self._run(Command(dev.id, service, prop, args["value"]))

    async def _call_action(self, args: Mapping[str, Any]) -> ToolOutcome:
        dev = self.device(args.get("device"))
        action = str(args.get("action", ""))
        raw_args = args.get("args") or {}
        if not isinstance(raw_args, Mapping):
            raise SpecError("call_action args must be an object of argument name to value")
        service = str(args.get("service") or "")
        if service not in dev.spec.services:
            owners = [s.name for s in dev.spec.services.values() if action in s.actions]
            if len(owners) != 1:
                raise SpecError(f"{dev.id} has no action {action!r}; see get_state for its actions")
            service = owners[0]
        return await self._run(Command(dev.id, service, action=action, args=dict(raw_args)))

    async def _run(self, command: Command) -> ToolOutcome:
        # One execute: refused attempts are audited too ("the copilot tried to unlock the door").
        result = await self.commands.execute(command, self.actor)
        if isinstance(result.error, ConfirmationRequired):
            return ToolOutcome({"status": "needs_confirmation", "message": result.message,
                                "note": "Not done. Only the user can confirm this; ask them. Do not retry."},
                               ok=False, pending=validate_command(self.home, command))
        if not result.ok:
            status = "denied" if isinstance(result.error, PermissionDenied) else (
                "rejected" if isinstance(result.error, CommandRejected) else "failed")
            return ToolOutcome({"status": status, "error": result.message}, ok=False, rejected=result.command)
        done = result.command
        content: dict[str, Any] = {"status": "ok", "command": done.describe()}
        if done.property is not None:
            content["value"] = self.state.values.get((done.device, done.service, done.property))
        return ToolOutcome(content, ok=True, executed=done)

    async def _create_rule(self, args: Mapping[str, Any]) -> ToolOutcome:
        if self.actor.role not in _RULE_ROLES:
            return _error(f"a {self.actor.role} may not create rules; ask an adult")
        text = args.get("yaml")
        if not isinstance(text, str) or not text.strip():
            raise SpecError("create_rule needs the rule as YAML text")
        try:
            rule = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"the rule is not valid YAML: {exc}") from None
        if not isinstance(rule, dict):
            raise SpecError("a rule is a YAML mapping with triggers and actions")
        missing = [key for key in ("trigger", "action") if not ({key, f"{key}s"} & set(rule))]
        if missing:
            raise SpecError(f"the rule has no {' or '.join(f'{m}s' for m in missing)}")
        parse_rule = _rule_parser()
        if parse_rule is None:
            return _error("rules not available: this Hearth has no automation engine installed")
        parse_rule(rule, self.home)  # raises RuleError (a HearthError) with the reason
        return ToolOutcome({"status": "needs_confirmation", "note": "Proposed, not enabled; the user must confirm."},
                           ok=True, rule=rule)

    async def _decline(self, args: Mapping[str, Any]) -> ToolOutcome:
        kind = "out_of_scope" if args.get("kind") == "out_of_scope" else "not_in_home"
        return ToolOutcome({"status": "declined"}, ok=True, declined=(kind, str(args.get("reason", ""))))


def visible_to(home: Home, actor: Actor) -> tuple[dict[str, Area], dict[str, Device]]:
    """The areas and devices an actor may see: guests get shared devices in shared areas and no people."""
    if actor.role != "guest":
        return dict(home.areas), dict(home.devices)
    areas = {a.id: a for a in home.areas.values() if a.shared}
    devices = {d.id: d for d in home.devices.values()
               if d.shared and d.type not in _PRIVATE_TYPES and (d.area is None or d.area in areas)}
    return areas, devices


def _rule_parser() -> Callable[[Any, Home], Any] | None:
    # The automation engine is optional; find its rule parser at run time. It is called with the rule and the
    # home when it takes two arguments, so it can check devices and properties too.
    try:
        module = importlib.import_module("hearth.automation")
    except ImportError:
        return None
    for name in ("parse_rule", "validate_rule"):
        parser = getattr(module, name, None)
        if callable(parser):
            return _with_home(parser)
    return None


def _with_home(parser: Callable[..., Any]) -> Callable[[Any, Home], Any]:
    try:
        positional = [p for p in inspect.signature(parser).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        positional = []
    if len(positional) >= 2:
        return parser
    return lambda rule, _home: parser(rule)


def _address(dev: Device, service: str, prop: str) -> tuple[str, str]:
    # Tolerate "light.on" as the property, or a missing or wrong service when the name is unique.
    if not prop:
        raise SpecError("set_property needs a property name (see get_state)")
    svc = dev.spec.services.get(service)
    if svc is not None and prop in svc.properties:
        return service, prop
    found_service, spec = dev.spec.find(prop)
    return found_service, spec.name


def device_summary(dev: Device) -> dict[str, Any]:
    """A device as plain data for a prompt or a tool result."""
    row: dict[str, Any] = {"id": dev.id, "name": dev.name, "type": dev.type}
    if dev.aliases:
        row["aliases"] = list(dev.aliases)
    if dev.area:
        row["area"] = dev.area
    return row


def _describe(prop: PropertySpec, value: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"value": value}
    if prop.writable:
        info["writable"] = True
    if prop.unit:
        info["unit"] = prop.unit
    if prop.range is not None:
        info["range"] = [prop.range.min, prop.range.max] + ([prop.range.step] if prop.range.step else [])
    if prop.choices:
        info["choices"] = [c.description for c in prop.choices]
    return info
