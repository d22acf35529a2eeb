"""Webhooks, automations, scenes and the copilot, each present when its subsystem runs."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.


from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from hearth.api._access import actor_for
from hearth.api._app import ApiError
from hearth.api._users import UserStore
from hearth.core import WebhookReceived
from hearth.hub import Hub

MAX_WEBHOOK_BYTES = 64 * 1024


class AskBody(BaseModel):
    """A request to the copilot."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)
    confirm: bool = False


def router(hub: Hub, users: UserStore, current: Any) -> APIRouter:
    """Routes under /api that reach other subsystems."""
    api = APIRouter(prefix="/api")

    @api.post("/webhooks/{webhook_id}", tags=["automations"])
    async def webhook(webhook_id: str, request: Request) -> dict[str, bool]:
        """Receive a webhook (JSON object body, ≤ 64 KiB) and hand it to the automations."""
        if not webhook_id.replace("-", "").replace("_", "").isalnum() or len(webhook_id) > 100:
            raise ApiError(404, "unknown webhook")
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BYTES:
            raise ApiError(413, f"webhook body is larger than {MAX_WEBHOOK_BYTES} bytes")
        payload: dict[str, Any] = {}
        if body:
            try:
                import json

                parsed = json.loads(body)
            except ValueError:
                raise ApiError(400, "webhook body must be JSON") from None
            if not isinstance(parsed, dict):
                raise ApiError(400, "webhook body must be a JSON object")
            payload = parsed
        hub.bus.publish(WebhookReceived(hub.clock.now(), webhook_id, payload))
        return {"ok": True}

    @api.post("/copilot/ask", tags=["copilot"])
    async def ask(body: AskBody, user: current) -> dict[str, Any]:
        """Ask the copilot in 中文 or English; it acts as you, and risky actions come back for confirmation."""
        copilot = hub.services.get("copilot")
        if copilot is None:
            raise ApiError(503, "the copilot is not running on this hub")
        answer: dict[str, Any] = await copilot.ask(body.text, actor_for(user), confirm=body.confirm)
        return answer

    return api
