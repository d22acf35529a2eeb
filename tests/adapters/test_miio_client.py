"""The miIO client against the protocol simulator over UDP loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from hearth.adapters.miio import (
    DeviceRefused,
    DeviceUnreachable,
    MiioClient,
    MiioDeviceSimulator,
    Push,
    miot_instance,
)
from hearth.model import builtin_types

VACUUM = miot_instance(builtin_types()["vacuum"].spec)


@pytest.fixture
async def light() -> AsyncIterator[MiioDeviceSimulator]:
    async with MiioDeviceSimulator(miot_instance(builtin_types()["light"].spec), did=77) as sim:
        yield sim


def client_for(sim: MiioDeviceSimulator, **kw: Any) -> MiioClient:
    kw.setdefault("timeout", 0.5)
    return MiioClient(sim.host, sim.token_hex, port=sim.port, **kw)


async def next_push(client: MiioClient) -> Push:
    async with asyncio.timeout(2):
        return await anext(aiter(client.pushes()))


async def test_hello_learns_did_and_stamp(light: MiioDeviceSimulator) -> None:
    async with client_for(light) as client:
        header = await client.hello()
    assert header.did == 77 and header.stamp >= 0x5F000000
    assert client.did == 77


async def test_get_and_set_properties(light: MiioDeviceSimulator) -> None:
    on, brightness = light.address("light.on"), light.address("light.brightness")
    async with client_for(light) as client:
        written = await client.set_properties([(*on, True), (*brightness, 42)])
        assert [r.code for r in written] == [0, 0]
        read = await client.get_properties([on, brightness])
    assert [(r.code, r.value) for r in read] == [(0, True), (0, 42)]
    assert light.get("light.brightness") == 42


async def test_per_property_codes(light: MiioDeviceSimulator) -> None:
    async with client_for(light) as client:
        results = await client.set_properties([(2, 99, 1), (1, 1, "x"), (*light.address("light.brightness"), 500)])
    assert [r.code for r in results] == [-4003, -4002, -4005]


async def test_action_passes_inputs_and_returns_out() -> None:
    seen: list[dict[int, Any]] = []

    def hook(sim: MiioDeviceSimulator, siid: int, aiid: int, inputs: dict[int, Any]) -> Mapping[int, Any]:
        seen.append(inputs)
        return {1: 1}

    async with MiioDeviceSimulator(VACUUM, on_action=hook) as sim, client_for(sim) as client:
        result = await client.action(2, 4, [(3, "kitchen")])
        assert result["code"] == 0 and result["out"] == [{"piid": 1, "value": 1}]
        with pytest.raises(DeviceRefused, match="arguments"):
            await client.action(2, 4, [])
        with pytest.raises(DeviceRefused, match="does not exist"):
            await client.action(2, 42)
    assert seen == [{3: "kitchen"}]


async def test_unknown_method_is_a_clear_refusal(light: MiioDeviceSimulator) -> None:
    async with client_for(light) as client:
        with pytest.raises(DeviceRefused, match="does not know this method") as info:
            await client.send("set_rainbow", [])
    assert info.value.code == -32601


async def test_a_lost_request_is_retried(light: MiioDeviceSimulator) -> None:
    light.drop_next(1)
    async with client_for(light, timeout=0.05, retries=2) as client:
        (result,) = await client.get_properties([light.address("light.on")])
    assert result.code == 0
    assert light.requests == 1


async def test_silent_device_is_unreachable(light: MiioDeviceSimulator) -> None:
    light.online = False
    async with client_for(light, timeout=0.02, retries=1) as client:
        with pytest.raises(DeviceUnreachable, match="did not answer"):
            await client.get_properties([(2, 1)])


async def test_pushes_are_acknowledged_and_deduplicated() -> None:
    spec = miot_instance(builtin_types()["light"].spec)
    async with MiioDeviceSimulator(spec, push_copies=3) as sim, client_for(sim) as client:
        await client.hello()
        await client.get_properties([sim.address("light.on")])  # the device now knows where to push
        sim.set("light.brightness", 30)
        first = await next_push(client)
        sim.set("light.brightness", 31)
        second = await next_push(client)
        async with asyncio.timeout(2):
            await sim.wait_acknowledged(first.id)
            await sim.wait_acknowledged(second.id)
    assert first.method == "properties_changed"
    assert first.params[0]["value"] == 30
    assert second.params[0]["value"] == 31 and second.id != first.id


async def test_write_to_notifying_property_pushes_change(light: MiioDeviceSimulator) -> None:
    async with client_for(light) as client:
        await client.set_properties([(*light.address("light.on"), True)])
        push = await next_push(client)
    assert push.params == [{"did": "77", "siid": 2, "piid": 1, "value": True}]


async def test_packets_with_another_token_are_ignored(light: MiioDeviceSimulator) -> None:
    async with MiioClient(light.host, "ffeeddccbbaa99887766554433221100", port=light.port, timeout=0.02,
                          retries=0) as client:
        await client.hello()  # hello carries no secret, so it still answers
        with pytest.raises(DeviceUnreachable):
            await client.get_properties([(2, 1)])
    assert light.requests == 0
