from __future__ import annotations

import asyncio

import numpy as np

from hearth.core import Bus, FakeClock, StateStore
from hearth.hub import load_home_or_demo
from hearth.perception import Detectors, Scene, TwinCamera
from tests.perception.conftest import inline


def _twin() -> tuple[TwinCamera, StateStore, FakeClock]:
    home = load_home_or_demo(None)
    clock, bus = FakeClock(), Bus()
    state = StateStore(bus, clock)
    state.load(home.initial_state())
    for person in home.people:
        state.apply(person, "presence", "area", "living_room")
    camera = TwinCamera("front_camera", "entrance", home, bus, state, clock, fps=1, width=320, idle=60,
                        offload=inline)
    return camera, state, clock


async def _read_at(camera: TwinCamera, clock: FakeClock, budget: float) -> tuple[np.ndarray | None, float]:
    start = clock.now()
    reading = asyncio.ensure_future(camera.read())
    await clock.run_for(budget)
    assert reading.done(), "no frame within the budget"
    return reading.result(), clock.now() - start


async def test_people_in_the_cameras_area_appear_in_the_picture() -> None:
    camera, state, clock = _twin()
    await camera.open()
    assert camera.scene() == Scene(lit=False)  # nobody at the door, porch light off
    empty, _ = await _read_at(camera, clock, 0)
    state.apply("alice", "presence", "area", "entrance")
    assert [p for p, _ in camera.scene().people] == ["alice"]
    with_alice, _ = await _read_at(camera, clock, 1)
    assert empty is not None and with_alice is not None
    assert float(np.abs(with_alice.astype(int) - empty.astype(int)).mean()) > 5
    assert Detectors(("face",)).detect(with_alice).count("face") == 1
    await camera.close()


async def test_a_still_picture_comes_rarely_and_a_change_at_once() -> None:
    camera, state, clock = _twin()
    await camera.open()
    await _read_at(camera, clock, 0)
    reading = asyncio.ensure_future(camera.read())
    await clock.run_for(30)
    assert not reading.done()  # nothing changed: the next frame waits for the idle heartbeat
    state.apply("bob", "presence", "area", "entrance")
    await clock.run_for(0)
    assert reading.done()
    _, waited = await _read_at(camera, clock, 1)  # while people move, frames come at the camera's rate
    assert waited <= 1
    await camera.close()
    assert camera.bus.listener_count() == 0


async def test_lights_in_the_area_change_the_picture() -> None:
    camera, state, clock = _twin()
    await camera.open()
    dark, _ = await _read_at(camera, clock, 0)
    state.apply("porch_light", "light", "on", True)
    lit, _ = await _read_at(camera, clock, 1)
    assert dark is not None and lit is not None and lit.mean() > dark.mean() * 1.5
    await camera.close()
