"""A day of the digital twin with camera rules: the gate keeps the vision model to the moments with motion."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hearth.adapters.simulator import Twin
from hearth.core import Bus, FakeClock, PerceptionDetected, StateStore, SystemClock
from hearth.hub import build_core, load_home_or_demo
from hearth.model import parse_home
from hearth.perception import Answer, CameraRule, PerceptionService, camera_rules_for, camera_settings
from tests.perception.conftest import inline

DAY = 12 * 3600.0  # 06:00-18:00: the household leaves and comes back through the front door
FIXED_CADENCE_S = 2.0  # what a camera that asks a model every 2 seconds would cost


class TwinAsker:
    """Answers like a good vision model would: yes when the twin has someone in the entrance."""

    def __init__(self, twin: Twin, clock: FakeClock) -> None:
        self.twin, self.clock = twin, clock
        self.times: list[float] = []

    async def ask(self, question: str, jpeg: bytes) -> Answer:
        self.times.append(self.clock.now())
        here = [p for p in self.twin.home.people if self.twin.state.get(p, "presence", "area") == "entrance"]
        return Answer(bool(here), f"{len(here)} people at the door", 0.3, 900, 15)


async def test_a_twin_day_asks_the_model_only_when_something_moves() -> None:
    home = load_home_or_demo(None)
    tz = ZoneInfo(home.timezone)
    clock = FakeClock(dt.datetime(2026, 3, 2, 6, tzinfo=tz).timestamp())  # a Monday morning
    bus, state, commands = build_core(home, clock)
    twin = Twin(home, state, bus, clock)
    commands.add_adapter(twin)
    stop_twin = twin.start()
    settings = {cam: dataclasses.replace(s, vlm=True) for cam, s in camera_settings(home).items()}
    asker = TwinAsker(twin, clock)
    rules = [*camera_rules_for(home, None, {}),
             CameraRule(id="visitor_vlm", camera="front_camera", ask="Is someone standing at the front door?",
                        ask_every=5, confirm={"seconds": 5, "share": 0.6}, cooldown=300)]
    seen: list[PerceptionDetected] = []
    bus.subscribe(PerceptionDetected, seen.append)
    service = PerceptionService(home, bus, clock, state, rules, None, asker, offload=inline, settings=settings)
    async with asyncio.TaskGroup() as tasks:
        started = [tasks.create_task(coro, name=name) for coro, name in _collect(service)]
        await clock.run_for(DAY)
        for task in started:
            task.cancel()
    stop_twin()

    status = service.cameras["front_camera"].status
    motion = [e.time for e in seen if e.kind == "motion"]
    fired = {(e.label, e.kind) for e in seen if e.kind.startswith("rule")}
    arrivals = [e for e in seen if e.kind == "rule" and e.label == "someone_at_door"]
    assert status.available and status.frames < DAY / 10  # an unchanged picture is sent rarely
    assert status.gate_frames < status.frames / 20  # and nothing costly looks at a still scene
    assert motion and arrivals
    assert {("visitor_vlm", "rule"), ("front_door_occupied", "rule"), ("front_door_occupied", "rule-exit")} <= fired
    # every question followed motion within the gate's hold and the ask interval, never a still picture
    assert all(any(0 <= t - m <= 60 for m in motion) for t in asker.times[1:])
    assert len(asker.times) * 20 <= DAY / FIXED_CADENCE_S
    assert 0 < status.vlm_asks == len(asker.times)


def _collect(service: PerceptionService) -> list[tuple[object, str]]:
    started: list[tuple[object, str]] = []
    service.start(lambda coro, name: started.append((coro, name)))
    return started


def test_status_hides_credentials_and_a_fast_demo_clock_slows_the_twins_camera() -> None:
    home = parse_home("""
areas: [{id: porch, name: Porch}]
devices:
  - {id: door, name: Door, type: camera, area: porch, adapter: camera,
     binding: {source: "rtsp://admin:hunter2@192.168.1.20:554/stream1", fps: 2}}
  - {id: twin_cam, name: Twin camera, type: camera, area: porch}
""")
    clock = SystemClock(speed=60)
    bus = Bus()
    rules = [CameraRule.model_validate({"id": "ask", "camera": "door", "ask": "Is the gate open?"})]
    service = PerceptionService(home, bus, clock, StateStore(bus, clock), rules)
    shown = {s["camera"]: s for s in service.status()}
    assert shown["door"]["source"] == "rtsp://192.168.1.20:554/stream1"
    assert "hunter2" not in repr(service.status())
    assert service.settings["twin_cam"].fps * 60 <= 4.0
    assert shown["door"]["rules"] == ["ask"] and shown["door"]["vlm"] is False
    assert service.vlm_stats() == {"calls": 0}
