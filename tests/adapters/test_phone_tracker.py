"""The phone tracker: fixes move the phone and its owner's presence; stale, coarse and foreign reports do not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hearth.adapters.phone import Fix, OwnTracksListener, PhoneTracker, Regions, Skipped, Transition
from hearth.core import SYSTEM, Command, FakeClock
from hearth.errors import AdapterError
from hearth.hub import build_core
from hearth.model import Home, parse_home

HOME = (31.2304, 121.4737)
OFFICE = (31.2397, 121.4998)
FAR = (31.30, 121.60)

HOME_FILE = """
home: {location: {latitude: 31.2304, longitude: 121.4737}, home_radius: 150}
zones:
  - {id: office, name: Office, aliases: [公司, work], latitude: 31.2397, longitude: 121.4998, radius: 300}
people:
  - {id: alice, name: Alice, devices: [alice_phone]}
  - {id: bob, name: Bob}
devices:
  - {id: alice_phone, type: phone, adapter: phone, binding: {owntracks: alice/pixel, token: alice-secret-1}}
  - {id: bob_phone, type: phone, adapter: phone, owner: bob, binding: {owntracks: bob/iphone}}
  - {id: spare_phone, type: phone, adapter: phone}
  - {id: twin_phone, type: phone}
"""


class Rig:
    def __init__(self, text: str = HOME_FILE) -> None:
        self.home: Home = parse_home(text, "test.yaml")
        self.clock = FakeClock()
        self.bus, self.state, self.commands = build_core(self.home, self.clock)
        self.tracker = PhoneTracker(self.home, self.state, self.clock)
        self.commands.add_adapter(self.tracker)

    def get(self, device: str, service: str, prop: str) -> Any:
        return self.state.get(device, service, prop)

    def presence(self, person: str) -> tuple[Any, Any]:
        return self.get(person, "presence", "zone"), self.get(person, "presence", "at-home")


@pytest.fixture
def rig() -> Rig:
    return Rig()


def test_a_fix_moves_the_phone_and_its_owner(rig: Rig) -> None:
    report = rig.tracker.locate("alice_phone", Fix(*OFFICE, time=100, accuracy=12, battery=55, charging=False),
                                "owntracks")
    assert (report.status, report.zone) == ("applied", "office")
    assert rig.get("alice_phone", "location", "latitude") == OFFICE[0]
    assert rig.get("alice_phone", "battery", "battery-level") == 55
    assert rig.get("alice_phone", "battery", "charging") is False
    assert rig.get("alice", "location", "longitude") == OFFICE[1]
    assert rig.get("alice", "location", "accuracy") == 12.0
    assert rig.presence("alice") == ("office", False)
    rig.tracker.locate("alice_phone", Fix(*FAR, time=200), "owntracks")
    assert rig.presence("alice") == ("away", False)
    rig.tracker.locate("alice_phone", Fix(HOME[0] + 0.0005, HOME[1], time=300), "owntracks")  # ~55 m off
    assert rig.presence("alice") == ("home", True)


def test_the_owner_comes_from_the_device_or_the_person(rig: Rig) -> None:
    assert rig.tracker.owner("alice_phone") == "alice"  # listed under the person
    assert rig.tracker.owner("bob_phone") == "bob"  # `owner:` on the device
    assert rig.tracker.owner("spare_phone") is None
    report = rig.tracker.locate("spare_phone", Fix(*FAR, time=1), "phone-webhook")
    assert (report.status, report.zone) == ("applied", None)
    assert rig.get("spare_phone", "location", "latitude") == FAR[0]


def test_stale_and_repeated_fixes_change_nothing(rig: Rig) -> None:
    rig.tracker.locate("alice_phone", Fix(*FAR, time=500), "owntracks")
    changes = len(rig.state.history("alice_phone", "location", "latitude"))
    for old in (Fix(*OFFICE, time=499), Fix(*OFFICE, time=500)):
        assert rig.tracker.locate("alice_phone", old, "owntracks").status == "stale"
    assert len(rig.state.history("alice_phone", "location", "latitude")) == changes
    assert rig.presence("alice") == ("away", False)


def test_fixes_without_a_time_use_the_clock(rig: Rig) -> None:
    assert rig.tracker.locate("bob_phone", Fix(*OFFICE), "phone-webhook").status == "applied"
    rig.clock.advance(5)
    assert rig.tracker.locate("bob_phone", Fix(*HOME), "phone-webhook").zone == "home"
    assert rig.tracker.locate("bob_phone", Fix(*FAR, time=rig.clock.now() - 60), "owntracks").status == "stale"


def test_a_coarse_fix_moves_the_phone_but_not_the_person(rig: Rig) -> None:
    rig.tracker.locate("alice_phone", Fix(*HOME, time=1, accuracy=10), "owntracks")
    report = rig.tracker.locate("alice_phone", Fix(*FAR, time=2, accuracy=5000), "owntracks")
    assert report.status == "applied" and "coarse" in report.reason
    assert rig.get("alice_phone", "location", "latitude") == FAR[0]
    assert rig.presence("alice") == ("home", True)


def test_regions_the_phone_reports_name_the_zone(rig: Rig) -> None:
    # The phone's own geofence says "work" (an alias of the office) although the point is just outside it.
    rig.tracker.locate("alice_phone", Fix(*FAR, time=1, regions=("gym", "work")), "owntracks")
    assert rig.presence("alice") == ("office", False)


def test_transitions_enter_and_leave(rig: Rig) -> None:
    rig.tracker.locate("alice_phone", Fix(*FAR, time=1), "owntracks")
    assert rig.tracker.handle("alice_phone", Transition("enter", "Home", 2.0), "owntracks").zone == "home"
    assert rig.presence("alice") == ("home", True)
    assert rig.tracker.handle("alice_phone", Transition("leave", "home", 3.0), "owntracks").zone == "away"
    assert rig.presence("alice") == ("away", False)
    # Leaving with a position still inside the circle: the phone's geofence wins over the map.
    rig.tracker.handle("alice_phone", Transition("enter", "office", 4.0, Fix(*OFFICE, 4.0)), "owntracks")
    rig.tracker.handle("alice_phone", Transition("leave", "公司", 5.0, Fix(*OFFICE, 5.0)), "owntracks")
    assert rig.presence("alice") == ("away", False)
    assert rig.tracker.handle("alice_phone", Transition("enter", "Gym", 6.0), "owntracks").status == "ignored"
    assert rig.tracker.handle("alice_phone", Transition("enter", "home", 1.0), "owntracks").status == "stale"


def test_regions_and_other_messages_are_acknowledged(rig: Rig) -> None:
    assert rig.tracker.handle("alice_phone", Regions(()), "owntracks").status == "ignored"
    assert rig.tracker.handle("alice_phone", Skipped("card"), "owntracks").status == "ignored"


def test_only_bound_phones_report(rig: Rig) -> None:
    with pytest.raises(AdapterError, match="twin_phone"):
        rig.tracker.handle("twin_phone", Fix(*HOME, time=1), "owntracks")
    assert set(rig.tracker.phones) == {"alice_phone", "bob_phone", "spare_phone"}
    assert rig.tracker.by_owntracks == {"alice/pixel": "alice_phone", "bob/iphone": "bob_phone"}


def test_tokens_compare_exactly(rig: Rig) -> None:
    assert rig.tracker.token_matches("alice_phone", "alice-secret-1")
    assert not rig.tracker.token_matches("alice_phone", "alice-secret-2")
    assert not rig.tracker.token_matches("bob_phone", "")


async def test_phones_take_no_commands(rig: Rig) -> None:
    result = await rig.commands.execute(Command("alice_phone", "battery", "charging", True), SYSTEM)
    assert not result.ok


@pytest.mark.parametrize(("binding", "message"), [
    ("{owntracks: alice}", "user/device"),
    ("{owntracks: alice/+}", "user/device"),
    ("{token: short}", "8 characters"),
    ("{mqtt: x}", "unknown keys"),
])
def test_bad_bindings_are_named(binding: str, message: str) -> None:
    with pytest.raises(AdapterError, match=message):
        Rig(f"devices:\n  - {{id: p, type: phone, adapter: phone, binding: {binding}}}\n")


def test_an_owntracks_identity_is_bound_once() -> None:
    with pytest.raises(AdapterError, match="bound twice"):
        Rig("devices:\n  - {id: p1, type: phone, adapter: phone, binding: {owntracks: a/b}}\n"
            "  - {id: p2, type: phone, adapter: phone, binding: {owntracks: a/b}}\n")


class FakeSubscriber:
    """The in-memory seam of an MQTT connection."""

    def __init__(self) -> None:
        self.filters: list[str] = []

    def subscribe(self, topic_filter: str, handler: Callable[[str, bytes, bool], None], qos: int = 1) -> Any:
        self.filters.append(topic_filter)
        return lambda: self.filters.remove(topic_filter)


def test_owntracks_over_mqtt_topics(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    conn = FakeSubscriber()
    listener = OwnTracksListener(conn, rig.tracker)
    remove = listener.start()
    assert conn.filters == ["owntracks/#"]

    def send(topic: str, payload: Any) -> None:
        listener.deliver(topic, payload if isinstance(payload, bytes) else json.dumps(payload).encode())

    send("owntracks/alice/pixel", {"_type": "location", "lat": OFFICE[0], "lon": OFFICE[1], "tst": 10, "batt": 70})
    assert rig.presence("alice") == ("office", False)
    send("owntracks/alice/pixel/event", {"_type": "transition", "event": "enter", "desc": "Home", "tst": 11})
    assert rig.presence("alice") == ("home", True)
    before = dict(rig.state.values)
    send("owntracks/alice/pixel", b"{not json")
    send("owntracks/alice/pixel", {"_type": "location", "lat": 200, "lon": 0, "tst": 12})
    send("owntracks/carol/phone", {"_type": "location", "lat": 1, "lon": 1, "tst": 13})  # bound to nobody
    send("owntracks/alice/pixel/info", {"_type": "card", "name": "Alice"})
    send("owntracks/alice/pixel", b"")  # a cleared retained message
    assert dict(rig.state.values) == before
    assert "owntracks/alice/pixel: dropped a bad message" in caplog.text
    remove()
    assert conn.filters == []


def test_battery_values_follow_the_spec(rig: Rig) -> None:
    rig.tracker.locate("alice_phone", Fix(*HOME, time=1, battery=100, charging=True), "owntracks")
    assert rig.get("alice_phone", "battery", "battery-level") == 100
    assert rig.get("alice_phone", "battery", "charging") is True
