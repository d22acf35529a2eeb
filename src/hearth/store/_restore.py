"""Which restored values a home can take back: only properties it still has, with values that still fit."""

from __future__ import annotations

from collections.abc import Mapping

from hearth.errors import SpecError
from hearth.model import Home, Value

StateKey = tuple[str, str, str]


def restorable(
    home: Home, values: Mapping[StateKey, Value], changed: Mapping[StateKey, float]
) -> tuple[dict[StateKey, Value], dict[StateKey, float]]:
    """Keep restored values whose device and property still exist, in their canonical form for today's spec."""
    kept: dict[StateKey, Value] = {}
    for key, value in values.items():
        device = home.devices.get(key[0])
        if device is None:
            continue
        try:
            kept[key] = device.spec.property(key[1], key[2]).validate(value)
        except SpecError:
            continue
    return kept, {key: changed[key] for key in kept if key in changed}
