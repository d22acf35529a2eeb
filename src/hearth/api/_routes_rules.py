"""Automations and scenes over REST."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hearth.api import _rules
from hearth.api._access import actor_for, can_edit_rules
from hearth.api._app import ApiError
from hearth.api._users import User
from hearth.hub import Hub


class RulesBody(BaseModel):
    """Rules written in Hearth's YAML (a list of rules, or a mapping with `rules`)."""

    model_config = ConfigDict(extra="forbid")
    yaml: str = Field(min_length=1, max_length=65536)


class SceneBody(BaseModel):
    """Options for applying a scene."""

    model_config = ConfigDict(extra="forbid")
    confirm: bool = False


def router(hub: Hub, current: Any, data_dir: Path | None) -> APIRouter:
    """Routes under /api for rules, traces and scenes."""
    api = APIRouter(prefix="/api", tags=["automations"])

    def editor(user: User) -> None:
        if not can_edit_rules(user):
            raise ApiError(403, f"a {user.role} may not change automations")

    @api.get("/rules")
    async def list_rules(user: current) -> list[dict[str, Any]]:
        """Every automation with its switch and last run."""
        return _rules.describe_rules(_rules.engine_of(hub))

    @api.post("/rules", status_code=201)
    async def add_rules(body: RulesBody, user: current) -> list[dict[str, Any]]:
        """Add automations written in YAML; validated against the home before anything changes."""
        editor(user)
        return _rules.add_rules(hub, body.yaml, data_dir)

    @api.get("/rules/{rule_id}/traces")
    async def rule_traces(rule_id: str, user: current) -> list[dict[str, Any]]:
        """A rule's last runs: why it fired, each condition and each action."""
        return _rules.traces(_rules.engine_of(hub), rule_id)

    @api.post("/rules/{rule_id}/enable")
    async def enable(rule_id: str, user: current) -> dict[str, Any]:
        """Switch a rule on (kept across restarts)."""
        editor(user)
        return _rules.switch(_rules.engine_of(hub), rule_id, True, data_dir)

    @api.post("/rules/{rule_id}/disable")
    async def disable(rule_id: str, user: current) -> dict[str, Any]:
        """Switch a rule off (kept across restarts)."""
        editor(user)
        return _rules.switch(_rules.engine_of(hub), rule_id, False, data_dir)

    @api.get("/scenes")
    async def list_scenes(user: current) -> list[dict[str, Any]]:
        """Named scenes."""
        return _rules.scenes(_rules.engine_of(hub))

    @api.post("/scenes/{scene_id}/activate")
    async def activate(scene_id: str, user: current, body: SceneBody | None = None) -> dict[str, Any]:
        """Apply a scene through the command path as the caller."""
        return await _rules.activate_scene(hub, scene_id, actor_for(user), bool(body and body.confirm))

    return api
