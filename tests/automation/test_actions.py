"""Actions: commands (device, area, type), scenes, delay, wait, choose, if, repeat, parallel, notify, stop."""

from __future__ import annotations

from hearth.core import WebhookReceived

from .conftest import rig


def rule(actions: str, extra: str = "") -> str:
    return f"- id: r\n{extra}  triggers: [{{trigger: webhook, webhook: go}}]\n  actions:\n{actions}"


async def test_command_on_one_device_goes_through_the_command_path() -> None:
    async with rig(rule("    - command: {device: porch_light, property: light.brightness, value: 35}\n")) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        assert r.value("porch_light", "light.brightness") == 35
        audit = [a for a in r.done if a.actor.kind == "rule"]
        assert len(audit) == 1 and audit[0].actor.id == "r" and audit[0].ok


async def test_command_on_area_and_type_and_action_call() -> None:
    actions = ("    - command: {area: master_bedroom, type: light, property: light.on, value: true}\n"
               "    - command: {device: vacuum, action: vacuum.start-room-sweep, args: {clean-area: kitchen}}\n")
    async with rig(rule(actions)) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        assert r.value("master_ceiling_light", "light.on") is True
        assert r.value("master_bedside_lamp", "light.on") is True
        assert r.value("living_floor_lamp", "light.on") is False
        assert ("vacuum", "start-room-sweep", {"clean-area": "kitchen"}) in r.issued()


async def test_scene_applies_its_states() -> None:
    text = """
scenes:
  - id: movie
    states:
      - {area: living_room, type: light, property: light.on, value: false}
      - {device: living_curtain, property: curtain.target-position, value: 0}
rules:
  - id: r
    triggers: [{trigger: webhook, webhook: go}]
    actions: [{scene: movie}]
"""
    async with rig(text) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        assert r.value("living_ceiling_light", "light.on") is False
        assert r.engine.traces("r")[0].steps[0].kind == "scene"


async def test_delay_then_command() -> None:
    actions = ("    - command: {device: porch_light, property: light.on, value: true}\n    - delay: 2m\n"
               "    - command: {device: porch_light, property: light.on, value: false}\n")
    async with rig(rule(actions)) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        assert r.value("porch_light", "light.on") is True
        assert r.outcomes("r") == ["running"]
        await r.clock.run_for(119)
        assert r.value("porch_light", "light.on") is True
        await r.clock.run_for(2)
        assert r.value("porch_light", "light.on") is False
        assert r.outcomes("r") == ["done"]


async def test_wait_for_trigger_and_timeout() -> None:
    actions = ("    - wait_for_trigger: [{trigger: state, device: front_door_sensor, property: magnet-sensor.open, "
               "to: true}]\n      timeout: 1m\n      continue_on_timeout: false\n"
               "    - command: {device: porch_light, property: light.on, value: true}\n")
    async with rig(rule(actions, "  mode: parallel\n")) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(30)
        r.set("front_door_sensor", "magnet-sensor.open", True)
        await r.clock.run_for(1)
        assert r.value("porch_light", "light.on") is True
        r.set("porch_light", "light.on", False)
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(61)
        assert r.value("porch_light", "light.on") is False
        assert r.outcomes("r") == ["done", "stopped"]


async def test_choose_and_if_then_else() -> None:
    actions = ("    - choose:\n        - conditions: [\"trigger.payload.level == 1\"]\n"
               "          actions: [{command: {device: porch_light, property: light.brightness, value: 10}}]\n"
               "        - conditions: [\"trigger.payload.level == 2\"]\n"
               "          actions: [{command: {device: porch_light, property: light.brightness, value: 20}}]\n"
               "      default: [{command: {device: porch_light, property: light.brightness, value: 99}}]\n"
               "    - if: [\"trigger.payload.level > 1\"]\n"
               "      then: [{command: {device: garage_light, property: light.on, value: true}}]\n"
               "      else: [{command: {device: garage_light, property: light.on, value: false}}]\n")
    async with rig(rule(actions)) as r:
        for level, bright, garage in ((2, 20, True), (1, 10, False), (7, 99, True)):
            r.bus.publish(WebhookReceived(r.clock.now(), "go", {"level": level}))
            assert (r.value("porch_light", "light.brightness"), r.value("garage_light", "light.on")) == (bright, garage)


async def test_repeat_count_while_until() -> None:
    actions = ("    - repeat:\n        count: 3\n        actions:\n"
               "          - command: {device: living_speaker, property: speaker.volume, value: 40}\n"
               "          - delay: 1\n"
               "    - repeat:\n        while: [\"repeat.index < 3\" ]\n        actions: [{delay: 1}]\n"
               "    - repeat:\n        until: [\"repeat.index >= 2\"]\n        actions: [{delay: 1}]\n")
    async with rig(rule(actions)) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(60)
        steps = {s.path: s.message for s in r.engine.traces("r")[0].steps if s.kind == "repeat"}
        assert steps == {"0": "3 rounds", "1": "2 rounds", "2": "2 rounds"}


async def test_parallel_branches_run_together() -> None:
    actions = ("    - parallel:\n        - [{delay: 10}, {command: {device: porch_light, property: light.on, "
               "value: true}}]\n        - [{delay: 10}, {command: {device: garage_light, property: light.on, "
               "value: true}}]\n")
    async with rig(rule(actions)) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        await r.clock.run_for(10.5)
        assert r.value("porch_light", "light.on") and r.value("garage_light", "light.on")
        assert r.outcomes("r") == ["done"]


async def test_notify_publishes_a_notification_to_people() -> None:
    async with rig(rule("    - notify: {to: adults, title: Door, message: The door is open}\n")) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        note = r.notes[0]
        assert (note.to, note.title, note.message, note.source) == (("alice", "bob"), "Door", "The door is open",
                                                                     "rule:r")


async def test_stop_ends_the_run_and_failed_commands_are_reported() -> None:
    actions = ("    - command: {device: porch_light, property: light.on, value: true}\n"
               "    - stop: enough\n"
               "    - command: {device: garage_light, property: light.on, value: true}\n")
    async with rig(rule(actions)) as r:
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        trace = r.engine.traces("r")[0]
        assert (trace.outcome, trace.message) == ("stopped", "enough")
        assert r.value("garage_light", "light.on") is False
