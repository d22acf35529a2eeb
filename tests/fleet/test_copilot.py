"""Copilot requests on their own queue (`hearth.<home>.ask`): answered from the stored state, and the commands
they decide on reach the home's worker through its stream, to run through the command path."""

from __future__ import annotations

import asyncio
import json

from hearth.fleet import NatsServer, connect, local_workers, open_db
from hearth.fleet._admin import put_home
from hearth.fleet._synthetic import home_yaml


async def test_a_spoken_command_is_answered_and_carried_out_by_the_home_s_worker(nats_server: NatsServer,
                                                                                 pg_url: str) -> None:
    async with open_db(pg_url, size=2) as db, local_workers(nats_server.url, pg_url, 4, 1):
        await put_home(nats_server.url, db, "alpha", home_yaml(5), "rules: []\n")
        nc = await connect(nats_server.url, "test")
        try:
            reply = await nc.request("hearth.alpha.ask", json.dumps({"text": "turn on the hall light"}).encode(),
                                     timeout=20)
            answer = json.loads(reply.data)
            other = json.loads((await nc.request("hearth.nowhere.ask", b'{"text": "hi"}', timeout=20)).data)
        finally:
            await nc.close()
        assert answer["forwarded"] == 1, answer
        assert other["status"] == "error" and "nowhere" in other["reply"]
        async with asyncio.timeout(20):
            while not (done := (await db.commands_by_home(["alpha"])).get("alpha")):  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # the worker runs the forwarded command with the home's events
    [command] = done
    assert (command.device, command.service, command.target, command.value) == ("hall_light", "light", "on", True)
    assert command.actor.startswith("person:")
