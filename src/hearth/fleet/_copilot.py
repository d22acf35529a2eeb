"""Copilot requests on their own queue: `hearth.<home>.ask` (request/reply), served by the `hearth-copilot`
queue group, separately from the partition consumers, so a slow language model never holds up device events.

The copilot plans on a snapshot of the home's stored state; the commands it decides on are sent to the home's
ingress subject as command requests, so the worker that owns the home runs them through the command path, in
order with the home's other events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from hearth.copilot import Copilot
from hearth.core import FakeClock
from hearth.fleet._db import FleetDb
from hearth.fleet._homes import HomeCache, _canonical
from hearth.fleet._messages import CommandRequest, encode
from hearth.fleet._subjects import COPILOT_QUEUE, ingress_subject
from hearth.hub import build_core

log = logging.getLogger(__name__)
MAX_CONCURRENT = 8  # requests in flight per worker; more wait in the subscription's bounded buffer


async def serve_copilot(nc: Client, db: FleetDb, limit: int = MAX_CONCURRENT) -> None:
    """Answer copilot requests until cancelled."""
    cache = HomeCache(db)
    copilots: dict[int, Copilot] = {}
    gate = asyncio.Semaphore(limit)
    js = nc.jetstream()
    async with asyncio.TaskGroup() as tasks:

        async def on_request(msg: Msg) -> None:
            await gate.acquire()
            tasks.create_task(_answer(msg, db, cache, copilots, js, gate), name="copilot request")

        sub = await nc.subscribe("hearth.*.ask", queue=COPILOT_QUEUE, cb=on_request, pending_msgs_limit=1024)
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


async def _answer(msg: Msg, db: FleetDb, cache: HomeCache, copilots: dict[int, Copilot], js: Any,
                  gate: asyncio.Semaphore) -> None:
    try:
        home_id = msg.subject.split(".")[1]
        reply = await ask(home_id, json.loads(msg.data), db, cache, copilots, js)
    except Exception as exc:  # a bad request gets an error reply, never stops the queue
        log.warning("copilot request on %s failed: %s", msg.subject, exc)
        reply = {"status": "error", "reply": str(exc)}
    finally:
        gate.release()
    if msg.reply:
        await msg.respond(json.dumps(reply, ensure_ascii=False, default=str).encode())


async def ask(home_id: str, request: dict[str, Any], db: FleetDb, cache: HomeCache, copilots: dict[int, Copilot],
              js: Any) -> dict[str, Any]:
    """Plan a request on the stored state and forward its commands to the home's worker."""
    rows = await db.load_homes([home_id])
    if not rows:
        return {"status": "error", "reply": f"no home {home_id!r}"}
    home, _rules = await cache._definition(rows[0])
    copilot = copilots.setdefault(id(home), Copilot(home))
    clock = FakeClock(time.time())
    core = build_core(home, clock)
    core[1].load(_canonical(home, rows[0].state))
    actor = copilot.actor_for(str(request["as"])) if request.get("as") else None
    confirm = bool(request.get("confirm", False))
    result = await copilot.ask(str(request.get("text", "")), core, actor, confirm=confirm)
    answer = result.to_json()
    actor = actor or copilot.default_actor()
    for command in result.commands:
        forward = CommandRequest(f"ask-{uuid.uuid4().hex[:12]}", home_id, clock.now(),
                                 {**command, "confirmed": confirm}, actor)
        await js.publish(ingress_subject(home_id), encode(forward), headers={"Nats-Msg-Id": forward.id})
    answer["forwarded"] = len(result.commands)
    return answer
