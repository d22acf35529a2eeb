from __future__ import annotations

from hearth.core import Bus, FakeClock, StateChanged, StateStore


def test_apply_publishes_only_real_changes_and_keeps_history() -> None:
    bus, clock = Bus(), FakeClock(start=0)
    store = StateStore(bus, clock, history_len=3)
    store.load({("lamp", "light", "on"): False})
    seen: list[StateChanged] = []
    bus.subscribe(StateChanged, seen.append)
    assert store.apply("lamp", "light", "on", False) is None
    for i in range(5):
        clock.advance(1)
        store.apply("lamp", "light", "on", i % 2 == 0)
    assert len(seen) == 5
    assert seen[0].old is False and seen[0].new is True
    assert store.last_changed("lamp", "light", "on") == 5.0
    assert [t for t, _ in store.history("lamp", "light", "on")] == [3.0, 4.0, 5.0]


def test_int_and_bool_are_different_values() -> None:
    store = StateStore(Bus(), FakeClock())
    store.load({("x", "s", "p"): 1})
    assert store.apply("x", "s", "p", True) is not None
