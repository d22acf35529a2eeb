"""Rules from a sentence, the time of the "when" half: spoken times, days of the week, sun and darkness."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hearth.copilot._rules_text_when import RuleTextError
from hearth.copilot._text import Lang

_CN_NUM = "零〇一二两三四五六七八九十"
_ZH_TIME = re.compile(rf"(早上|早晨|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨)?\s*([{_CN_NUM}\d]{{1,3}})\s*[点點:：]"
                      rf"(?:\s*(半|[{_CN_NUM}\d]{{1,3}})\s*分?|钟|整)?")
_EN_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|oclock|o clock)\b|\b(\d{1,2}):(\d{2})\b")
_NIGHT_EN = re.compile(r"\b(every night|each night|nightly|at night|tonight|in the evening|every evening)\b")
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
WEEKEND = ["sat", "sun"]
_DAYS_EN = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
            "saturday": "sat", "sunday": "sun"}
_DAYS_ZH = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}


@dataclass
class When:
    """Everything the "when" half said: at most one schedule trigger, the phrases, and time/sun conditions."""

    schedule: dict[str, Any] | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    rest: str = ""


def _zh_int(text: str) -> int:
    if text.isdigit():
        return int(text)
    from hearth.copilot._text import chinese_number

    value = chinese_number(text)
    return int(value) if value is not None else -1


def _hm(hour: int, minute: int, part: str) -> str:
    if part in ("pm", "p.m.", "下午", "傍晚", "晚上", "夜里") and hour < 12:
        hour += 12
    if part in ("am", "a.m.", "凌晨", "半夜", "早上", "早晨", "上午") and hour == 12:
        hour = 0
    if part in ("半夜", "夜里") and hour == 12:
        hour = 0
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise RuleTextError("refused", "That is not a time of day.", "这不是一个有效的时间。")
    return f"{hour:02d}:{minute:02d}"


def mark_times(text: str, lang: Lang) -> str:
    """Rewrite spoken times ("晚上十一点", "11 pm", "7:30") as HH:MM so the rest of the grammar sees one form."""
    def zh(m: re.Match[str]) -> str:
        hour = _zh_int(m.group(2))
        minute = 30 if m.group(3) == "半" else _zh_int(m.group(3)) if m.group(3) else 0
        return f" {_hm(hour, minute, m.group(1) or '')} "

    def en(m: re.Match[str]) -> str:
        if m.group(4):
            return _hm(int(m.group(4)), int(m.group(5)), "")
        return _hm(int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(" ", ""))

    text = _ZH_TIME.sub(zh, text) if lang == "zh" else text
    text = _EN_TIME.sub(en, text)
    if lang == "en" and _NIGHT_EN.search(text):
        # "every night at 11": evening hours
        text = re.sub(r"\b(0?[1-9]|1[01]):(\d{2})\b", lambda m: f"{int(m.group(1)) + 12:02d}:{m.group(2)}", text)
    if lang == "en":
        text = re.sub(r"\bat (\d{1,2})\b(?!:| ?%| ?degree| ?km| ?percent)",
                      lambda m: f"at {_hm(int(m.group(1)), 0, 'pm' if _NIGHT_EN.search(text) else '')}", text)
    return re.sub(r"\s+", " ", text).strip()


def read_when(text: str, lang: Lang) -> When:
    """Pull the schedule (time, sun) and the time-window, weekday and darkness conditions out of the text."""
    when = When()
    days = _days(text, lang)
    if days is not None:
        when.conditions.append({"condition": "time", "weekday": days})
    dark = re.search(r"\bafter dark\b|\bat night\b|\bwhen (?:it is|its) dark\b|天黑(?:以后|之后|后|了)?|夜间|"
                     r"晚上(?!\s*\d)",
                     text)
    window = re.search(r"(?:between|from) (\d\d:\d\d) (?:and|to|until) (\d\d:\d\d)|"
                       r"(\d\d:\d\d) ?(?:到|至|-) ?(\d\d:\d\d)"
                       r"(?:之间)?", text)
    after = re.search(r"\b(?:after|past) (\d\d:\d\d)\b|(\d\d:\d\d) ?(?:以后|之后|后)", text)
    before = re.search(r"\bbefore (\d\d:\d\d)\b|(\d\d:\d\d) ?(?:以前|之前|前)", text)
    at = re.search(r"(?:\b(?:at|by) )?(\d\d:\d\d)", text)
    sun = re.search(r"\b(?:at|by) (sunset|sunrise|dusk|dawn)\b|"
                    r"(日落|日出|太阳落山|太阳下山|太阳升起|天亮)(?:时|的时候)?", text)
    if window:
        a, b = (window.group(1), window.group(2)) if window.group(1) else (window.group(3), window.group(4))
        when.conditions.append({"condition": "time", "after": a, "before": b})
    elif after:
        when.conditions.append({"condition": "time", "after": after.group(1) or after.group(2)})
    elif before:
        when.conditions.append({"condition": "time", "before": before.group(1) or before.group(2)})
    elif at:
        when.schedule = {"trigger": "time", "at": at.group(1)}
    if sun and when.schedule is None:
        word = sun.group(1) or sun.group(2)
        event = "sunset" if word in ("sunset", "dusk", "日落", "太阳落山", "太阳下山") else "sunrise"
        when.schedule = {"trigger": "sun", "event": event}
    if dark and not (when.schedule and when.schedule.get("trigger") == "sun"):
        when.conditions.append({"condition": "or", "conditions": [{"condition": "sun", "after": "sunset"},
                                                                  {"condition": "sun", "before": "sunrise"}]})
    rest = text
    for m in (window, after, before, at if when.schedule and when.schedule["trigger"] == "time" else None, sun, dark):
        if m is not None:
            rest = rest.replace(m.group(0), " ")
    rest = re.sub(r"\b(every day|every night|each day|each night|daily|every morning|every evening|every weekday|"
                  r"on weekdays|on weekends|every weekend|weekdays|weekends|on workdays|tonight|in the morning|"
                  r"in the evening|on (?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b|每天|每日|每晚|"
                  r"每周[一二三四五六日天]|"
                  r"工作日|周末|早上|晚上|每个|上午|下午", " ", rest)
    when.rest = re.sub(r"\s+", " ", rest).strip(" ,，")
    return when


def _days(text: str, lang: Lang) -> list[str] | None:
    if re.search(r"\b(weekdays?|workdays?|every weekday)\b|工作日|周一到周五|星期一到星期五", text):
        return list(WEEKDAYS)
    if re.search(r"\bweekends?\b|周末|双休日", text):
        return list(WEEKEND)
    named = [v for k, v in _DAYS_EN.items() if re.search(rf"\b{k}s?\b", text)]
    named += [_DAYS_ZH[m] for m in re.findall(r"(?:每周|每星期|周|星期)([一二三四五六日天])", text)]
    return list(dict.fromkeys(named)) or None
