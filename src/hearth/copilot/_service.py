"""The copilot as a hub service: offline understanding first, the optional LLM agent when words don't match."""

from __future__ import annotations

from typing import Any

from hearth.copilot._copilot import AskResult, Copilot
from hearth.copilot._llm import run_agent
from hearth.copilot._llm_client import LLMConfig
from hearth.core import Actor, Bus, CommandPath, StateChanged, StateStore
from hearth.errors import CopilotError
from hearth.model import Home


class CopilotService:
    """Answers requests for one running hub, as the asking actor, through the hub's command path."""

    def __init__(self, home: Home, bus: Bus, state: StateStore, commands: CommandPath,
                 llm: LLMConfig | None = None) -> None:
        self.copilot = Copilot(home)
        self.home = home
        self._core = (bus, state, commands)
        self.llm = llm

    async def ask(self, text: str, actor: Actor, *, confirm: bool = False) -> dict[str, Any]:
        """Understand and carry out one request; returns the `hearth ask --json` shape."""
        result = await self.copilot.ask(text, self._core, actor, confirm=confirm)
        if self.llm is not None and _not_understood(result):
            return await self._ask_llm(text, result, actor)
        return _with_flags(result)

    async def _ask_llm(self, text: str, offline: AskResult, actor: Actor) -> dict[str, Any]:
        assert self.llm is not None
        bus, state, commands = self._core
        changes: list[dict[str, Any]] = []

        def record(ev: StateChanged) -> None:
            changes.append({"device": ev.device, "service": ev.service, "property": ev.property, "old": ev.old,
                            "new": ev.new})

        remove = bus.subscribe(StateChanged, record)
        try:
            agent = await run_agent(text, offline.lang, self.home, state, commands,
                                    Actor("copilot", actor.id, actor.role), self.llm)
        except CopilotError as exc:
            return {**offline.to_json(), "status": "error", "reply": str(exc), "needs_confirmation": False}
        finally:
            remove()
        answer = agent.as_dict()
        return {"text": text, "lang": offline.lang, "status": answer.get("status", "error"),
                "intent": "HearthLLM", "slots": {}, "commands": answer.get("commands", []), "changes": changes,
                "reply": answer.get("reply", ""), "needs_confirmation": bool(answer.get("pending")),
                "llm": answer.get("llm", {})}


def _not_understood(result: AskResult) -> bool:
    # Hand over to the model only when the offline reading found no intent at all; a considered refusal
    # ("this home has no aromatherapy", "150% is out of range") stays a refusal.
    if result.intent == "HearthRuleFromText":
        return False
    return result.status == "unsupported" or (result.status == "refused" and result.intent is None)


def _with_flags(result: AskResult) -> dict[str, Any]:
    view = result.to_json()
    view["needs_confirmation"] = bool(result.slots.get("needs_confirmation"))
    return view
