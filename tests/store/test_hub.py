from __future__ import annotations

from pathlib import Path

from hearth.core import Actor, Bus, Command, FakeClock, StateChanged
from hearth.hub import HubConfig, open_hub
from hearth.model import Home
from hearth.store import SqliteStore

ALICE = Actor("person", "alice", "admin")
LAMP = ("living_floor_lamp", "light", "brightness")


async def test_hub_persists_changes_and_restores_them_on_the_next_start(tmp_path: Path, demo_home: Home) -> None:
    db = tmp_path / "demo.db"
    config = HubConfig(demo_home, clock=FakeClock(), database=db, simulate=False)
    async with open_hub(config) as hub:
        assert isinstance(hub.services["store"], SqliteStore)
        result = await hub.execute(Command(*LAMP[:2], property=LAMP[2], value=35), ALICE)
        assert result.ok
    with SqliteStore(db) as store:  # a stale key from an older home file, and a value that no longer fits
        store.attach(bus := Bus())
        bus.publish(StateChanged(1.0, "ghost", "light", "on", None, True))
        bus.publish(StateChanged(1.0, "kitchen_light", "light", "brightness", None, 900))
        assert [r.target for r in store.audit()] == ["brightness"]
    async with open_hub(HubConfig(demo_home, clock=FakeClock(), database=db, simulate=False)) as hub:
        assert hub.state.get(*LAMP) == 35
        assert ("ghost", "light", "on") not in hub.state.values
        assert hub.state.get("kitchen_light", "light", "brightness") == demo_home.initial_state()[
            ("kitchen_light", "light", "brightness")]


async def test_hub_without_a_database_has_no_store(demo_home: Home) -> None:
    async with open_hub(HubConfig(demo_home, clock=FakeClock(), simulate=False)) as hub:
        assert "store" not in hub.services


async def test_hub_prunes_old_history_when_it_starts_and_every_hour(tmp_path: Path, demo_home: Home) -> None:
    db, clock = tmp_path / "demo.db", FakeClock()
    day = 86_400.0
    with SqliteStore(db) as store:
        store.attach(bus := Bus())
        bus.publish(StateChanged(clock.now() - 40 * day, *LAMP, None, 10))
        bus.publish(StateChanged(clock.now() - 29.99 * day, *LAMP, 10, 20))
    async with open_hub(HubConfig(demo_home, clock=clock, database=db, simulate=False)) as hub:
        store = hub.services["store"]
        assert [v for _, v in store.history(*LAMP)] == [20]
        await clock.run_for(3600)
        assert store.history(*LAMP) == []
        assert hub.state.get(*LAMP) == 20  # current state is never pruned
