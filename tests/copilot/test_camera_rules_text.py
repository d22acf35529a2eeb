"""Camera rules from a sentence carry the same false-alarm controls as written ones."""

from __future__ import annotations

from pathlib import Path

from hearth.core import Actor, FakeClock
from hearth.hub import HubConfig, load_home_or_demo, open_hub

SENTENCE = "when someone is at the front door after 22:00, notify me and turn on the porch light"


async def test_confirmed_camera_sentence_adds_a_controlled_camera_rule(tmp_path: Path) -> None:
    config = HubConfig(load_home_or_demo(None), clock=FakeClock(), simulate=True, data_dir=tmp_path)
    async with open_hub(config) as hub:
        alice = Actor("person", "alice", "admin")
        shown = await hub.services["copilot"].ask(SENTENCE, alice)
        assert shown["status"] == "clarify" and shown["needs_confirmation"], shown
        camera_rule = shown["slots"]["camera_rules"][0]
        assert camera_rule["camera"] == "front_camera" and camera_rule["detect"] == "person"
        assert camera_rule["confirm"]["seconds"] > 0 and camera_rule["cooldown"] > 0
        trigger = shown["slots"]["rule"]["triggers"][0]
        assert (trigger["kind"], trigger["label"]) == ("rule", camera_rule["id"])
        assert not any(r.id == camera_rule["id"] for r in hub.services["perception"].rules)

        done = await hub.services["copilot"].ask(SENTENCE, alice, confirm=True)
        assert done["status"] == "done", done
        assert any(r.id == camera_rule["id"] for r in hub.services["perception"].rules)
        assert shown["slots"]["rule"]["id"] in hub.services["automation"].rules
    kept = (tmp_path / "demo.added_camera_rules.yaml").read_text(encoding="utf-8")
    assert camera_rule["id"] in kept


async def test_child_cannot_make_camera_rules(tmp_path: Path) -> None:
    config = HubConfig(load_home_or_demo(None), clock=FakeClock(), simulate=True, data_dir=tmp_path)
    async with open_hub(config) as hub:
        answer = await hub.services["copilot"].ask(SENTENCE, Actor("person", "mia", "child"), confirm=True)
    assert answer["status"] == "refused"
    assert not (tmp_path / "demo.added_camera_rules.yaml").exists()
