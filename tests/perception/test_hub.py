"""The perception subsystem inside a real hub: the twin's camera starts, sees the household, and stops."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import hearth.perception.hub  # noqa: F401  (registers the subsystem, as hub.py's list does)
from hearth.core import FakeClock, PerceptionDetected
from hearth.errors import RuleError
from hearth.hub import HubConfig, load_home_or_demo, open_hub
from hearth.perception import PerceptionService, camera_rules_for

AUTOMATION = """
rules:
  - id: porch_light_for_visitors
    name: Someone at the door → porch light
    triggers:
      - {trigger: perception, camera: front_camera, kind: rule, label: someone_at_door}
    actions:
      - command: {device: porch_light, property: light.on, value: true}
"""


async def test_the_hub_runs_the_twins_camera_and_an_automation_reacts(tmp_path: Path) -> None:
    home = load_home_or_demo(None)
    tz = ZoneInfo(home.timezone)
    clock = FakeClock(dt.datetime(2026, 3, 2, 16, 0, tzinfo=tz).timestamp())  # Alice and Mia come home soon
    rules = tmp_path / "rules.yaml"
    rules.write_text(AUTOMATION)
    config = HubConfig(home, clock=clock, simulate=True, data_dir=tmp_path, rules=rules)
    async with open_hub(config) as hub:
        service = hub.services["perception"]
        assert isinstance(service, PerceptionService) and list(service.cameras) == ["front_camera"]
        seen: list[PerceptionDetected] = []
        hub.bus.subscribe(PerceptionDetected, seen.append)
        await clock.run_for(3600)
        status = service.status()[0]
        assert status["available"] and status["frames"] > 0
        arrived = next(e for e in seen if e.kind == "rule" and e.label == "someone_at_door")
        assert hub.state.get("porch_light", "light", "on") is True
        assert hub.state.last_changed("porch_light", "light", "on") >= arrived.time
    stored = service.events.recent()
    assert stored and (tmp_path / "perception" / "events.jsonl").is_file()
    assert any((tmp_path / "perception" / f"{e.id}.jpg").is_file() for e in stored if e.snapshot)


def test_camera_rules_come_from_the_environment_then_the_data_dir(tmp_path: Path) -> None:
    home = load_home_or_demo(None)
    (tmp_path / "camera_rules.yaml").write_text("camera_rules:\n  - {id: mine, camera: front_camera, detect: face}\n")
    assert [r.id for r in camera_rules_for(home, tmp_path, {})] == ["mine"]
    assert [r.id for r in camera_rules_for(home, None, {})] == ["someone_at_door", "front_door_occupied"]
    with pytest.raises(RuleError, match="cannot read camera rules"):
        camera_rules_for(home, tmp_path, {"HEARTH_CAMERA_RULES": str(tmp_path / "missing.yaml")})


async def test_cameras_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEARTH_CAMERAS", "off")
    async with open_hub(HubConfig(load_home_or_demo(None), clock=FakeClock(), simulate=True)) as hub:
        assert hub.services["perception"].cameras == {}
