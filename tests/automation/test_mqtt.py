"""MQTT topic triggers: filter matching, payload and JSON value tests, the schema, and the topics the engine asks
the MQTT side to subscribe."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.adapters.mqtt import MqttConnection, MqttSettings, TopicBridge, matches
from hearth.automation import parse_rules
from hearth.automation._model import MqttTrigger
from hearth.automation._mqtt import MISSING, TopicIndex, filter_problem, parse_path, read_value
from hearth.core import MqttMessage, WebhookReceived
from hearth.errors import RuleError

from .conftest import HOME, rig

LIGHT_ON = "actions: [{command: {device: porch_light, property: light.on, value: true}}]"


def rule(trigger: str, rule_id: str = "r") -> str:
    return f"- id: {rule_id}\n  mode: parallel\n  triggers:\n    - {trigger}\n  {LIGHT_ON}\n"


# ---- topic filters ----

LEVEL = st.sampled_from(["home", "hall", "light", "state", "x", ""])
TOPIC = st.lists(LEVEL, min_size=1, max_size=4).map("/".join)
FILTER = st.lists(st.one_of(LEVEL, st.just("+")), min_size=1, max_size=4).flatmap(
    lambda levels: st.sampled_from(["/".join(levels), "/".join([*levels, "#"]), "#"]))


@given(filters=st.lists(FILTER, min_size=1, max_size=6, unique=True), topic=TOPIC)
def test_the_topic_tree_matches_exactly_what_mqtt_matching_does(filters: list[str], topic: str) -> None:
    index = TopicIndex()
    listeners = {f: (lambda _m, f=f: None) for f in filters}
    for f, listener in listeners.items():
        index.add(f, listener)
    found = index.match(topic)
    assert sorted(map(id, found)) == sorted(id(listeners[f]) for f in filters if matches(f, topic))


@given(filters=st.lists(FILTER, min_size=1, max_size=6))
def test_removing_every_listener_empties_the_tree(filters: list[str]) -> None:
    index = TopicIndex()
    added = [(f, lambda _m: None) for f in filters]
    for f, listener in added:
        index.add(f, listener)
    assert index.filters() == frozenset(filters)
    for f, listener in added:
        index.remove(f, listener)
    assert index.filters() == frozenset()
    assert index.match("home/hall/light") == [] and index.match("") == []


def test_a_dollar_topic_is_not_matched_by_a_leading_wildcard() -> None:
    index = TopicIndex()
    index.add("#", hash_ := lambda _m: None)
    index.add("+/broker/load", plus := lambda _m: None)
    index.add("$SYS/#", sys_ := lambda _m: None)
    assert index.match("$SYS/broker/load") == [sys_]
    assert index.match("a/broker/load") == [hash_, plus]


@pytest.mark.parametrize(("text", "problem"), [
    ("home/+/state", None), ("home/#", None), ("#", None), ("+", None),
    ("", "empty"), ("home/#/x", "'#' must be"), ("home/x#", "'#' must be"), ("home/a+", "'+' must be"),
])
def test_filter_problems(text: str, problem: str | None) -> None:
    found = filter_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_json_paths() -> None:
    assert parse_path("value_json") == ()
    assert parse_path("value_json.state") == ("state",)
    assert parse_path("value_json.a[0].b-c") == ("a", 0, "b-c")
    assert parse_path("value.state") is None and parse_path("value_json..a") is None
    assert read_value(("a", 1), '{"a": [1, {"b": 2}]}') == {"b": 2}
    assert read_value(("a", 5), '{"a": [1]}') is MISSING
    assert read_value(("a",), "not json") is MISSING
    assert read_value(("a", "b"), '{"a": 3}') is MISSING


# ---- the schema ----


def test_the_loader_compiles_an_mqtt_trigger() -> None:
    text = rule("{trigger: mqtt, topic: 'zigbee2mqtt/+/action', payload: 21, value: value_json.level, id: t}")
    trigger = parse_rules(text, HOME).rules[0].triggers[0]
    assert trigger == MqttTrigger("zigbee2mqtt/+/action", "21", ("level",), "t")


@pytest.mark.parametrize(("trigger", "expected"), [
    ("{trigger: mqtt, topic: 'a/#/b'}", "test.yaml:4: rule 'r': triggers[0].topic: 'a/#/b': '#' must be a whole level"),
    ("{trigger: mqtt, topic: a, value: 'value_json[x]'}", "triggers[0].value: 'value_json[x]': expected a JSON path"),
    ("{trigger: mqtt, topic: a, qos: 2}", "triggers[0].qos: unknown field"),
    ("{trigger: mqtt}", "triggers[0].topic: required field is missing"),
])
def test_bad_mqtt_triggers_are_rejected(trigger: str, expected: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_rules(rule(trigger), HOME, "test.yaml")
    assert expected in str(err.value)


# ---- firing ----


def message(topic: str, payload: str, retained: bool = False) -> MqttMessage:
    return MqttMessage(0.0, topic, payload, retained)


async def test_a_topic_with_wildcards_fires_for_live_messages_only() -> None:
    async with rig(rule("{trigger: mqtt, topic: 'home/+/button/#'}")) as r:
        r.bus.publish(message("home/hall/switch", "press"))
        r.bus.publish(message("home/hall/light/set", "press"))
        r.bus.publish(message("home/hall/button/1", "press", retained=True))  # replayed on subscribing
        assert r.outcomes("r") == []
        r.bus.publish(message("home/hall/button/1", "press"))
        assert r.outcomes("r") == ["done"]
        trigger = r.engine.traces("r")[0].trigger
        assert (trigger["kind"], trigger["topic"], trigger["payload"]) == ("mqtt", "home/hall/button/1", "press")


async def test_an_exact_payload_must_match() -> None:
    async with rig(rule("{trigger: mqtt, topic: doorbell, payload: ring}")) as r:
        r.bus.publish(message("doorbell", "RING"))
        r.bus.publish(message("doorbell", "ring"))
        assert r.outcomes("r") == ["done"]


async def test_a_json_value_fires_when_present_and_equal() -> None:
    text = rule("{trigger: mqtt, topic: 'sensor/#', value: value_json.contact, payload: false}", "open") + \
        rule("{trigger: mqtt, topic: sensor/door, value: 'value_json.battery'}", "battery")
    async with rig(text) as r:
        for payload in ("not json", '{"contact": true}', '{"other": 1}', '{"contact": false, "battery": 80}'):
            r.bus.publish(message("sensor/door", payload))
        assert r.outcomes("open") == ["done"]
        assert r.outcomes("battery") == ["done"]
        assert r.engine.traces("battery")[0].trigger["value"] == 80
        assert r.engine.traces("open")[0].trigger["value_text"] == "false"


async def test_the_engine_tells_which_topics_to_subscribe_as_they_change() -> None:
    text = rule("{trigger: mqtt, topic: 'a/#'}", "one") + rule("{trigger: mqtt, topic: 'a/#'}", "two") + """
- id: waiter
  triggers: [{trigger: webhook, webhook: go}]
  actions:
    - wait_for_trigger: [{trigger: mqtt, topic: reply}]
      timeout: 60
"""
    async with rig(text) as r:
        seen: list[frozenset[str]] = []
        stop = r.engine.watch_mqtt_topics(seen.append)
        assert r.engine.mqtt_topics() == {"a/#"}
        r.bus.publish(WebhookReceived(r.clock.now(), "go"))
        assert r.engine.mqtt_topics() == {"a/#", "reply"}
        r.bus.publish(message("reply", "ok"))
        await r.clock.run_for(1)
        assert r.outcomes("waiter") == ["done"]
        r.engine.set_enabled("one", False)
        assert r.engine.mqtt_topics() == {"a/#"}  # still wanted by rule two
        r.engine.set_enabled("two", False)
        assert r.engine.mqtt_topics() == frozenset()
        stop()
        r.engine.set_enabled("two", True)
        assert seen == [frozenset({"a/#", "reply"}), frozenset({"a/#"}), frozenset()]


async def test_the_mqtt_side_publishes_each_message_once_and_unsubscribes_on_undo() -> None:
    async with rig(rule("{trigger: mqtt, topic: 'a/#'}", "one") + rule("{trigger: mqtt, topic: a/b}", "two")) as r:
        conn = MqttConnection(MqttSettings())
        heard: list[MqttMessage] = []
        r.bus.subscribe(MqttMessage, heard.append)
        bridge = TopicBridge(conn, r.bus, r.clock)
        stop = bridge.follow(r.engine)
        assert bridge.topics == {"a/#", "a/b"}
        conn.deliver("a/b", "ü".encode())  # both filters match: one event on the bus
        assert [(m.topic, m.payload) for m in heard] == [("a/b", "ü")]
        assert r.outcomes("one") == ["done"] and r.outcomes("two") == ["done"]
        r.engine.set_enabled("two", False)
        assert bridge.topics == {"a/#"}
        stop()
        assert bridge.topics == frozenset()
        conn.deliver("a/b", b"again")
        assert len(heard) == 1
