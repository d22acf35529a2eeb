"""Every trigger type fires when it should, and only then."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hearth.core import DeviceEvent, HubStarted, PerceptionDetected, WebhookReceived

from .conftest import NOON, rig

LIGHT_ON = "actions: [{command: {device: porch_light, property: light.on, value: true}}]"
TZ = ZoneInfo("Asia/Shanghai")


def rule(trigger: str, extra: str = "") -> str:
    return f"- id: r\n  mode: parallel\n  triggers:\n    - {trigger}\n{extra}  {LIGHT_ON}\n"


async def test_state_trigger_from_to() -> None:
    text = rule("{trigger: state, device: alice_watch, property: sleep.state, from: Awake, to: [Deep Sleep, REM]}")
    async with rig(text) as r:
        r.set("alice_watch", "sleep.state", "Light Sleep")  # to does not match
        r.set("alice_watch", "sleep.state", "Deep Sleep")  # from does not match
        assert r.outcomes("r") == []
        r.set("alice_watch", "sleep.state", "Awake")
        r.set("alice_watch", "sleep.state", "REM")
        assert r.outcomes("r") == ["done"]
        assert r.engine.traces("r")[0].trigger["to"] == "REM"


async def test_state_trigger_any_change_of_several_devices() -> None:
    async with rig(rule("{trigger: state, device: [alice, bob], property: presence.at-home}")) as r:
        r.set("bob", "presence.at-home", False)
        r.set("mia", "presence.at-home", False)
        r.set("alice", "presence.at-home", False)
        assert [t.trigger["device"] for t in r.engine.traces("r")] == ["bob", "alice"]


async def test_state_trigger_for_fires_after_the_state_held() -> None:
    text = rule("{trigger: state, device: front_door_sensor, property: magnet-sensor.open, to: true, for: 5m}")
    async with rig(text) as r:
        r.set("front_door_sensor", "magnet-sensor.open", True)
        await r.clock.run_for(299)
        assert r.outcomes("r") == []
        await r.clock.run_for(2)
        assert r.outcomes("r") == ["done"]


async def test_state_trigger_for_is_broken_by_a_change_back() -> None:
    text = rule("{trigger: state, device: front_door_sensor, property: magnet-sensor.open, to: true, for: 5m}")
    async with rig(text) as r:
        r.set("front_door_sensor", "magnet-sensor.open", True)
        await r.clock.run_for(200)
        r.set("front_door_sensor", "magnet-sensor.open", False)
        await r.clock.run_for(600)
        assert r.outcomes("r") == []


async def test_numeric_trigger_fires_on_crossing_only() -> None:
    text = rule("{trigger: numeric, device: kids_climate, property: environment.temperature, above: 26}")
    async with rig(text) as r:
        r.set("kids_climate", "environment.temperature", 27)
        r.set("kids_climate", "environment.temperature", 28)  # still above: no new crossing
        r.set("kids_climate", "environment.temperature", 25)
        r.set("kids_climate", "environment.temperature", 26.5)
        assert r.outcomes("r") == ["done", "done"]


async def test_numeric_trigger_with_for_and_range() -> None:
    text = rule("{trigger: numeric, device: kids_climate, property: environment.temperature, above: 18, below: 20, "
                "for: 10m}")
    async with rig(text) as r:
        r.set("kids_climate", "environment.temperature", 19)
        await r.clock.run_for(300)
        r.set("kids_climate", "environment.temperature", 19.5)  # still inside: keeps holding
        await r.clock.run_for(301)
        assert r.outcomes("r") == ["done"]


async def test_time_trigger_fires_daily_at_local_time() -> None:
    async with rig(rule("{trigger: time, at: ['13:00', '23:00']}")) as r:
        await r.clock.run_for(36 * 3600)
        times = [dt.datetime.fromtimestamp(t.started, TZ).strftime("%d %H:%M") for t in r.engine.traces("r")]
        assert times == ["01 13:00", "01 23:00", "02 13:00", "02 23:00"]


async def test_cron_and_time_pattern_triggers() -> None:
    text = ("- id: c\n  triggers: [{trigger: cron, cron: '*/15 12 * * *'}]\n  " + LIGHT_ON + "\n"
            "- id: p\n  triggers: [{trigger: time_pattern, minutes: '/30', seconds: 0}]\n  " + LIGHT_ON + "\n")
    async with rig(text) as r:
        await r.clock.run_for(3600)
        assert len(r.engine.traces("c")) == 3  # 12:15, 12:30, 12:45 (12:00 is now, not after)
        assert len(r.engine.traces("p")) == 2  # 12:30, 13:00


async def test_sun_trigger_with_offset_at_the_home_location() -> None:
    async with rig(rule("{trigger: sun, event: sunset, offset: '-00:30'}")) as r:
        await r.clock.run_for(12 * 3600)
        fired = r.engine.traces("r")
        assert len(fired) == 1
        local = dt.datetime.fromtimestamp(fired[0].started, TZ)
        assert (local.hour, local.minute // 10) in ((16, 3), (16, 4))  # Shanghai sunset ≈ 17:05 in January


async def test_zone_trigger_enter_and_leave_from_coordinates() -> None:
    text = ("- id: enter\n  mode: parallel\n  triggers: [{trigger: zone, device: alice, zone: office, event: enter}]"
            "\n  " + LIGHT_ON + "\n- id: leave\n  triggers: [{trigger: zone, device: car, event: leave}]\n  "
            + LIGHT_ON + "\n")
    async with rig(text) as r:
        r.set("alice", "location.latitude", 31.2397)
        r.set("alice", "location.longitude", 121.4998)
        assert r.outcomes("enter") == ["done"]
        assert r.engine.traces("enter")[0].trigger["zone"] == "office"
        r.set("car", "Vehicle.CurrentLocation.Latitude", 31.26)  # ~3 km north of home
        assert r.outcomes("leave") == ["done"]


async def test_distance_trigger_car_within_2km() -> None:
    async with rig(rule("{trigger: distance, device: car, below: 2}")) as r:
        r.set("car", "Vehicle.CurrentLocation.Latitude", 31.30)
        r.set("car", "Vehicle.CurrentLocation.Latitude", 31.25)  # ~2.2 km
        assert r.outcomes("r") == []
        r.set("car", "Vehicle.CurrentLocation.Latitude", 31.245)  # ~1.6 km
        r.set("car", "Vehicle.CurrentLocation.Latitude", 31.24)
        assert r.outcomes("r") == ["done"]
        assert 1.5 < r.engine.traces("r")[0].trigger["distance_km"] < 1.8


async def test_device_event_trigger_matches_event_and_arguments() -> None:
    text = rule("{trigger: event, device: front_door_lock, event: lock-event, arguments: {lock-action: Unlock}}")
    async with rig(text) as r:
        r.bus.publish(DeviceEvent(NOON, "front_door_lock", "lock", "lock-event", {"lock-action": "Lock"}))
        r.bus.publish(DeviceEvent(NOON, "front_door_lock", "lock", "lock-event", {"lock-action": "Unlock"}))
        r.bus.publish(DeviceEvent(NOON, "doorbell", "doorbell", "ring"))
        assert r.outcomes("r") == ["done"]


async def test_perception_webhook_and_hub_start_triggers() -> None:
    text = ("- id: cam\n  triggers: [{trigger: perception, camera: front_camera, kind: person, min_count: 2}]\n  "
            + LIGHT_ON + "\n- id: hook\n  triggers: [{trigger: webhook, webhook: garden}]\n  " + LIGHT_ON + "\n"
            "- id: boot\n  triggers: [{trigger: hub_start}]\n  " + LIGHT_ON + "\n")
    async with rig(text) as r:
        r.bus.publish(PerceptionDetected(NOON, "front_camera", "person", count=1))
        r.bus.publish(PerceptionDetected(NOON, "front_camera", "person", count=2))
        r.bus.publish(WebhookReceived(NOON, "other"))
        r.bus.publish(WebhookReceived(NOON, "garden", {"rain": True}))
        r.bus.publish(HubStarted(NOON))
        assert (r.outcomes("cam"), r.outcomes("hook"), r.outcomes("boot")) == (["done"], ["done"], ["done"])
        assert r.engine.traces("hook")[0].trigger["payload"] == {"rain": True}


async def test_dispatch_is_keyed_and_detaches_cleanly() -> None:
    text = rule("{trigger: state, device: porch_light, property: light.brightness, to: 20}")
    async with rig(text) as r:
        before = r.engine.wiring.watched()
        r.set("porch_light", "light.brightness", 30)
        r.set("living_floor_lamp", "light.brightness", 20)
        assert r.outcomes("r") == []
        r.engine.set_enabled("r", False)
        assert r.engine.wiring.watched() == before - 1
        r.set("porch_light", "light.brightness", 20)
        assert r.outcomes("r") == []
        r.engine.set_enabled("r", True)
        r.set("porch_light", "light.brightness", 40)
        r.set("porch_light", "light.brightness", 20)
        assert r.outcomes("r") == ["done"]
