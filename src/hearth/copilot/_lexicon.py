"""The bilingual lexicon: words for actions, kinds of devices, properties, values and car parts (YAML data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from hearth.copilot._text import phrase_tokens

# Kinds of meaning a phrase can carry; a phrase may carry several (e.g. "garage": an area and a device kind).
VERB, TYPE, PROP, VALUE, CAR, MISC = "verb", "type", "prop", "value", "car", "misc"
DEVICE, CORE, AREA, FLOOR = "device", "core", "area", "floor"
PERSON, ZONE, PLACE, NAME = "person", "zone", "place", "name"
COMPLAINT = "complaint"

Meaning = tuple[str, str]


@dataclass(frozen=True, slots=True)
class PropertyConcept:
    """A property people talk about, and which spec property names it means for commands and questions."""

    name: str
    set_names: tuple[str, ...]
    get_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CarPart:
    """A part of a car and its VSS signals."""

    name: str
    kind: str
    paths: tuple[str, ...]
    get_paths: tuple[str, ...]
    every: bool = False


@dataclass(frozen=True, slots=True)
class CarBrand:
    """A car make: the words for it and for some of its models."""

    name: str
    words: tuple[tuple[str, ...], ...]
    models: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class CustomWords:
    """Words for one kind of custom property or action, and the name words that say a spec entry is of that kind."""

    name: str
    match: tuple[tuple[str, ...], ...]
    words: tuple[tuple[str, ...], ...]
    access: str = ""


# The kind of device a car make names when no car of the home is of that make.
OTHER_CAR = "x-car-brand"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Phrase table (token tuple → meanings) plus the concepts phrases point at."""

    phrases: Mapping[tuple[str, ...], tuple[Meaning, ...]]
    concepts: Mapping[str, PropertyConcept]
    car_parts: Mapping[str, CarPart]
    type_words: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    brands: Mapping[str, CarBrand] = field(default_factory=dict)
    custom_props: tuple[CustomWords, ...] = ()
    custom_actions: tuple[CustomWords, ...] = ()
    place_related: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    device_kinds: tuple[tuple[tuple[str, ...], ...], ...] = ()


def _load(name: str) -> dict[str, Any]:
    text = resources.files("hearth.copilot").joinpath(f"lexicon/{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    # YAML 1.1 reads bare on/off keys as booleans; here they are action names.
    return {(("on" if k else "off") if isinstance(k, bool) else str(k)): v for k, v in data.items()}


@cache
def part_words() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """Parts of a custom device: (words in a service's name or description, words people say for that part)."""
    parts = _load("custom").get("parts", {})
    return tuple((tuple(str(m).lower() for m in e["match"]), tuple(str(w).lower() for w in e["words"]))
                 for e in parts.values())


def _s(item: Any) -> str:
    # YAML 1.1 reads bare on/off/yes/no as booleans; in the lexicon they are words.
    return ("on" if item else "off") if isinstance(item, bool) else str(item)


def _words(entry: Mapping[str, Any]) -> list[str]:
    return [_s(w) for w in (*entry.get("en", ()), *entry.get("zh", ()))]


class _Table:
    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], list[Meaning]] = {}

    def add(self, phrase: str, meaning: Meaning) -> None:
        key = phrase_tokens(phrase)
        if not key:
            return
        items = self.phrases.setdefault(key, [])
        if meaning not in items:
            items.append(meaning)


@cache
def lexicon() -> Lexicon:
    """Load the built-in lexicon once."""
    table = _Table()
    for action, entry in _load("verbs").items():
        for word in _words(entry):
            table.add(word, (VERB, action))
    type_words: dict[str, list[tuple[str, ...]]] = {}
    for type_name, entry in _load("types").items():
        for word in _words(entry):
            table.add(word, (TYPE, type_name))
            type_words.setdefault(type_name, []).append(phrase_tokens(word))
    concepts: dict[str, PropertyConcept] = {}
    for concept, entry in _load("properties").items():
        concepts[concept] = PropertyConcept(concept, tuple(map(_s, entry.get("set", ()))),
                                            tuple(map(_s, entry.get("get", ()))))
        for word in _words(entry):
            table.add(word, (PROP, concept))
    for value, entry in _load("values").items():
        for word in [*_words(entry), str(value)]:
            table.add(word, (VALUE, str(value)))
    car_parts: dict[str, CarPart] = {}
    for part, entry in _load("car").items():
        car_parts[part] = CarPart(part, str(entry["kind"]), tuple(entry.get("paths", ())), tuple(entry.get("get", ())),
                                  bool(entry.get("all", False)))
        for word in _words(entry):
            table.add(word, (CAR, part))
    for complaint, entry in _load("complaints").items():
        for word in _words(entry):
            for meaning in ((COMPLAINT, complaint), (VERB, str(entry["direction"])), (PROP, str(entry["prop"]))):
                table.add(word, meaning)
    for group, words in _load("misc").items():
        for word in words:
            table.add(_s(word), (MISC, group))
    places = _load("places")
    for place in places["places"]:
        for word in place:
            table.add(str(word), (PLACE, str(place[0])))
    related = {str(k): tuple(map(str, v or ())) for k, v in places.get("related", {}).items()}
    brands: dict[str, CarBrand] = {}
    type_words[OTHER_CAR] = [phrase_tokens("car of that make"), phrase_tokens("这个品牌的车")]
    for brand, entry in _load("brands").items():
        words = tuple(phrase_tokens(w) for w in _words(entry))
        brands[brand] = CarBrand(brand, words, tuple(phrase_tokens(_s(m)) for m in entry.get("models", ())))
        for word in _words(entry):
            table.add(word, (TYPE, OTHER_CAR))
    custom = _load("custom")
    props, actions = (tuple(CustomWords(name, tuple(phrase_tokens(_s(m)) for m in entry["match"]),
                                        tuple(phrase_tokens(w) for w in _words(entry)),
                                        "write" if entry.get("write") else "read" if entry.get("read") else "")
                            for name, entry in custom[section].items()) for section in ("properties", "actions"))
    kinds = tuple(tuple(phrase_tokens(_s(w)) for w in group) for group in _load("kinds")["kinds"])
    _add_missing_kinds(table, type_words, kinds)
    phrases = {k: tuple(v) for k, v in table.phrases.items()}
    return Lexicon(phrases, concepts, car_parts, {k: tuple(v) for k, v in type_words.items()}, brands, props,
                   actions, related, kinds)


def _add_missing_kinds(table: _Table, type_words: dict[str, list[tuple[str, ...]]],
                       kinds: tuple[tuple[tuple[str, ...], ...], ...]) -> None:
    """Every word for a household object names a kind a home may lack, refused by its own name ("no dishwasher")."""
    for group in kinds:
        name = "x-" + "-".join(group[0])
        added = []
        for key in group:
            items = table.phrases.setdefault(key, [])
            if all(k == TYPE and v.startswith("x-") for k, v in items):
                items[:] = [(TYPE, name)]
                added.append(key)
        if added:
            type_words[name] = list(dict.fromkeys([*added, *type_words.get(name, ())]))


def load_section(name: str) -> dict[str, Any]:
    """One lexicon YAML file (lexicon/<name>.yaml) as a mapping."""
    return _load(name)
