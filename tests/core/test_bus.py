from __future__ import annotations

from hearth.core import Bus, HubStarted, Notification, StateChanged


def _change(device: str, prop: str = "on") -> StateChanged:
    return StateChanged(0.0, device, "light", prop, False, True)


def test_typed_subscription_and_undo() -> None:
    bus = Bus()
    seen: list[object] = []
    remove = bus.subscribe(HubStarted, seen.append)
    bus.publish(HubStarted(1.0))
    bus.publish(Notification(1.0, ("a",), "t", "m"))
    assert seen == [HubStarted(1.0)]
    remove()
    bus.publish(HubStarted(2.0))
    assert len(seen) == 1
    assert bus.listener_count() == 0


def test_keyed_dispatch_reaches_only_matching_listeners() -> None:
    bus = Bus()
    lamp: list[StateChanged] = []
    lamp_on: list[StateChanged] = []
    other: list[StateChanged] = []
    bus.subscribe_state(lamp.append, "lamp")
    undo = bus.subscribe_state(lamp_on.append, "lamp", "light", "on")
    bus.subscribe_state(other.append, "other", "light", "on")
    bus.publish(_change("lamp"))
    bus.publish(_change("lamp", "brightness"))
    assert len(lamp) == 2 and len(lamp_on) == 1 and other == []
    undo()
    bus.publish(_change("lamp"))
    assert len(lamp_on) == 1


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = Bus()
    seen: list[object] = []

    def broken(_: object) -> None:
        raise RuntimeError("boom")

    bus.subscribe(HubStarted, broken)
    bus.subscribe(HubStarted, seen.append)
    bus.publish(HubStarted(0))
    assert seen == [HubStarted(0)]


def test_unsubscribing_during_dispatch_is_safe() -> None:
    bus = Bus()
    calls: list[int] = []
    removers: list[object] = []

    def first(_: object) -> None:
        calls.append(1)
        removers[0]()  # type: ignore[operator]

    removers.append(bus.subscribe(HubStarted, first))
    bus.subscribe(HubStarted, lambda _: calls.append(2))
    bus.publish(HubStarted(0))
    bus.publish(HubStarted(0))
    assert calls == [1, 2, 2]


def test_removing_twice_removes_only_once() -> None:
    bus = Bus()
    seen: list[object] = []
    first = bus.subscribe(HubStarted, seen.append)
    bus.subscribe(HubStarted, seen.append)
    first()
    first()
    bus.publish(HubStarted(0))
    assert len(seen) == 1
    keyed = bus.subscribe_state(seen.append, "lamp", "light", "on")
    bus.subscribe_state(seen.append, "lamp", "light", "on")
    keyed()
    keyed()
    bus.publish(_change("lamp"))
    assert len(seen) == 2


def test_subscribing_during_dispatch_takes_effect_from_the_next_event() -> None:
    bus = Bus()
    late: list[StateChanged] = []

    def first(event: StateChanged) -> None:
        bus.subscribe_state(late.append, "lamp")
        bus.subscribe(StateChanged, late.append)

    bus.subscribe_state(first, "lamp", "light", "on")
    bus.publish(_change("lamp"))
    assert late == []
    bus.publish(_change("lamp", "brightness"))
    assert len(late) == 2


def test_keyed_and_typed_listeners_all_detach() -> None:
    bus = Bus()
    undo = [
        bus.subscribe_state(lambda _: None, "lamp"),
        bus.subscribe_state(lambda _: None, "lamp", "light", "on"),
        bus.subscribe_state(lambda _: None, "lamp", "light", "brightness"),
        bus.subscribe(StateChanged, lambda _: None),
    ]
    assert bus.listener_count() == 4
    for remove in undo:
        remove()
    assert bus.listener_count() == 0
