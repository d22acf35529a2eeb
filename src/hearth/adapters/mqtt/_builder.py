"""The pieces component translations are made of: typed config access, readers, writers, and a builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hearth.adapters.mqtt._entity import (
    Caller,
    DiscoveryError,
    Outbound,
    PayloadError,
    Reader,
    Trigger,
    Writer,
    as_text,
    encode,
)
from hearth.adapters.mqtt._template import Template, TemplateError
from hearth.model import ActionSpec, Choice, EventSpec, PropertySpec, ServiceSpec


class Config:
    """A discovery config with typed getters that say which key is wrong."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def opt(self, key: str, default: str | None = None) -> str | None:
        value = self.raw.get(key, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        raise DiscoveryError(f"{self.where}: {key} must be text")

    def text(self, key: str, default: str) -> str:
        return self.opt(key, default) or default

    def num(self, key: str, default: float) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DiscoveryError(f"{self.where}: {key} must be a number")
        return float(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        return bool(value)

    def strings(self, key: str, default: list[str]) -> list[str]:
        value = self.raw.get(key, default)
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise DiscoveryError(f"{self.where}: {key} must be a list of text")
        return value

    def template(self, key: str) -> Template | None:
        source = self.opt(key)
        if not source:
            return None
        try:
            return Template(source)
        except TemplateError as exc:
            raise DiscoveryError(f"{self.where}: {key}: {exc}") from None


def render_value(payload: bytes, template: Template | None) -> Any:
    text = as_text(payload)
    return template.render(text, text) if template is not None else text


def read_as(prop: str, template: Template | None, convert: Callable[[Any], Any]) -> Reader:
    """A reader for one property from one topic."""

    def read(payload: bytes) -> Mapping[str, Any]:
        return {prop: convert(render_value(payload, template))}

    return read


def on_off(on: str, off: str) -> Callable[[Any], bool]:
    """Convert a state payload to a bool, refusing anything but the two declared words."""

    def convert(raw: Any) -> bool:
        text = str(raw)
        if text == on:
            return True
        if text == off:
            return False
        raise PayloadError(f"expected {on!r} or {off!r}, got {text!r}")

    return convert


def number(raw: Any) -> float:
    """Convert a payload to a number."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise PayloadError(f"expected a number, got {raw!r}") from None


def choice_of(words: Mapping[str, str]) -> Callable[[Any], str]:
    """Convert a device word to its Hearth description."""

    def convert(raw: Any) -> str:
        try:
            return words[str(raw)]
        except KeyError:
            raise PayloadError(f"{raw!r} is not one of {', '.join(words)}") from None

    return convert


def send(topic: str, template: Template | None = None, retain: bool = False) -> Callable[[Any], list[Outbound]]:
    """A writer that publishes the (templated) value to a command topic."""

    def write(value: Any) -> list[Outbound]:
        body = template.render(value) if template is not None else value
        return [Outbound(topic, encode(body), retain)]

    return write


def words(options: list[str]) -> tuple[tuple[Choice, ...], dict[str, str], dict[str, str]]:
    """Choices for device words, with maps device word → description and description → device word."""
    descriptions = [w.replace("_", " ").title() if w.islower() else w for w in options]
    choices = tuple(Choice(i, d) for i, d in enumerate(descriptions))
    return choices, dict(zip(options, descriptions, strict=True)), dict(zip(descriptions, options, strict=True))


class Builder:
    """Collects one entity's properties, readers, writers and actions while a component is translated."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.props: dict[str, PropertySpec] = {}
        self.readers: list[tuple[str, Reader]] = []
        self.writers: dict[str, Writer] = {}
        self.actions: dict[str, ActionSpec] = {}
        self.callers: dict[str, Caller] = {}
        self.events: dict[str, EventSpec] = {}
        self.triggers: list[tuple[str, Trigger]] = []

    def prop(self, spec: PropertySpec, state: tuple[str, Reader] | None = None, write: Writer | None = None) -> None:
        access: set[str] = set()
        if state is not None:
            access |= {"read", "notify"}
            self.readers.append(state)
        if write is not None:
            access.add("write")
            self.writers[spec.name] = write
        if not access:
            return
        self.props[spec.name] = PropertySpec(spec.name, spec.format, frozenset(access), spec.description, spec.unit,
                                             spec.range, spec.choices)

    def state(self, prop: str, topic_key: str, template_key: str, convert: Callable[[Any], Any]
              ) -> tuple[str, Reader] | None:
        topic = self.cfg.opt(topic_key)
        if not topic:
            return None
        return topic, read_as(prop, self.cfg.template(template_key), convert)

    def command(self, topic_key: str, template_key: str | None = None,
                convert: Callable[[Any], Any] = lambda v: v) -> Writer | None:
        topic = self.cfg.opt(topic_key)
        if not topic:
            return None
        out = send(topic, self.cfg.template(template_key) if template_key else None, self.cfg.flag("retain"))
        return lambda value: out(convert(value))

    def action(self, name: str, description: str, topic_key: str, payload: str) -> None:
        topic = self.cfg.opt(topic_key)
        if not topic:
            return
        retain = self.cfg.flag("retain")
        self.actions[name] = ActionSpec(name, description)
        self.callers[name] = lambda args: [Outbound(topic, payload.encode(), retain)]

    def service(self, name: str) -> ServiceSpec:
        return ServiceSpec(name, name.replace("-", " ").title(), self.props, self.actions, self.events)
