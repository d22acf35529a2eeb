"""Changing a home's rules while its worker runs: validated first, then applied in order with its events."""

from __future__ import annotations

import asyncio
import time

import pytest

from hearth.errors import HearthError
from hearth.fleet import NatsServer, Reading, connect, encode, ingress_subject, local_workers, open_db
from hearth.fleet._admin import put_home
from hearth.fleet._synthetic import home_yaml

MOTION_ON = """\
rules:
  - id: motion_light
    triggers: [{trigger: state, device: hall_motion, property: motion-sensor.motion-state, to: true}]
    actions: [{command: {device: hall_light, property: light.on, value: true}}]
"""
MOTION_DIM = MOTION_ON.replace("light.on, value: true", "light.brightness, value: 30")


async def test_new_rules_apply_from_their_place_in_the_home_stream(nats_server: NatsServer, pg_url: str) -> None:
    async with open_db(pg_url, size=2) as db, local_workers(nats_server.url, pg_url, 4, 1):
        await put_home(nats_server.url, db, "alpha", home_yaml(5), MOTION_ON)
        nc = await connect(nats_server.url, "test")
        js = nc.jetstream()
        now = time.time()

        async def motion(n: int, value: bool) -> None:
            reading = Reading(f"m{n}", "alpha", round(now + n, 3), "hall_motion", "motion-sensor", "motion-state",
                              value)
            await js.publish(ingress_subject("alpha"), encode(reading))

        async def commands(count: int) -> list[tuple[str, object]]:
            async with asyncio.timeout(20):
                while len(found := (await db.commands_by_home(["alpha"])).get("alpha", [])) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)  # the audit table is where a worker's commands show
            return [(c.target, c.value) for c in found]

        try:
            await motion(1, True)
            assert await commands(1) == [("on", True)]
            with pytest.raises(HearthError, match=r"unknown device 'garage'"):  # a device the home lacks: refused
                await put_home(nats_server.url, db, "alpha", rules_yaml=MOTION_ON.replace("hall_light", "garage"))
            await put_home(nats_server.url, db, "alpha", rules_yaml=MOTION_DIM)
            await motion(2, False)
            await motion(3, True)
            assert await commands(2) == [("on", True), ("brightness", 30)]
        finally:
            await nc.close()
        [row] = await db.load_homes(["alpha"])
        assert row.rules_yaml == MOTION_DIM
