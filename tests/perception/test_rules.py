from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hearth.errors import RuleError
from hearth.hub import load_home_or_demo
from hearth.perception import CameraRule, Confirm, RuleEvaluator, load_camera_rules, parse_camera_rules
from hearth.perception._rules import in_quiet_hours

UTC = ZoneInfo("UTC")
NOON = dt.datetime(2026, 1, 1, 12, tzinfo=UTC).timestamp()


def _run(evaluator: RuleEvaluator, pattern: str, start: float = NOON, step: float = 1.0) -> list[tuple[int, str]]:
    """Feed one observation per character ('1' holds, '0' does not); returns (index, outcome)."""
    out = []
    for i, ch in enumerate(pattern):
        verdict = evaluator.observe(start + i * step, ch == "1")
        if verdict is not None:
            out.append((i, verdict.outcome))
    return out


def _rule(**kw: object) -> CameraRule:
    return CameraRule.model_validate({"id": "r", "camera": "cam", "detect": "person", **kw})


def test_confirmation_window_ignores_a_flicker() -> None:
    rule = _rule(confirm={"seconds": 4, "share": 0.6}, cooldown=0)
    assert _run(RuleEvaluator(rule, UTC), "00001000010000") == []
    assert _run(RuleEvaluator(rule, UTC), "0000111111") == [(7, "fire")]


def test_without_a_window_each_observation_decides() -> None:
    assert _run(RuleEvaluator(_rule(cooldown=0), UTC), "0101") == [(1, "fire"), (3, "fire")]


def test_cooldown_swallows_repeats() -> None:
    rule = _rule(cooldown=10)
    assert _run(RuleEvaluator(rule, UTC), "1010101010101") == [(0, "fire"), (10, "fire")]


def test_state_mode_announces_enter_and_exit_once_each() -> None:
    rule = _rule(mode="state", confirm={"seconds": 2, "share": 0.6}, cooldown=0)
    assert _run(RuleEvaluator(rule, UTC), "0011111111110000000") == [(4, "enter"), (14, "exit")]


def test_quiet_hours_silence_the_rule_and_its_exit() -> None:
    night = dt.datetime(2026, 1, 1, 23, 30, tzinfo=UTC).timestamp()
    rule = _rule(mode="state", quiet_hours="23:00-07:00", cooldown=0)
    assert _run(RuleEvaluator(rule, UTC), "011100", start=night) == []
    assert _run(RuleEvaluator(rule, UTC), "011100", start=NOON) == [(1, "enter"), (4, "exit")]


def test_quiet_hours_wrap_past_midnight_in_the_homes_timezone() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    at = dt.datetime(2026, 1, 1, 2, 0, tzinfo=shanghai).timestamp()
    assert in_quiet_hours("23:00-07:00", at, shanghai)
    assert not in_quiet_hours("23:00-07:00", at, UTC)  # 18:00 in UTC
    assert not in_quiet_hours(None, at, shanghai)


def test_rule_file_errors_name_the_rule_and_field() -> None:
    with pytest.raises(RuleError, match=r"rule 'door': quiet_hours"):
        parse_camera_rules("camera_rules: [{id: door, camera: front_camera, detect: person, quiet_hours: late}]")
    with pytest.raises(RuleError, match="exactly one of `detect`"):
        parse_camera_rules("- {id: door, camera: front_camera, detect: person, ask: \"anyone there?\"}")
    with pytest.raises(RuleError, match="two camera rules"):
        parse_camera_rules("- {id: a, camera: c, detect: face}\n- {id: a, camera: c, detect: face}")
    with pytest.raises(RuleError, match="not valid YAML"):
        parse_camera_rules("camera_rules: [")


def test_rules_must_name_a_camera_of_the_home(tmp_path: Path) -> None:
    home = load_home_or_demo(None)
    path = tmp_path / "camera_rules.yaml"
    path.write_text("camera_rules:\n  - {id: desk, camera: study_desk_lamp, ask: someone is reading at the desk}\n")
    with pytest.raises(RuleError, match=r"no camera 'study_desk_lamp' \(cameras: front_camera\)"):
        load_camera_rules(path, home)
    path.write_text("camera_rules:\n  - {id: desk, camera: front_camera, ask: 有人在门口吗}\n")
    [rule] = load_camera_rules(path, home)
    assert rule.ask == "有人在门口吗" and rule.confirm == Confirm(seconds=0, share=0.6)
