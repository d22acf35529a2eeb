"""Camera rules: what to look for, and the false-alarm controls that decide when it counts.

A camera rule watches one camera for a detector result (`detect: person`, at least `min_count`) or a
natural-language condition asked of a vision model (`ask: "someone is reading at the desk"`). Its
evaluator is pure: it is fed one observation per frame and says when to announce. The bus events it
leads to are `PerceptionDetected(kind="rule", label=<rule id>)` when the rule fires or is entered, and
`PerceptionDetected(kind="rule-exit", label=<rule id>)` when a state-mode rule's condition has ended.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hearth.errors import RuleError
from hearth.model import Home

Mode = Literal["event", "state"]
Outcome = Literal["fire", "enter", "exit"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Confirm(_Strict):
    """The condition must hold for `share` of the frames seen over the last `seconds`."""

    seconds: float = Field(0.0, ge=0, le=3600)
    share: float = Field(0.6, gt=0, le=1)


class CameraRule(_Strict):
    """One camera rule as written in YAML."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    camera: str = Field(min_length=1)
    name: str = ""
    detect: Literal["person", "face", "motion"] | None = None
    min_count: int = Field(1, ge=1)
    ask: str | None = Field(None, min_length=3, max_length=500)
    mode: Mode = "event"
    confirm: Confirm = Confirm(seconds=0.0, share=0.6)
    cooldown: float = Field(60.0, ge=0)
    quiet_hours: str | None = None
    ask_every: float = Field(5.0, gt=0, description="at most one vision-model question per this many seconds")
    enabled: bool = True

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            quiet_window(value)
        return value

    @model_validator(mode="after")
    def _one_condition(self) -> CameraRule:
        if (self.detect is None) == (self.ask is None):
            raise ValueError("give exactly one of `detect` (person, face, motion) or `ask` (a question)")
        return self


class _RuleFile(_Strict):
    camera_rules: list[CameraRule] = Field(default_factory=list)


def quiet_window(text: str) -> tuple[dt.time, dt.time]:
    """Parse "HH:MM-HH:MM" (it may wrap past midnight)."""
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"quiet_hours must look like '23:00-07:00', got {text!r}") from None
    return start, end


def in_quiet_hours(window: str | None, now: float, tz: ZoneInfo) -> bool:
    """Whether local time `now` falls in a quiet-hours window."""
    if window is None:
        return False
    start, end = quiet_window(window)
    local = dt.datetime.fromtimestamp(now, tz).time()
    return start <= local < end if start <= end else local >= start or local < end


def parse_camera_rules(text: str, source: str = "<memory>", home: Home | None = None) -> list[CameraRule]:
    """Read camera rules from YAML; RuleError names the file, the rule and the field."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RuleError(f"{source}: not valid YAML: {exc}") from exc
    if isinstance(raw, list):
        raw = {"camera_rules": raw}
    try:
        rules = _RuleFile.model_validate(raw).camera_rules
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "camera_rules" and isinstance(loc[1], int):
            items = raw.get("camera_rules") if isinstance(raw, dict) else None
            rule = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
            if isinstance(rule, dict) and "id" in rule:
                where = f"rule {rule['id']!r}: " + ".".join(str(p) for p in loc[2:])
        raise RuleError(f"{source}: {where}: {first['msg']}") from None
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"{source}: two camera rules are called {rule.id!r}")
        seen.add(rule.id)
        if home is not None:
            device = home.devices.get(rule.camera)
            if device is None or device.type != "camera":
                cameras = ", ".join(d.id for d in home.devices.values() if d.type == "camera") or "none"
                raise RuleError(f"{source}: rule {rule.id!r}: no camera {rule.camera!r} (cameras: {cameras})")
    return rules


def load_camera_rules(path: str | Path, home: Home | None = None) -> list[CameraRule]:
    """Read a camera rules file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read camera rules {file}: {exc.strerror}") from exc
    return parse_camera_rules(text, str(file), home)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an evaluator decided after one observation."""

    outcome: Outcome
    share: float


class RuleEvaluator:
    """Applies a rule's confirmation window, cooldown, quiet hours and mode to a stream of observations.

    Each observation holds until the next one (a camera whose picture does not change sends few frames).
    The condition is *confirmed* once observations cover the last `confirm.seconds` and it held for at
    least `confirm.share` of that time; it is *cleared* when it held for at most `1 - share` of it
    (hysteresis, so a flicker does not toggle it). With no window, each observation decides alone.
    Event mode fires on each confirmation, at most once per cooldown; state mode announces enter and
    exit, once each. Nothing is announced in quiet hours, and an exit only for an enter that was.
    """

    def __init__(self, rule: CameraRule, tz: ZoneInfo) -> None:
        self.rule, self.tz = rule, tz
        self._window: deque[tuple[float, bool]] = deque()
        self._first: float | None = None
        self.active = False
        self._announced = False
        self._last_fire = float("-inf")

    def reset(self) -> None:
        """Forget what was seen (the camera reconnected)."""
        self._window.clear()
        self._first = None

    def share(self, now: float) -> float:
        """For how much of the last `confirm.seconds` the condition held (the newest value alone without a window)."""
        span = self.rule.confirm.seconds
        if not self._window:
            return 0.0
        if span <= 0:
            return 1.0 if self._window[-1][1] else 0.0
        start, held = now - span, 0.0
        items = list(self._window)
        for (t, value), (t_next, _) in itertools.pairwise(items):
            if value:
                held += max(0.0, min(t_next, now) - max(t, start))
        return held / span

    def observe(self, now: float, holds: bool) -> Verdict | None:
        """Feed one observation; returns what to announce, if anything."""
        if self._first is None:
            self._first = now
        span = self.rule.confirm.seconds
        self._window.append((now, holds))
        while len(self._window) > 1 and self._window[1][0] <= now - span:
            self._window.popleft()  # the one before the window's start still holds at its start
        if now - self._first < span:
            return None
        share, need = self.share(now), self.rule.confirm.share
        if not self.active and share >= need:
            self.active = True
            return self._rise(now, share)
        if self.active and (share <= 1 - need if need > 0.5 else share < need):
            self.active = False
            return self._fall(share)
        return None

    def _rise(self, now: float, share: float) -> Verdict | None:
        if now - self._last_fire < self.rule.cooldown or in_quiet_hours(self.rule.quiet_hours, now, self.tz):
            return None
        self._last_fire = now
        if self.rule.mode == "state":
            self._announced = True
            return Verdict("enter", share)
        return Verdict("fire", share)

    def _fall(self, share: float) -> Verdict | None:
        if self.rule.mode == "state" and self._announced:
            self._announced = False
            return Verdict("exit", share)
        return None


def rules_by_camera(rules: Sequence[CameraRule]) -> Mapping[str, list[CameraRule]]:
    """Enabled rules grouped by camera."""
    grouped: dict[str, list[CameraRule]] = {}
    for rule in rules:
        if rule.enabled:
            grouped.setdefault(rule.camera, []).append(rule)
    return grouped


def describe(rule: CameraRule) -> dict[str, Any]:
    """A rule as plain data, for the CLI and the API."""
    return rule.model_dump(exclude_none=True)
