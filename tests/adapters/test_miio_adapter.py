"""The miio adapter: home-file bindings, polling, commands, pushes and unreachable devices."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from hearth.adapters.miio import MiioAdapter, MiioDeviceSimulator, miot_instance
from hearth.core import SYSTEM, Command, DeviceEvent, FakeClock, StateChanged
from hearth.errors import AdapterError
from hearth.hub import build_core
from hearth.model import Home, builtin_types, parse_home

MOONLIGHT = "miot/miot-spec-doc__philips-moonlight.light.instance.json"
# A fan whose vendor numbers its levels from 1, unlike Hearth's catalog (0 = Low).
FAN_DOC: dict[str, Any] = {
    "type": "urn:miot-spec-v2:device:fan:0000A005:acme-f1:1",
    "services": [{
        "iid": 2, "type": "urn:miot-spec-v2:service:fan:00007808:acme-f1:1",
        "properties": [
            {"iid": 1, "type": "urn:miot-spec-v2:property:on:00000006:acme-f1:1", "format": "bool",
             "access": ["read", "write", "notify"]},
            {"iid": 2, "type": "urn:miot-spec-v2:property:fan-level:00000016:acme-f1:1", "format": "uint8",
             "access": ["read", "write", "notify"],
             "value-list": [{"value": 1, "description": "Low"}, {"value": 2, "description": "Medium"},
                            {"value": 3, "description": "High"}]},
        ],
    }],
}


def home_with(device_yaml: str) -> Home:
    return parse_home(f"devices:\n{device_yaml}", "test.yaml")


class Rig:
    """A home with one miio device bound to a running simulator, the core and the adapter."""

    def __init__(self, home: Home, sim: MiioDeviceSimulator, **adapter_kw: Any) -> None:
        self.home, self.sim = home, sim
        self.clock = FakeClock()
        self.bus, self.state, self.commands = build_core(home, self.clock)
        adapter_kw.setdefault("timeout", 0.5)
        devices = [d for d in home.devices.values() if d.adapter == "miio"]
        self.adapter = MiioAdapter(devices, self.state, self.clock, self.bus, **adapter_kw)
        self.commands.add_adapter(self.adapter)

    async def command(self, **kw: Any) -> tuple[bool, str]:
        result = await self.commands.execute(Command(**kw), SYSTEM)
        return result.ok, result.message

    async def wait_change(self, device: str, service: str, prop: str) -> StateChanged:
        got: asyncio.Future[StateChanged] = asyncio.get_running_loop().create_future()
        remove = self.bus.subscribe_state(lambda e: got.done() or got.set_result(e), device, service, prop)
        try:
            async with asyncio.timeout(2):
                return await got
        finally:
            remove()


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s


async def light_rig(stack: AsyncExitStack, shared_data: Path, **sim_kw: Any) -> Rig:
    sim = await stack.enter_async_context(MiioDeviceSimulator(shared_data / MOONLIGHT, **sim_kw))
    home = home_with(f"""
  - id: lamp
    type: light
    adapter: miio
    binding: {{host: 127.0.0.1, port: {sim.port}, token: {sim.token_hex}, spec: "{shared_data / MOONLIGHT}"}}
""")
    rig = Rig(home, sim)
    await stack.enter_async_context(rig.adapter)
    return rig


async def test_poll_reads_the_device(stack: AsyncExitStack, shared_data: Path) -> None:
    rig = await light_rig(stack, shared_data, values={"light.on": True, "light.brightness": 40,
                                                      "light.color-temperature": 1700})
    assert await rig.adapter.poll("lamp") == 3
    assert rig.state.get("lamp", "light", "on") is True
    assert rig.state.get("lamp", "light", "brightness") == 40
    # Below Hearth's range for a light: kept as the nearest value Hearth accepts.
    assert rig.state.get("lamp", "light", "color-temperature") == 2700


async def test_commands_reach_the_device_and_the_state(stack: AsyncExitStack, shared_data: Path) -> None:
    rig = await light_rig(stack, shared_data)
    assert await rig.command(device="lamp", service="light", property="brightness", value=55) == (True, "ok")
    assert rig.sim.get("light.brightness") == 55
    assert rig.state.get("lamp", "light", "brightness") == 55


async def test_pushes_update_state(stack: AsyncExitStack, shared_data: Path) -> None:
    rig = await light_rig(stack, shared_data)
    async with asyncio.TaskGroup() as tasks:
        runner = tasks.create_task(rig.adapter.run())
        await rig.adapter.poll("lamp")  # the simulator learns where to push
        rig.sim.set("light.brightness", 12)
        change = await rig.wait_change("lamp", "light", "brightness")
        runner.cancel()
    assert (change.new, change.cause) == (12, "miio")


async def test_value_lists_map_by_description(stack: AsyncExitStack) -> None:
    sim = await stack.enter_async_context(MiioDeviceSimulator(FAN_DOC))
    spec_file = Path(await asyncio.to_thread(_write_json, FAN_DOC))
    home = home_with(f"""
  - id: fan
    type: fan
    adapter: miio
    binding: {{host: 127.0.0.1, port: {sim.port}, token: {sim.token_hex}, spec: "{spec_file}"}}
""")
    rig = Rig(home, sim)
    await stack.enter_async_context(rig.adapter)
    assert await rig.command(device="fan", service="fan", property="fan-level", value="High") == (True, "ok")
    assert sim.get("fan.fan-level") == 3
    sim.set("fan.fan-level", 1, push=False)
    await rig.adapter.poll("fan")
    assert rig.state.get("fan", "fan", "fan-level") == "Low"


def _write_json(doc: dict[str, Any]) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
        return f.name


async def test_unreachable_device_is_marked_and_recovers(stack: AsyncExitStack, shared_data: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    rig = await light_rig(stack, shared_data)
    for link in rig.adapter._links.values():
        link.client.timeout, link.client.retries = 0.02, 0
    rig.sim.online = False
    ok, message = await rig.command(device="lamp", service="light", property="on", value=True)
    assert not ok and "lamp is unreachable" in message
    assert not rig.adapter.available("lamp")
    assert rig.state.get("lamp", "light", "on") is False
    assert "unreachable" in caplog.text
    rig.sim.online = True
    assert await rig.adapter.poll("lamp") == 3
    assert rig.adapter.available("lamp")


async def test_device_refusal_is_reported(stack: AsyncExitStack, shared_data: Path) -> None:
    rig = await light_rig(stack, shared_data)
    # Hearth allows 2700 K and up; this lamp accepts them too, so make the device refuse by hand.
    rig.sim._props[rig.sim.address("light.on")] = rig.sim._props[(1, 1)]  # now read-only
    ok, message = await rig.command(device="lamp", service="light", property="on", value=True)
    assert not ok and "cannot be written (code -4002)" in message


async def test_bad_values_from_the_device_change_nothing(stack: AsyncExitStack, shared_data: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    rig = await light_rig(stack, shared_data)
    rig.sim.values[rig.sim.address("light.on")] = "maybe"
    await rig.adapter.poll("lamp")
    assert rig.state.get("lamp", "light", "on") is False
    assert "device sent 'maybe'" in caplog.text


async def test_catalog_layout_works_without_a_spec_file(stack: AsyncExitStack) -> None:
    """With no spec and no cached model, the catalog type's own MIoT layout is used (as the simulator's)."""
    calls: list[tuple[int, int, dict[int, Any]]] = []
    sim = await stack.enter_async_context(MiioDeviceSimulator(
        miot_instance(builtin_types()["vacuum"].spec), on_action=lambda s, si, ai, ins: calls.append((si, ai, ins))))
    home = home_with(f"""
  - id: robot
    type: vacuum
    adapter: miio
    binding: {{host: 127.0.0.1, port: {sim.port}, token: {sim.token_hex}, model: acme.vacuum.none}}
""")
    rig = Rig(home, sim, cache_dir=Path("/nonexistent"))
    await stack.enter_async_context(rig.adapter)
    ok, _ = await rig.command(device="robot", service="vacuum", action="start-room-sweep",
                              args={"clean-area": "kitchen"})
    assert ok and calls == [(2, 4, {3: "kitchen"})]


async def test_events_become_device_events(stack: AsyncExitStack) -> None:
    sim = await stack.enter_async_context(MiioDeviceSimulator(miot_instance(builtin_types()["lock"].spec)))
    home = home_with(f"""
  - id: door
    type: lock
    adapter: miio
    binding: {{host: 127.0.0.1, port: {sim.port}, token: {sim.token_hex}}}
""")
    rig = Rig(home, sim)
    await stack.enter_async_context(rig.adapter)
    events: list[DeviceEvent] = []
    rig.bus.subscribe(DeviceEvent, events.append)
    got = asyncio.Event()
    rig.bus.subscribe(DeviceEvent, lambda e: got.set())
    async with asyncio.TaskGroup() as tasks:
        runner = tasks.create_task(rig.adapter.run())
        await rig.adapter.poll("door")
        sim.emit_event(2, 1, {2: 1, 3: 2})  # Unlock by Fingerprint
        async with asyncio.timeout(2):
            await got.wait()
        runner.cancel()
    assert events[0].event == "lock-event"
    assert dict(events[0].arguments) == {"lock-action": "Unlock", "operation-method": "Fingerprint"}


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        ("{token: 00112233445566778899aabbccddeeff}", "needs `host`"),
        ("{host: 10.0.0.2, token: abc}", "needs `token`"),
        ("{host: 10.0.0.2, token: 00112233445566778899aabbccddeeff, colour: red}", "unknown keys"),
        ("{host: 10.0.0.2, token: 00112233445566778899aabbccddeeff, spec: /nope.json}", "cannot read MIoT spec"),
    ],
)
def test_bad_bindings_are_clear(binding: str, message: str) -> None:
    home = home_with(f"  - {{id: lamp, type: light, adapter: miio, binding: {binding}}}\n")
    with pytest.raises(AdapterError, match=message):
        MiioAdapter(home.devices.values(), build_core(home, FakeClock())[1], FakeClock())


async def test_hub_starts_the_adapter_for_bound_devices(stack: AsyncExitStack, shared_data: Path) -> None:
    import hearth.adapters.miio.hub  # noqa: F401  (registers the starter; the hub's list names it too)
    from hearth.hub import HubConfig, open_hub

    sim = await stack.enter_async_context(MiioDeviceSimulator(shared_data / MOONLIGHT, values={"light.on": True}))
    home = home_with(f"""
  - id: lamp
    type: light
    adapter: miio
    binding: {{host: 127.0.0.1, port: {sim.port}, token: {sim.token_hex}, spec: "{shared_data / MOONLIGHT}"}}
""")
    clock = FakeClock()
    async with open_hub(HubConfig(home=home, clock=clock, simulate=False)) as hub:
        adapter = hub.services["miio"]
        assert await adapter.poll("lamp") == 3
        assert hub.state.get("lamp", "light", "on") is True
        result = await hub.execute(Command("lamp", "light", property="brightness", value=20), SYSTEM)
        assert result.ok and sim.get("light.brightness") == 20
