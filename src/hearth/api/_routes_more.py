"""Webhooks, automations, scenes and the copilot, each present when its subsystem runs."""

# Annotations stay evaluated here: FastAPI resolves the `current` user dependency from them.


from typing import Any

from fastapi import APIRouter, Request

from hearth.api._app import ApiError
from hearth.api._users import UserStore
from hearth.core import WebhookReceived
from hearth.hub import Hub

MAX_WEBHOOK_BYTES = 64 * 1024


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

    return api
