"""Phone payloads: OwnTracks messages and the location webhook, read or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.adapters.phone import (
    Fix,
    PayloadError,
    Regions,
    Skipped,
    Transition,
    owntracks_identity,
    parse_owntracks,
    parse_webhook,
)


def test_owntracks_location() -> None:
    fix = parse_owntracks({"_type": "location", "lat": 31.2304, "lon": 121.4737, "tst": 1767225600, "acc": 12,
                           "batt": 64, "bs": 2, "conn": "w", "inregions": ["Home"], "tid": "al", "vel": 0})
    assert fix == Fix(31.2304, 121.4737, 1767225600.0, 12.0, 64, True, ("Home",))


def test_owntracks_battery_status_unknown_leaves_charging_alone() -> None:
    fix = parse_owntracks({"_type": "location", "lat": 1, "lon": 2, "tst": 3, "bs": 0})
    assert isinstance(fix, Fix) and fix.charging is None and fix.regions is None


def test_owntracks_transition_with_and_without_a_position() -> None:
    moved = parse_owntracks({"_type": "transition", "event": "leave", "desc": "Office", "lat": 31.24,
                             "lon": 121.5, "tst": 10, "acc": 20, "t": "c", "wtst": 1})
    assert moved == Transition("leave", "Office", 10.0, Fix(31.24, 121.5, 10.0, 20.0))
    bare = parse_owntracks({"_type": "transition", "event": "enter", "desc": "Home", "tst": 11})
    assert bare == Transition("enter", "Home", 11.0, None)


def test_owntracks_waypoints() -> None:
    one = parse_owntracks({"_type": "waypoint", "desc": "Gym", "lat": 1, "lon": 2, "rad": 50, "tst": 1})
    many = parse_owntracks({"_type": "waypoints", "waypoints": [
        {"_type": "waypoint", "desc": "A", "lat": 1, "lon": 2, "rad": 10},
        {"_type": "waypoint", "desc": "B", "lat": 3, "lon": 4, "rad": 20}]})
    assert isinstance(one, Regions) and one.regions[0].name == "Gym"
    assert isinstance(many, Regions) and [r.name for r in many.regions] == ["A", "B"]


def test_other_owntracks_types_are_skipped() -> None:
    assert parse_owntracks({"_type": "card", "name": "Alice"}) == Skipped("card")
    assert parse_owntracks({"_type": "lwt", "tst": 1}) == Skipped("lwt")


@pytest.mark.parametrize(("payload", "message"), [
    ([], "JSON object"),
    ({"lat": 1}, "_type"),
    ({"_type": "encrypted", "data": "xx"}, "encryption off"),
    ({"_type": "location", "lon": 2, "tst": 3}, "`lat` is required"),
    ({"_type": "location", "lat": "31", "lon": 2, "tst": 3}, "`lat` must be a number"),
    ({"_type": "location", "lat": 91, "lon": 2, "tst": 3}, "latitude 91.0"),
    ({"_type": "location", "lat": 1, "lon": 2}, "`tst` is required"),
    ({"_type": "location", "lat": 1, "lon": 2, "tst": 3, "batt": 101}, "battery 101"),
    ({"_type": "location", "lat": 1, "lon": 2, "tst": 3, "batt": 5.5}, "whole number"),
    ({"_type": "location", "lat": 1, "lon": 2, "tst": 3, "acc": -1}, "negative"),
    ({"_type": "location", "lat": 1, "lon": 2, "tst": 3, "inregions": "Home"}, "inregions"),
    ({"_type": "transition", "event": "arrive", "desc": "Home", "tst": 1}, "enter or leave"),
    ({"_type": "transition", "event": "enter", "tst": 1}, "desc"),
    ({"_type": "waypoints", "waypoints": {}}, "list"),
])
def test_bad_owntracks_messages_say_what_is_wrong(payload: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_owntracks(payload)


def test_webhook_plain_and_home_assistant_shapes() -> None:
    assert parse_webhook({"latitude": 31.2, "longitude": 121.4, "accuracy": 8, "battery": 77, "charging": False,
                          "timestamp": 100}) == Fix(31.2, 121.4, 100.0, 8.0, 77, False)
    assert parse_webhook({"type": "update_location", "data": {"gps": [31.2, 121.4], "gps_accuracy": 15,
                                                              "battery": 40}}) == Fix(31.2, 121.4, None, 15.0, 40)


@pytest.mark.parametrize(("payload", "message"), [
    ("31,121", "JSON object"),
    ({"latitude": 31.2}, "`longitude` is required"),
    ({"latitude": 31.2, "longitude": 121.4, "speed": 3}, "unknown field 'speed'"),
    ({"latitude": 31.2, "longitude": 121.4, "charging": "yes"}, "true or false"),
    ({"latitude": float("inf"), "longitude": 121.4}, "finite"),
    ({"type": "update_registration"}, "update_location"),
    ({"type": "update_location", "data": {"gps": [31.2]}}, "gps"),
])
def test_bad_webhooks_say_what_is_wrong(payload: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_webhook(payload)


@given(st.floats(allow_nan=False, allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False))
def test_any_coordinates_are_read_or_refused_never_passed_through_wrong(lat: float, lon: float) -> None:
    try:
        fix = parse_webhook({"latitude": lat, "longitude": lon})
    except PayloadError:
        assert not (-90 <= lat <= 90 and -180 <= lon <= 180)
    else:
        assert (fix.latitude, fix.longitude) == (lat, lon)


@pytest.mark.parametrize(("topic", "who"), [
    ("owntracks/alice/pixel", "alice/pixel"), ("owntracks/alice/pixel/event", "alice/pixel"),
    ("owntracks/alice", None), ("other/alice/pixel", None), ("owntracks//pixel", None),
])
def test_owntracks_topics(topic: str, who: str | None) -> None:
    assert owntracks_identity(topic) == who
