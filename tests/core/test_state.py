from __future__ import annotations

import pytest

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


def test_last_changed_follows_loads_restores_and_changes() -> None:
    clock = FakeClock(start=100)
    store = StateStore(Bus(), clock)
    store.load({("a", "s", "p"): 1, ("b", "s", "p"): 1})
    clock.advance(10)
    store.load({("b", "s", "p"): 2, ("c", "s", "p"): 3}, changed={("b", "s", "p"): 50.0})
    clock.advance(10)
    store.load({("d", "s", "p"): 4})
    assert [store.last_changed(d, "s", "p") for d in "abcd"] == [100.0, 50.0, 110.0, 120.0]
    clock.advance(5)
    store.apply("a", "s", "p", 2)
    assert store.last_changed("a", "s", "p") == 125.0
    with pytest.raises(KeyError):
        store.last_changed("nope", "s", "p")


def test_history_is_bounded_and_filtered_by_time() -> None:
    clock = FakeClock(start=0)
    store = StateStore(Bus(), clock, history_len=2)
    store.load({("x", "s", "p"): 0})
    assert store.history("x", "s", "p") == []
    for value in (1, 2, 3):
        clock.advance(1)
        store.apply("x", "s", "p", value)
    assert store.history("x", "s", "p") == [(2.0, 2), (3.0, 3)]
    assert store.history("x", "s", "p", since=3.0) == [(3.0, 3)]
