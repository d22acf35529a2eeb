"""MQTT devices talk to a fleet through the NATS server's own MQTT listener: no Hearth process in between."""

from __future__ import annotations

import asyncio
import json
import time

import aiomqtt

from hearth.fleet import local_workers, open_db, run_nats_server
from hearth.fleet._admin import put_home
from hearth.fleet._nats import free_port
from hearth.fleet._synthetic import home_yaml

RULES = """\
rules:
  - id: motion_light
    triggers: [{trigger: state, device: hall_motion, property: motion-sensor.motion-state, to: true}]
    actions: [{command: {device: hall_light, property: light.on, value: true}}]
"""


async def test_a_device_reports_and_gets_its_command_over_mqtt(pg_url: str) -> None:
    mqtt_port = free_port()
    config = f"server_name: hearth-test\nmqtt {{ host: 127.0.0.1, port: {mqtt_port} }}\n"
    async with run_nats_server(config) as server, open_db(pg_url, size=2) as db, \
            local_workers(server.url, pg_url, 4, 1):
        await put_home(server.url, db, "alpha", home_yaml(5), RULES)
        async with aiomqtt.Client("127.0.0.1", mqtt_port, identifier="alpha-light") as light, \
                aiomqtt.Client("127.0.0.1", mqtt_port, identifier="alpha-motion") as sensor:
            await light.subscribe("hearth/alpha/cmd/#", qos=1)
            reading = {"i": "m1", "t": round(time.time(), 3), "d": "hall_motion", "s": "motion-sensor",
                       "p": "motion-state", "v": True}
            await sensor.publish("hearth/alpha/in", json.dumps(reading), qos=1)
            async with asyncio.timeout(20):
                message = await anext(light.messages)
    command = json.loads(message.payload)  # type: ignore[arg-type]
    assert str(message.topic) == "hearth/alpha/cmd/hall_light"
    assert (command["s"], command["target"], command["v"], command["id"]) == ("light", "on", True, "m1.motion_light.0")
