"""Time and sun triggers whose moment fell while the hub was down: once at start within the grace period,
recorded as missed after it, never twice."""

from __future__ import annotations

from pathlib import Path

from hearth.automation import TimerStore
from hearth.automation._sun import next_sun_event

from .conftest import HOME, NOON, rig

LIGHT_ON = "actions: [{command: {device: porch_light, property: light.on, value: true}}]"
AT_1203 = f"- id: r\n  triggers: [{{trigger: time, at: '12:03'}}]\n  {LIGHT_ON}\n"
MOMENT = NOON + 180  # 12:03 at the demo home


async def test_a_moment_missed_by_less_than_the_grace_fires_once_at_start(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(AT_1203, database=db) as r:
        await r.clock.run_for(60)  # stopped at 12:01
    async with rig(AT_1203, database=db, start=MOMENT + 120) as r:
        assert r.issued() == [("porch_light", "on", True)]
        trace = r.engine.traces("r")[-1]
        assert trace.outcome == "done" and "caught up after restart (120s late)" in trace.message
        assert trace.trigger["at"] == MOMENT and trace.trigger["late"] == 120
        await r.clock.run_for(10)
    async with rig(AT_1203, database=db, start=MOMENT + 200) as r:  # a second restart does not repeat it
        assert r.issued() == []


async def test_a_moment_missed_by_more_than_the_grace_is_recorded_as_missed(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(AT_1203, database=db):
        pass
    async with rig(AT_1203, database=db, start=MOMENT + 2 * 86400 + 3600) as r:  # down for two days and an hour
        assert r.issued() == []
        [trace] = r.engine.traces("r")
        assert trace.outcome == "missed"
        assert "3 moments, the last at 2026-01-03 12:03:00 passed while the hub was down" in trace.message
        assert "grace 300s" in trace.message


async def test_a_moment_that_fired_before_a_crash_is_not_fired_again(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(AT_1203, database=db) as r:
        await r.clock.run_for(181)
        assert r.issued() == [("porch_light", "on", True)]
        # The mark is written as the trigger fires, so a kill -9 right after it would find it.
        assert TimerStore(db).last_seen() == MOMENT
    async with rig(AT_1203, database=db, start=MOMENT + 60) as r:
        assert r.issued() == []


async def test_nothing_is_caught_up_on_a_first_start_or_without_a_database(tmp_path: Path) -> None:
    async with rig(AT_1203, database=tmp_path / "new.db", start=MOMENT + 60) as r:
        assert r.issued() == [] and r.engine.traces("r") == []
    async with rig(AT_1203, start=MOMENT + 60) as r:
        assert r.issued() == []


async def test_sunset_and_disabled_rules(tmp_path: Path) -> None:
    sunset = next_sun_event(HOME.location, HOME.timezone, "sunset", 0.0, NOON)
    assert sunset is not None
    text = f"""
- id: dusk
  triggers: [{{trigger: sun, event: sunset}}]
  {LIGHT_ON}
- id: off
  enabled: false
  triggers: [{{trigger: sun, event: sunset}}]
  actions: [{{command: {{device: garage_light, property: light.on, value: true}}}}]
- id: cron
  triggers: [{{trigger: cron, cron: '* * * * *'}}]
  actions: [{{command: {{device: hallway_light, property: light.on, value: true}}}}]
"""
    db = tmp_path / "hub.db"
    async with rig(text, database=db, start=sunset - 300):
        pass
    async with rig(text, database=db, start=sunset + 240) as r:
        assert r.issued() == [("porch_light", "on", True)]  # cron triggers are not caught up
