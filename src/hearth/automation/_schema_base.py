"""Value types shared by the rules file schema: scalars, durations, times of day and the strict base model."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict

Scalar = bool | int | float | str
OneOrMany = Scalar | list[Scalar]

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|d|h|m|s)")
_DURATION_HELP = "expected a duration like 90, 30s, 5m, 1h30m, 00:05:00 or {minutes: 5}"


def parse_duration(raw: Any) -> float:
    """Turn 90, '30s', '5m', '1h30m', '00:05:00', '-00:30' or {hours, minutes, seconds} into seconds."""
    if isinstance(raw, bool):
        raise ValueError(_DURATION_HELP)
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, dict):
        extra = set(raw) - {"days", "hours", "minutes", "seconds", "milliseconds"}
        if extra or not raw:
            raise ValueError(_DURATION_HELP)
        factors = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        return float(sum(parse_duration(v) * factors[k] for k, v in raw.items()))
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(_DURATION_HELP)
    text = raw.strip().lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-").strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return sign * float(text)
    if re.fullmatch(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        parts = [float(p) for p in text.split(":")]
        return sign * (parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0))
    compact = text.replace(" ", "")
    pos, total = 0, 0.0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            raise ValueError(_DURATION_HELP)
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(compact) or pos == 0:
        raise ValueError(_DURATION_HELP)
    return sign * total


def parse_time_of_day(raw: Any) -> int:
    """Turn 'HH:MM' or 'HH:MM:SS' into seconds after midnight."""
    if isinstance(raw, str):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw.strip())
        if match:
            h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
            if h < 24 and m < 60 and s < 60:
                return h * 3600 + m * 60 + s
    raise ValueError("expected a time of day like 23:00 or 07:30:00")


Duration = Annotated[float, BeforeValidator(parse_duration)]
TimeOfDay = Annotated[int, BeforeValidator(parse_time_of_day)]
SunEvent = Literal["sunrise", "sunset"]


class Strict(BaseModel):
    """Base for every schema model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_bounds(above: float | None, below: float | None) -> None:
    """Raise unless at least one bound is given and above < below."""
    if above is None and below is None:
        raise ValueError("give above, below or both")
    if above is not None and below is not None and above >= below:
        raise ValueError(f"above ({above}) must be less than below ({below})")
