"""The copilot as a hub service: offline understanding first, the optional LLM agent when words don't match."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hearth.copilot._copilot import AskResult, Copilot, Core
from hearth.copilot._llm import run_agent
from hearth.copilot._llm_client import LLMConfig
from hearth.copilot._rules_text import TextRules
from hearth.core import Actor, Bus, CommandPath, StateChanged, StateStore
from hearth.errors import CopilotError, RuleError
from hearth.model import Home


async def answer(copilot: Copilot, text: str, core: Core, actor: Actor | None = None, *, confirm: bool = False,
                 llm: LLMConfig | None = None) -> dict[str, Any]:
    """One request, offline first and then (when configured and nothing matched) the LLM agent; the JSON shape."""
    result = await copilot.ask(text, core, actor, confirm=confirm)
    if llm is not None and not_understood(result):
        return await _ask_llm(copilot, text, result, core, actor or copilot.default_actor(), llm)
    return with_flags(result)


async def _ask_llm(copilot: Copilot, text: str, offline: AskResult, core: Core, actor: Actor,
                   llm: LLMConfig) -> dict[str, Any]:
    bus, state, commands = core
    changes: list[dict[str, Any]] = []

    def record(ev: StateChanged) -> None:
        changes.append({"device": ev.device, "service": ev.service, "property": ev.property, "old": ev.old,
                        "new": ev.new})

    remove = bus.subscribe(StateChanged, record)
    try:
        agent = await run_agent(text, offline.lang, copilot.home, state, commands,
                                Actor("copilot", actor.id, actor.role), llm)
    except CopilotError as exc:
        return {**offline.to_json(), "status": "error", "reply": str(exc), "needs_confirmation": False}
    finally:
        remove()
    reply = agent.as_dict()
    return {"text": text, "lang": offline.lang, "status": reply.get("status", "error"),
            "intent": "HearthLLM", "slots": {}, "commands": reply.get("commands", []), "changes": changes,
            "reply": reply.get("reply", ""), "needs_confirmation": bool(reply.get("pending")),
            "llm": reply.get("llm", {})}


class CopilotService:
    """Answers requests for one running hub, as the asking actor, through the hub's command path."""

    def __init__(self, home: Home, bus: Bus, state: StateStore, commands: CommandPath,
                 llm: LLMConfig | None = None, engine: Any = None, data_dir: Path | None = None,
                 perception: Any = None) -> None:
        self.home = home
        self.engine = engine
        self.perception = perception
        self.data_dir = data_dir
        self.copilot = Copilot(home, scenes=self._scenes if engine is not None else None)
        if engine is not None:
            self.copilot.rule_hook = TextRules(self.copilot, sink=self._add_rule)
        self._core = (bus, state, commands)
        self.llm = llm

    async def ask(self, text: str, actor: Actor, *, confirm: bool = False) -> dict[str, Any]:
        """Understand and carry out one request; returns the `hearth ask --json` shape."""
        return await answer(self.copilot, text, self._core, actor, confirm=confirm, llm=self.llm)

    def _scenes(self) -> Mapping[str, Any]:
        return dict(getattr(self.engine, "scenes", {}))

    async def _add_rule(self, rule: Mapping[str, Any], source: str, camera_rules: list[dict[str, Any]]) -> str:
        """Keep a confirmed rule (and the camera rules it listens to) across restarts and start them now."""
        from hearth.automation._prefs import add_user_rules

        add = getattr(self.engine, "add", None)
        if add is None:
            raise RuleError("this hub's automation engine cannot take new rules while it runs")
        if rule["id"] in getattr(self.engine, "rules", {}):
            return str(rule["id"])  # the same sentence confirmed twice: the rule is there already
        if camera_rules:
            self._add_camera_rules(camera_rules)
        added = add_user_rules(source, self.home, self.data_dir)
        for compiled in added.rules:
            add(compiled)
        return str(rule["id"])


    def _add_camera_rules(self, camera_rules: list[dict[str, Any]]) -> None:
        from hearth.perception._service import keep_camera_rules

        if self.perception is None:
            raise RuleError("no camera is running on this hub, so a camera rule cannot start")
        for parsed in keep_camera_rules(camera_rules, self.home, self.data_dir):
            self.perception.add_rule(parsed)


def not_understood(result: AskResult) -> bool:
    """Whether the offline reading found no intent at all (the LLM's turn)."""
    # A considered refusal ("this home has no aromatherapy", "150% is out of range") stays a refusal.
    if result.intent == "HearthRuleFromText":
        return False
    return result.status == "unsupported" or (result.status == "refused" and result.intent is None)


def with_flags(result: AskResult) -> dict[str, Any]:
    """The JSON shape plus `needs_confirmation`."""
    view = result.to_json()
    view["needs_confirmation"] = bool(result.slots.get("needs_confirmation"))
    return view
