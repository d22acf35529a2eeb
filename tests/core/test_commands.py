from __future__ import annotations

from hearth.core import (
    Actor,
    AuditRecorded,
    Bus,
    Command,
    CommandPath,
    DefaultPolicy,
    DirectAdapter,
    FakeClock,
    StateChanged,
    StateStore,
)
from hearth.model import Home

ALICE = Actor("person", "alice", "admin")
MIA = Actor("person", "mia", "child")


def _path(home: Home) -> tuple[Bus, StateStore, CommandPath]:
    bus, clock = Bus(), FakeClock()
    state = StateStore(bus, clock)
    state.load(home.initial_state())
    return bus, state, CommandPath(home, bus, clock, {"default": DirectAdapter(state)}, DefaultPolicy())


async def test_valid_command_changes_state_and_is_audited(demo_home: Home) -> None:
    bus, state, path = _path(demo_home)
    changes: list[StateChanged] = []
    audits: list[AuditRecorded] = []
    bus.subscribe(StateChanged, changes.append)
    bus.subscribe(AuditRecorded, audits.append)
    result = await path.execute(Command("living_floor_lamp", "light", "brightness", "35"), ALICE)
    assert result.ok
    assert state.get("living_floor_lamp", "light", "brightness") == 35
    assert [c.new for c in changes] == [35]
    assert audits[0].actor == ALICE and audits[0].ok


async def test_invalid_commands_change_nothing(demo_home: Home) -> None:
    _, state, path = _path(demo_home)
    before = dict(state.values)
    cases = [
        Command("ghost", "light", "on", True),
        Command("living_floor_lamp", "light", "brightness", 150),
        Command("living_floor_lamp", "light", "flavour", 1),
        Command("living_climate", "environment", "temperature", 30),  # read-only
        Command("living_ac", "air-conditioner", "mode", "Turbo"),
        Command("vacuum", "vacuum", action="start-room-sweep", args={"clean-area": 5}),  # wrong argument type
        Command("vacuum", "vacuum", action="start-sweep", args={"speed": "max"}),  # no such argument
        Command("vacuum", "vacuum", action="fly"),
    ]
    for cmd in cases:
        result = await path.execute(cmd, ALICE)
        assert not result.ok, cmd
        assert result.message
    assert dict(state.values) == before
    assert len(path.audit) == len(cases)
    assert not any(r.ok for r in path.audit)


async def test_risky_commands_need_confirmation_and_children_are_refused(demo_home: Home) -> None:
    _, state, path = _path(demo_home)
    unlock = Command("front_door_lock", "lock", "locked", False)
    assert "confirm" in (await path.execute(unlock, ALICE)).message
    assert state.get("front_door_lock", "lock", "locked") is True
    denied = await path.execute(Command("front_door_lock", "lock", "locked", False, confirmed=True), MIA)
    assert not denied.ok and "child" in denied.message
    ok = await path.execute(Command("front_door_lock", "lock", "locked", False, confirmed=True), ALICE)
    assert ok.ok and state.get("front_door_lock", "lock", "locked") is False
    rule = Actor("rule", "arrive", "admin")
    assert (await path.execute(Command("garage_door", "garage-door", "target-position", 100), rule)).ok


async def test_actions_are_validated_and_accepted(demo_home: Home) -> None:
    _, _, path = _path(demo_home)
    result = await path.execute(Command("vacuum", "vacuum", action="start-room-sweep",
                                        args={"clean-area": "kitchen"}), ALICE)
    assert result.ok


async def test_home_file_permissions_refuse_per_device_and_property() -> None:
    from hearth.model import parse_home

    home = parse_home("""
areas: [{id: study, name: Study}]
people: [{id: mia, role: child}, {id: bob, role: adult}]
devices:
  - {id: heater, name: Water heater, type: water-heater}
  - {id: lamp, name: Lamp, area: study, type: light}
permissions:
  - {roles: [child], devices: [heater], deny: [control]}
  - {people: [bob], areas: [study], deny: [light.brightness]}
""")
    _, state, path = _path(home)
    kid, bob = Actor("person", "mia", "child"), Actor("person", "bob", "adult")
    refused = await path.execute(Command("heater", "water-heater", "target-temperature", 60), kid)
    assert not refused.ok and "may not" in refused.message
    assert (await path.execute(Command("lamp", "light", "on", True), kid)).ok
    assert not (await path.execute(Command("lamp", "light", "brightness", 10), bob)).ok
    assert (await path.execute(Command("lamp", "light", "on", False), bob)).ok
    assert (await path.execute(Command("heater", "water-heater", "target-temperature", 60), bob)).ok
    assert state.get("lamp", "light", "brightness") == 80
