from __future__ import annotations

from pathlib import Path

import pytest

from hearth.errors import HomeFileError
from hearth.model import Home, load_home, parse_home

GOOD = """
home: {id: flat, name: Flat, timezone: Europe/Berlin, location: {latitude: 52.5, longitude: 13.4}}
floors: [{id: ground, name: Ground}]
areas:
  - {id: office, name: Office, aliases: [书房], floor: ground}
people:
  - {id: ann, name: Ann, role: adult}
types:
  aroma-diffuser:
    services:
      diffuser:
        properties:
          on: {format: bool, default: false}
          intensity: {format: int, range: [1, 3, 1], default: 2}
devices:
  - {id: lamp, name: Desk lamp, area: office, type: light, state: {on: true, brightness: 40}}
  - {id: aroma, name: Aroma, area: office, type: aroma-diffuser}
"""


def test_good_home_loads() -> None:
    home = parse_home(GOOD)
    assert home.timezone == "Europe/Berlin"
    assert set(home.devices) == {"ann", "lamp", "aroma"}
    state = home.initial_state()
    assert state[("lamp", "light", "on")] is True
    assert state[("lamp", "light", "brightness")] == 40
    assert state[("aroma", "diffuser", "intensity")] == 2
    assert home.zones["home"].latitude == 52.5


def test_demo_home_is_complete(demo_home: Home) -> None:
    types = {d.type for d in demo_home.devices.values()}
    assert {"light", "air-conditioner", "curtain", "lock", "door-sensor", "motion-sensor", "occupancy-sensor",
            "temperature-humidity-sensor", "camera", "vacuum", "water-heater", "speaker", "ev-charger", "car",
            "person", "phone", "watch"} <= types
    roles = sorted(p.role for p in demo_home.people.values())
    assert roles == ["admin", "adult", "child"]
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in a.aliases[0]) for a in demo_home.areas.values())


@pytest.mark.parametrize(
    "patch,expected",
    [
        (("type: light, state", "type: lamp, state"), r":\d+: devices\[0\]\.type: unknown device type 'lamp'"),
        (("area: office, type: light", "area: attic, type: light"), r"devices\[0\]\.area: unknown area 'attic'"),
        (("brightness: 40", "brightness: 400"), r"devices\[0\]\.state\.brightness: .*outside 1–100"),
        (("role: adult", "role: boss"), r"people\[0\]\.role"),
        (("timezone: Europe/Berlin", "timezone: Mars/Olympus"), r"home\.timezone: unknown time zone"),
        (("floor: ground}", "floor: roof}"), r"areas\[0\]\.floor: unknown floor"),
        (("range: [1, 3, 1]", "range: fast"), r"types\.aroma-diffuser: .*range"),
        (("{id: aroma,", "{id: lamp,"), r"devices\[1\]\.id: duplicate id 'lamp'"),
        (("name: Desk lamp,", "name: Desk lamp, colour: red,"), r"devices\[0\]\.colour: unknown field"),
    ],
)
def test_broken_home_names_line_and_field(patch: tuple[str, str], expected: str) -> None:
    old, new = patch
    assert old in GOOD
    with pytest.raises(HomeFileError, match=expected):
        parse_home(GOOD.replace(old, new), "home.yaml")


def test_line_numbers_point_at_the_problem() -> None:
    text = GOOD.replace("type: aroma-diffuser", "type: smell-o-vision")
    with pytest.raises(HomeFileError) as info:
        parse_home(text, "h.yaml")
    line = int(str(info.value).split(":")[1])
    assert "smell-o-vision" in text.splitlines()[line - 1]


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HomeFileError, match="not valid YAML"):
        parse_home("devices: [", "x.yaml")
    with pytest.raises(HomeFileError, match="cannot read"):
        load_home(tmp_path / "nope.yaml")
    with pytest.raises(HomeFileError, match="mapping"):
        parse_home("- a\n- b\n", "x.yaml")


def test_on_and_off_stay_words_in_types_and_states() -> None:
    home = parse_home(GOOD.replace("aroma-diffuser:\n", "aroma-diffuser:\n").replace(
        "          intensity:", "          off: {format: bool, default: true}\n          intensity:"))
    props = home.devices["aroma"].spec.services["diffuser"].properties
    assert {"on", "off", "intensity"} <= set(props)
    assert home.initial_state()[("lamp", "light", "on")] is True
    assert parse_home("home: {id: x}\nareas: [{id: yes, name: no}]").areas["yes"].name == "no"


PERMS = GOOD + """
permissions:
  - {roles: [child], devices: [aroma], deny: [control]}
  - {people: [ann], areas: [office], deny: [light.brightness]}
  - {roles: [guest], types: [light], deny: [see]}
"""


def test_permissions_section_loads_and_matches() -> None:
    home = parse_home(PERMS)
    aroma, lamp = home.devices["aroma"], home.devices["lamp"]
    assert home.denied("kid", "child", aroma) == {"control"}
    assert home.denied("kid", "child", lamp) == set()
    assert home.denied("ann", "adult", lamp) == {"light.brightness"}
    assert home.denied("x", "guest", lamp) == {"see"}


@pytest.mark.parametrize(
    "entry,expected",
    [
        ("{roles: [child], devices: [ghost], deny: [control]}", r"permissions\[0\]\.devices: unknown device 'ghost'"),
        ("{roles: [child], deny: [fly]}", r"permissions\[0\]\.deny: 'fly'"),
        ("{roles: [boss], deny: [control]}", r"permissions\[0\]\.roles"),
        ("{roles: [child]}", r"permissions\[0\]\.deny"),
    ],
)
def test_bad_permissions_are_refused(entry: str, expected: str) -> None:
    with pytest.raises(HomeFileError, match=expected):
        parse_home(GOOD + f"permissions:\n  - {entry}\n", "home.yaml")
