"""MQTT topic triggers: a tree of topic filters (with `+` and `#`) from a topic to its listeners, and the
payload tests of a trigger (an exact payload, or a value read from JSON by a path like `value_json.state`).

A message walks only the branches of the tree that can match it, so its cost follows the filters that match,
not how many exist. As MQTT says, a topic starting with `$` is not matched by a filter starting with a wildcard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from hearth.automation._model import MqttTrigger
from hearth.core import MqttMessage

Listener = Callable[[MqttMessage], None]
JsonPath = tuple[str | int, ...]
_PATH = re.compile(r"^value_json((?:\.[A-Za-z_][A-Za-z0-9_\-]*|\[\d+\])*)$")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+)\]")
MISSING: Any = object()  # what `read_value` returns when there is no value


def filter_problem(topic_filter: str) -> str | None:
    """What is wrong with an MQTT topic filter, or None when it is valid."""
    if not topic_filter:
        return "a topic filter cannot be empty"
    if "\0" in topic_filter:
        return "a topic filter cannot contain a NUL character"
    levels = topic_filter.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return "'#' must be a whole level, and the last one (like home/#)"
        if "+" in level and level != "+":
            return "'+' must be a whole level (like home/+/state)"
    return None


def parse_path(text: str) -> JsonPath | None:
    """`value_json.a[0].b` → ('a', 0, 'b'); None when the text is not such a path."""
    match = _PATH.match(text.strip())
    if match is None:
        return None
    return tuple(int(index) if index else key for key, index in _STEP.findall(match.group(1)))


def as_text(value: Any) -> str:
    """A value as a payload compares it: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def read_value(path: JsonPath, payload: str) -> Any:
    """The value at `path` in a JSON payload, or `MISSING` when the payload is not JSON or lacks it."""
    try:
        found: Any = json.loads(payload)
    except ValueError:
        return MISSING
    for step in path:
        if isinstance(step, int):
            if not isinstance(found, list) or step >= len(found):
                return MISSING
        elif not isinstance(found, dict) or step not in found:
            return MISSING
        found = found[step]
    return found




def mqtt_listener(trigger: MqttTrigger, index: int, fire: Callable[[int, object], None]) -> Listener:
    """A listener that fires for live messages whose payload (or value at the trigger's path) matches."""
    wanted, path = trigger.payload, trigger.path

    def heard(ev: MqttMessage) -> None:
        if ev.retained:  # the broker replaying old news on subscribing: not something that happened now
            return
        if path is None:
            if wanted is None or ev.payload == wanted:
                fire(index, ev)
            return
        value = read_value(path, ev.payload)
        if value is not MISSING and (wanted is None or as_text(value) == wanted):
            fire(index, ev)

    return heard


class _Node:
    __slots__ = ("children", "listeners")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.listeners: tuple[Listener, ...] = ()


class TopicIndex:
    """Listeners by topic filter, in a tree by level."""

    def __init__(self) -> None:
        self._root = _Node()
        self._filters: dict[str, int] = {}

    def add(self, topic_filter: str, listener: Listener) -> bool:
        """Add a listener; True when its filter is new."""
        node = self._root
        for level in topic_filter.split("/"):
            node = node.children.setdefault(level, _Node())
        node.listeners = (*node.listeners, listener)
        self._filters[topic_filter] = self._filters.get(topic_filter, 0) + 1
        return self._filters[topic_filter] == 1

    def remove(self, topic_filter: str, listener: Listener) -> bool:
        """Remove a listener; True when its filter has no listener left."""
        trail = [self._root]
        for level in topic_filter.split("/"):
            child = trail[-1].children.get(level)
            if child is None:
                return False
            trail.append(child)
        found = list(trail[-1].listeners)
        if listener not in found:
            return False
        found.remove(listener)
        trail[-1].listeners = tuple(found)
        levels = topic_filter.split("/")
        for level, parent, node in zip(reversed(levels), reversed(trail[:-1]), reversed(trail[1:]), strict=True):
            if node.listeners or node.children:
                break
            del parent.children[level]
        left = self._filters[topic_filter] - 1
        if left:
            self._filters[topic_filter] = left
            return False
        del self._filters[topic_filter]
        return True

    def filters(self) -> frozenset[str]:
        """Every filter with a listener."""
        return frozenset(self._filters)

    def match(self, topic: str) -> list[Listener]:
        """The listeners whose filter matches a topic."""
        found: list[Listener] = []
        levels = topic.split("/")
        nodes = [self._root]
        for depth, level in enumerate(levels):
            wild = not (depth == 0 and topic.startswith("$"))
            following: list[_Node] = []
            for node in nodes:
                children = node.children
                if wild:
                    rest = children.get("#")
                    if rest is not None:
                        found.extend(rest.listeners)
                    plus = children.get("+")
                    if plus is not None:
                        following.append(plus)
                exact = children.get(level)
                if exact is not None:
                    following.append(exact)
            if not following:
                return found
            nodes = following
        for node in nodes:
            found.extend(node.listeners)
            rest = node.children.get("#")  # `home/#` matches `home` itself
            if rest is not None:
                found.extend(rest.listeners)
        return found

    def clear(self) -> None:
        """Forget every filter."""
        self._root = _Node()
        self._filters.clear()
