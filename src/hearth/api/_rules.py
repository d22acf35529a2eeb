"""Automations as the API and MCP see them: listing, traces, switching, adding and scenes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hearth.api._app import ApiError
from hearth.automation import Engine
from hearth.automation._prefs import add_user_rules, set_enabled
from hearth.core import Actor, Command
from hearth.errors import RuleError
from hearth.hub import Hub


def engine_of(hub: Hub) -> Engine:
    """The running automation engine, or 503."""
    engine = hub.services.get("automation")
    if not isinstance(engine, Engine):
        raise ApiError(503, "automations are not running on this hub")
    return engine


def describe_rules(engine: Engine) -> list[dict[str, Any]]:
    """Every rule with its switch and last run."""
    rows = []
    for rule_id, rt in engine.rules.items():
        last = rt.traces[-1].to_dict() if rt.traces else None
        rows.append({"id": rule_id, "name": rt.rule.name, "enabled": rt.enabled, "mode": rt.rule.mode,
                     "description": rt.rule.description,
                     "last_run": {"started": last["started"], "outcome": last["outcome"]} if last else None})
    return rows


def traces(engine: Engine, rule_id: str) -> list[dict[str, Any]]:
    """A rule's last runs, newest first."""
    try:
        return [t.to_dict() for t in reversed(engine.traces(rule_id))]
    except RuleError as exc:
        raise ApiError(404, str(exc)) from None


def switch(engine: Engine, rule_id: str, enabled: bool, data_dir: Path | None) -> dict[str, Any]:
    """Enable or disable a rule now and across restarts."""
    try:
        engine.set_enabled(rule_id, enabled)
    except RuleError as exc:
        raise ApiError(404, str(exc)) from None
    set_enabled(rule_id, enabled, data_dir)
    return {"id": rule_id, "enabled": enabled}


def add_rules(hub: Hub, text: str, data_dir: Path | None) -> list[dict[str, Any]]:
    """Validate rules written in YAML, keep them across restarts and start them; nothing half-loads."""
    engine = engine_of(hub)
    if len(text) > 64 * 1024:
        raise ApiError(413, "rules text is larger than 64 KiB")
    try:
        added = add_user_rules(text, hub.home, data_dir)
        for rule in added.rules:
            if rule.id in engine.rules:
                raise RuleError(f"a rule {rule.id!r} exists already")
    except RuleError as exc:
        raise ApiError(422, str(exc)) from None
    for rule in added.rules:
        engine.add(rule)
    return [row for row in describe_rules(engine) if row["id"] in {r.id for r in added.rules}]


def scenes(engine: Engine) -> list[dict[str, Any]]:
    """The named scenes."""
    return [{"id": s.id, "name": s.name, "states": len(s.commands)} for s in engine.scenes.values()]


async def activate_scene(hub: Hub, scene_id: str, actor: Actor, confirm: bool) -> dict[str, Any]:
    """Apply a scene's target states through the command path as `actor`."""
    engine = engine_of(hub)
    scene = engine.scenes.get(scene_id)
    if scene is None:
        raise ApiError(404, f"no scene {scene_id!r}")
    results = []
    for spec in scene.commands:
        command = Command(spec.device, spec.service, property=spec.property, value=spec.value,
                          action=spec.action, args=dict(spec.args or {}), confirmed=confirm)
        result = await hub.commands.execute(command, actor)
        results.append({"device": spec.device, "ok": result.ok, "message": result.message})
    return {"scene": scene_id, "results": results, "ok": all(r["ok"] for r in results)}
