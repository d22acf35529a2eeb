"""HTTP ingress for devices and gateways that cannot speak NATS or MQTT: `POST /homes/{home}/events` with one
reading or a list and the home's token, each forwarded to `hearth.<home>.in` (JetStream-acknowledged before the
reply). A token reaches only its own home.

MQTT devices need no ingress process: enable the NATS server's MQTT listener (`mqtt { port: 1883 }` in its
config, with JetStream on) and have devices publish to `hearth/<home>/in`; NATS maps `/` to `.`.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

from hearth.fleet._db import open_db, token_hash
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


def ingest_app(nats_url: str, pg_url: str, token_ttl: float = 60.0) -> FastAPI:
    """The ingress web app (one NATS connection and a small database pool for its lifetime). Every request needs
    `Authorization: Bearer <token>` with a token of the home it posts to (`hearth fleet token HOME`); a token
    once checked is trusted for `token_ttl` seconds."""
    state: dict[str, Any] = {}
    trusted: dict[tuple[str, str], float] = {}  # (home, token hash) → until when

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        nc = await connect(nats_url, "hearth-ingest")
        state["js"] = nc.jetstream()
        try:
            async with open_db(pg_url, size=4) as db:
                state["db"] = db
                yield
        finally:
            await nc.close()

    api = FastAPI(title="Hearth fleet ingress", lifespan=lifespan)

    async def authorise(home: str, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "a home token is required: 'Authorization: Bearer <token>'")
        key, now = (home, token_hash(token.strip())), time.monotonic()
        if trusted.get(key, 0.0) > now:
            return
        if not await state["db"].token_valid(home, token.strip()):
            raise HTTPException(403, f"this token is not one of home {home}'s")
        if len(trusted) > 100_000:
            trusted.clear()
        trusted[key] = now + token_ttl

    @api.post("/homes/{home}/events")
    async def post_events(home: str, body: ReadingIn | list[ReadingIn],
                          authorization: str | None = Header(default=None)) -> dict[str, int]:
        """Forward one reading or a list to the home's stream; answered once JetStream has stored them all."""
        try:
            check_home_id(home)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        await authorise(home, authorization)
        items = body if isinstance(body, list) else [body]
        js = state["js"]
        for item in items:
            reading = Reading(item.id or uuid.uuid4().hex, home, item.time or time.time(), item.device,
                              item.service, item.property, item.value)
            await js.publish(ingress_subject(home), encode(reading), headers={"Nats-Msg-Id": f"{home}/{reading.id}"})
        return {"accepted": len(items)}

    return api
