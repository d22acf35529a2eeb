from __future__ import annotations

from hearth.model import Home
from hearth.store import restorable


def test_only_keys_the_home_still_has_with_values_that_still_fit_come_back(demo_home: Home) -> None:
    values = {
        ("living_floor_lamp", "light", "brightness"): 35,
        ("living_floor_lamp", "light", "on"): True,
        ("living_ac", "air-conditioner", "target-temperature"): 24,  # int for a float property: canonical float
        ("ghost", "light", "on"): True,  # device removed from the home
        ("living_floor_lamp", "light", "flavour"): "mint",  # property removed from the spec
        ("kitchen_light", "light", "brightness"): 1000,  # out of today's range
        ("kitchen_light", "light", "on"): "maybe",  # no longer a valid bool
    }
    changed = dict.fromkeys(values, 5.0)
    kept, when = restorable(demo_home, values, changed)
    assert kept == {
        ("living_floor_lamp", "light", "brightness"): 35,
        ("living_floor_lamp", "light", "on"): True,
        ("living_ac", "air-conditioner", "target-temperature"): 24.0,
    }
    assert type(kept[("living_ac", "air-conditioner", "target-temperature")]) is float
    assert type(kept[("living_floor_lamp", "light", "on")]) is bool
    assert when == dict.fromkeys(kept, 5.0)
