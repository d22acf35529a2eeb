"""Spoken times, days and sun words in the "when" half of a rule sentence."""

from __future__ import annotations

from hearth.copilot._rules_text_time import mark_times, read_when


def test_spoken_times_become_hh_mm() -> None:
    assert "23:00" in mark_times("每天晚上十一点如果门没锁就提醒我", "zh")
    assert "23:00" in mark_times("every night at 11 remind me", "en")
    assert "07:30" in mark_times("at 7:30 open the curtains", "en")


def test_schedule_days_and_darkness() -> None:
    when = read_when(mark_times("on weekdays at 7 am turn on the kitchen light", "en"), "en")
    assert when.schedule == {"trigger": "time", "at": "07:00"}
    assert {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]} in when.conditions
    dark = read_when("when I get home after dark turn on the porch light", "en")
    assert any(c.get("condition") == "or" for c in dark.conditions)
