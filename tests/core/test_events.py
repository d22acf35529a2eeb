from __future__ import annotations

import dataclasses
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.core import (
    SYSTEM,
    AuditRecorded,
    CommandIssued,
    DeviceEvent,
    Event,
    HubStarted,
    HubStopping,
    Notification,
    PerceptionDetected,
    RuleFired,
    StateChanged,
    WebhookReceived,
)

EVENTS: list[type[Event]] = [Event, StateChanged, DeviceEvent, CommandIssued, AuditRecorded, Notification, RuleFired,
                             PerceptionDetected, WebhookReceived, HubStarted, HubStopping]


def _required(kind: type[Event]) -> dict[str, object]:
    return {
        f.name: SYSTEM if f.name == "actor" else ("x",) if f.name == "to" else 1.5
        for f in dataclasses.fields(kind)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


@pytest.mark.parametrize("kind", EVENTS, ids=lambda k: k.__name__)
def test_signature_matches_the_dataclass_fields(kind: type[Event]) -> None:
    params = inspect.signature(kind).parameters
    fields = dataclasses.fields(kind)
    assert list(params) == [f.name for f in fields]
    for f in fields:
        if f.default is not dataclasses.MISSING:
            assert params[f.name].default == f.default


@pytest.mark.parametrize("kind", EVENTS, ids=lambda k: k.__name__)
def test_events_are_frozen_and_replace_works(kind: type[Event]) -> None:
    event = kind(**_required(kind))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.time = 2.0  # type: ignore[misc]
    later = dataclasses.replace(event, time=9.0)
    assert later.time == 9.0 and type(later) is kind
    assert later != event and dataclasses.replace(later, time=event.time) == event


def test_default_factories_give_each_event_its_own_value() -> None:
    first, second = DeviceEvent(0, "d", "s", "e"), DeviceEvent(0, "d", "s", "e")
    assert first.arguments == {} and first.arguments is not second.arguments
    assert DeviceEvent(0, "d", "s", "e", {"x": 1}).arguments == {"x": 1}


@given(
    st.floats(allow_nan=False), st.text(), st.text(), st.text(),
    st.one_of(st.none(), st.booleans(), st.integers(), st.text()), st.integers(), st.text(),
)
def test_state_changed_keeps_every_field(
    time: float, device: str, service: str, prop: str, old: object, new: int, cause: str
) -> None:
    event = StateChanged(time, device, service, prop, old, new, cause)  # type: ignore[arg-type]
    assert dataclasses.astuple(event) == (time, device, service, prop, old, new, cause)
    assert event == StateChanged(time=time, device=device, service=service, property=prop, old=old,  # type: ignore[arg-type]
                                 new=new, cause=cause)
    assert hash(event) == hash(dataclasses.replace(event))
    assert StateChanged(time, device, service, prop, old, new).cause == ""  # type: ignore[arg-type]
