"""Batch evaluation: each request runs on a fresh copy of the home (setup applied first, then undone)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from hearth.copilot._copilot import AskResult, Copilot
from hearth.copilot._llm_client import LLMConfig
from hearth.core import Actor, FakeClock, StateChanged
from hearth.errors import CopilotError, SpecError
from hearth.hub import build_core
from hearth.model import Home, Value

StateKey = tuple[str, str, str]


def setup_values(home: Home, setup: Any) -> dict[StateKey, Value]:
    """Read a `setup` field: {device: {"service.prop" | "prop": value}} or [{device, service, property, value}]."""
    items: list[tuple[str, str, str | None, Any]] = []
    if isinstance(setup, Mapping):
        for dev_id, props in setup.items():
            if not isinstance(props, Mapping):
                raise CopilotError(f"setup for {dev_id!r} must map property names to values")
            items.extend((str(dev_id), str(name), None, value) for name, value in props.items())
    elif isinstance(setup, list):
        for entry in setup:
            if not isinstance(entry, Mapping) or "device" not in entry or "property" not in entry:
                raise CopilotError("each setup entry needs device, property and value")
            items.append((str(entry["device"]), str(entry["property"]), entry.get("service"), entry.get("value")))
    elif setup is not None:
        raise CopilotError("setup must be a mapping or a list")
    values: dict[StateKey, Value] = {}
    for dev_id, name, service, value in items:
        device = home.devices.get(dev_id)
        if device is None:
            raise CopilotError(f"setup names unknown device {dev_id!r}")
        try:
            if service is not None:
                prop = device.spec.property(str(service), name)
                svc = str(service)
            else:
                svc, prop = device.spec.find(name)
            values[(dev_id, svc, prop.name)] = prop.validate(value)
        except SpecError as exc:
            raise CopilotError(f"setup for {dev_id}: {exc}") from None
    return values


class Sandbox:
    """One core for many requests; after each request every changed value is put back (O(changes), not O(home))."""

    def __init__(self, home: Home, copilot: Copilot | None = None, llm: LLMConfig | None = None) -> None:
        self.home = home
        self.copilot = copilot or Copilot(home)
        self.llm = llm
        self.clock = FakeClock(0.0)
        self.core = build_core(home, self.clock)
        self._initial: dict[StateKey, Value] = dict(self.core[1].values)
        self._touched: set[StateKey] = set()
        self.core[0].subscribe(StateChanged, lambda ev: self._touched.add((ev.device, ev.service, ev.property)))
        # The index and the initial state live as long as the sandbox: keep the collector from rescanning them.
        gc.collect()
        gc.freeze()

    def reset(self) -> None:
        """Bring every touched value back to the home's initial state."""
        if self._touched:
            self.core[1].load({k: self._initial[k] for k in self._touched if k in self._initial})
            self._touched.clear()

    async def ask(self, text: str, setup: Any = None, actor: Actor | None = None, confirm: bool = False) -> AskResult:
        """Answer one request from the initial state plus `setup`."""
        self.reset()
        try:
            values = setup_values(self.home, setup)
            for (dev, svc, prop), value in values.items():
                self.core[1].apply(dev, svc, prop, value, cause="setup")
            return await self.copilot.ask(text, self.core, actor, confirm=confirm)
        finally:
            self.reset()


    async def answer(self, text: str, setup: Any = None, actor: Actor | None = None,
                     confirm: bool = False) -> dict[str, Any]:
        """Like `ask`, as JSON; with an LLM configured, requests the offline reading misses go to the agent."""
        if self.llm is None:
            return (await self.ask(text, setup, actor, confirm)).to_json()
        from hearth.copilot._service import answer

        self.reset()
        try:
            for (dev, svc, prop), value in setup_values(self.home, setup).items():
                self.core[1].apply(dev, svc, prop, value, cause="setup")
            return await answer(self.copilot, text, self.core, actor, confirm=confirm, llm=self.llm)
        finally:
            self.reset()


def read_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Parse JSONL requests; yields (line number, request or None, error text)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: not JSON ({exc.msg})"
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            yield number, None, f"line {number}: needs a \"text\" string"
            continue
        yield number, item, ""


async def run_batch(sandbox: Sandbox, lines: Iterable[str], actor: Actor | None = None,
                    confirm: bool = False) -> list[dict[str, Any]]:
    """Answer every JSONL request; each output object carries the request id."""
    out: list[dict[str, Any]] = []
    for number, item, error in read_lines(lines):
        if item is None:
            out.append({"id": number, "text": "", "lang": "en", "status": "error", "intent": None, "slots": {},
                        "commands": [], "changes": [], "reply": error})
            continue
        who = sandbox.copilot.actor_for(str(item["as"])) if item.get("as") else actor
        try:
            obj = await sandbox.answer(item["text"], item.get("setup"), who, bool(item.get("confirm", confirm)))
        except CopilotError as exc:
            obj = {"text": item["text"], "lang": "en", "status": "error", "intent": None, "slots": {},
                   "commands": [], "changes": [], "reply": str(exc)}
        out.append({"id": item.get("id", number), **obj})
    return out
