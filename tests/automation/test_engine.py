"""The engine: modes, traces, manual runs, and resuming pending timers after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from hearth.automation import TimerStore
from hearth.core import RuleFired, WebhookReceived
from hearth.errors import RuleError

from .conftest import NOON, rig

SLOW = ("  triggers: [{trigger: webhook, webhook: go}]\n  actions:\n"
        "    - command: {device: living_speaker, property: speaker.volume, value: 50}\n    - delay: 10\n"
        "    - command: {device: porch_light, property: light.on, value: true}\n")


def slow(mode: str, extra: str = "") -> str:
    return f"- id: r\n  mode: {mode}\n{extra}" + SLOW


async def go_times(mode: str, times: int, extra: str = "") -> list[str]:
    async with rig(slow(mode, extra)) as r:
        for _ in range(times):
            r.bus.publish(WebhookReceived(r.clock.now(), "go"))
            await r.clock.run_for(1)
        await r.clock.run_for(60)
        return r.outcomes("r")


async def test_mode_single_skips_while_running() -> None:
    assert await go_times("single", 3) == ["done", "skipped", "skipped"]


async def test_mode_restart_cancels_the_running_run() -> None:
    assert await go_times("restart", 3) == ["cancelled", "cancelled", "done"]


async def test_mode_queued_runs_one_after_another_up_to_max() -> None:
    assert await go_times("queued", 4, "  max: 3\n") == ["done", "done", "done", "skipped"]


async def test_mode_parallel_runs_together_up_to_max() -> None:
    assert await go_times("parallel", 3, "  max: 2\n") == ["done", "done", "skipped"]


async def test_traces_are_bounded_and_record_steps_with_timing() -> None:
    text = ("- id: r\n  mode: parallel\n  triggers: [{trigger: webhook, webhook: go}]\n"
            "  actions: [{command: {device: porch_light, property: light.brightness, value: 30}}]\n")
    async with rig(text) as r:
        fired: list[RuleFired] = []
        r.bus.subscribe(RuleFired, fired.append)
        for _ in range(30):
            r.bus.publish(WebhookReceived(r.clock.now(), "go", {"n": 1}))
        traces = r.engine.traces("r")
        assert len(traces) == 20
        last = traces[-1].to_dict()
        assert last["trigger"]["kind"] == "webhook" and last["trigger"]["payload"] == {"n": 1}
        assert last["steps"][0]["kind"] == "command" and last["steps"][0]["ok"] and last["steps"][0]["elapsed_ms"] >= 0
        assert last["outcome"] == "done" and fired[-1].outcome == "done" and fired[-1].rule == "r"


async def test_manual_trigger_and_unknown_rule() -> None:
    async with rig(slow("single")) as r:
        trace = r.engine.trigger("r", {"who": "test"})
        assert trace.trigger["who"] == "test" and trace.outcome == "running"
        with pytest.raises(RuleError, match="no rule 'nope'"):
            r.engine.trigger("nope")


async def test_a_rule_loop_is_cut() -> None:
    text = ("- id: a\n  mode: parallel\n  max: 100\n  triggers: [{trigger: state, device: porch_light, "
            "property: light.brightness}]\n  actions: [{command: {device: garage_light, property: light.brightness, "
            "value: 5}}, {command: {device: garage_light, property: light.brightness, value: 6}}]\n"
            "- id: b\n  mode: parallel\n  max: 100\n  triggers: [{trigger: state, device: garage_light, "
            "property: light.brightness}]\n  actions: [{command: {device: porch_light, property: light.brightness, "
            "value: 5}}, {command: {device: porch_light, property: light.brightness, value: 6}}]\n")
    async with rig(text) as r:
        r.set("porch_light", "light.brightness", 1)
        assert any(t.outcome == "error" and "too deeply" in t.message for t in r.engine.traces("a") +
                   r.engine.traces("b"))


# ---- restart safety (in-process; the kill -9 case is in test_restart.py) ----


async def test_pending_delay_resumes_once_after_restart(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(slow("single"), database=db) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(4)
    assert [row.kind for row in TimerStore(db).pending()] == ["delay"]
    async with rig(slow("single"), database=db, start=NOON + 5) as r:
        assert r.issued() == []
        await r.clock.run_for(4)
        assert r.issued() == []
        await r.clock.run_for(2)
        assert r.issued() == [("porch_light", "on", True)]
        assert "resumed after restart" in r.engine.traces("r")[-1].message
    assert TimerStore(db).pending() == []


async def test_overdue_delay_runs_within_grace_and_is_missed_after(tmp_path: Path) -> None:
    for late, expected in ((100, [("porch_light", "on", True)]), (1000, [])):
        db = tmp_path / f"late{late}.db"
        async with rig(slow("single"), database=db) as r:
            r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        async with rig(slow("single"), database=db, start=NOON + 10 + late) as r:
            await r.clock.run_for(1)
            assert r.issued() == expected
            if not expected:
                trace = r.engine.traces("r")[-1]
                assert trace.outcome == "missed" and "grace" in trace.message


async def test_changed_rule_is_not_resumed(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(slow("single"), database=db) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
    async with rig(slow("single").replace("delay: 10", "delay: 20"), database=db, start=NOON + 5) as r:
        await r.clock.run_for(60)
        assert r.issued() == []


@pytest.mark.parametrize(("still_open", "expected"), [(True, ["open"]), (False, [])])
async def test_for_hold_survives_a_restart(tmp_path: Path, still_open: bool, expected: list[str]) -> None:
    db = tmp_path / "hub.db"
    text = ("- id: door\n  triggers: [{trigger: state, device: front_door_sensor, property: magnet-sensor.open, "
            "to: true, for: 5m}]\n  actions: [{notify: {to: alice, message: open}}]\n")
    async with rig(text, database=db) as r:
        r.set("front_door_sensor", "magnet-sensor.open", True)
        await r.clock.run_for(120)
    restored = {("front_door_sensor", "magnet-sensor", "open"): still_open}  # as the hub's store restores it
    async with rig(text, database=db, start=NOON + 200, restored=restored) as r:
        await r.clock.run_for(99)
        assert r.notes == []
        await r.clock.run_for(2)
        assert [n.message for n in r.notes] == expected
        if not expected:
            assert r.outcomes("door") == ["missed"]


async def test_wait_resumes_with_the_remaining_timeout(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    text = ("- id: w\n  triggers: [{trigger: webhook, webhook: go}]\n  actions:\n"
            "    - wait_for_trigger: [{trigger: webhook, webhook: done}]\n      timeout: 60\n"
            "    - notify: {to: alice, message: \"{{wait}}\"}\n")
    async with rig(text, database=db) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(10)
    async with rig(text, database=db, start=NOON + 20) as r:
        await r.clock.run_for(5)
        r.bus.publish(WebhookReceived(r.clock.now(), "done"))
        await r.clock.run_for(1)
        assert len(r.notes) == 1
        assert r.engine.traces("w")[-1].outcome == "done"


async def test_traces_are_saved_to_the_database(tmp_path: Path) -> None:
    db = tmp_path / "hub.db"
    async with rig(slow("single"), database=db) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(30)
    saved = TimerStore(db).traces("r")
    assert [t["outcome"] for t in saved] == ["done"]
    assert [s["kind"] for s in saved[0]["steps"]] == ["command", "delay", "command"]


async def test_restart_in_the_same_tick_cancels_a_run_that_has_not_stepped_yet(tmp_path: Path) -> None:
    # Two triggers before the event loop runs again: the first run's task is cancelled before its first step.
    async with rig(slow("restart"), database=tmp_path / "t.db") as r:
        assert r.engine.timers is not None
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(0)
        assert r.outcomes("r") == ["cancelled", "running"]
        assert len(r.engine.rules["r"].active) == 1
        assert len(r.engine.timers.pending()) == 1  # only the live run's delay
        await r.clock.run_for(60)
        assert r.outcomes("r") == ["cancelled", "done"]
        assert r.engine.rules["r"].active == [] and r.engine.timers.pending() == []
