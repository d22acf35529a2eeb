"""HTTP ingress for devices and gateways that cannot speak NATS or MQTT: `POST /homes/{home}/events` with one
reading or a list, each forwarded to `hearth.<home>.in` (JetStream-acknowledged before the reply).

MQTT devices need no ingress process: enable the NATS server's MQTT listener (`mqtt { port: 1883 }` in its
config, with JetStream on) and have devices publish to `hearth/<home>/in`; NATS maps `/` to `.`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from hearth.fleet._messages import Reading, encode
from hearth.fleet._nats import connect
from hearth.fleet._subjects import check_home_id, ingress_subject


class ReadingIn(BaseModel):
    """A reading as posted by a device or gateway."""

    device: str = Field(min_length=1, max_length=128)
    service: str = Field(min_length=1, max_length=128)
    property: str = Field(min_length=1, max_length=256)
    value: bool | int | float | str
    time: float | None = None
    id: str | None = Field(default=None, max_length=128)


def ingest_app(nats_url: str) -> FastAPI:
    """The ingress web app (one NATS connection for its lifetime)."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nc = await connect(nats_url, "hearth-ingest")
        state["js"] = nc.jetstream()
        try:
            yield
        finally:
            await nc.close()

    api = FastAPI(title="Hearth fleet ingress", lifespan=lifespan)

    @api.post("/homes/{home}/events")
    async def post_events(home: str, body: ReadingIn | list[ReadingIn]) -> dict[str, int]:
        try:
            check_home_id(home)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        items = body if isinstance(body, list) else [body]
        js = state["js"]
        for item in items:
            reading = Reading(item.id or uuid.uuid4().hex, home, item.time or time.time(), item.device,
                              item.service, item.property, item.value)
            await js.publish(ingress_subject(home), encode(reading), headers={"Nats-Msg-Id": f"{home}/{reading.id}"})
        return {"accepted": len(items)}

    return api
