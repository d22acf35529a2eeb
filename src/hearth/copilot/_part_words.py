"""Value lists whose choices name parts of the garden or house (sprinkler zones): the words that reach them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import product

from hearth.copilot._lexicon import CORE, VALUE, Meaning, load_section
from hearth.copilot._text import phrase_tokens
from hearth.model import PropertySpec

Table = dict[tuple[str, ...], list[Meaning]]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words that mark a value list as naming parts, and their Chinese."""

    lists: frozenset[str]
    things: frozenset[str]
    watering: tuple[tuple[str, ...], ...]
    words: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...]


@cache
def vocabulary() -> Vocabulary:
    data = load_section("parts")
    words = sorted(((phrase_tokens(str(k)), tuple(phrase_tokens(str(w)) for w in v)) for k, v in data["words"].items()),
                   key=lambda e: -len(e[0]))
    return Vocabulary(frozenset(t for w in data["lists"] for t in phrase_tokens(str(w))),
                       frozenset(t for w in data["things"] for t in phrase_tokens(str(w))),
                       tuple(phrase_tokens(str(w)) for w in data["watering"]), tuple(words))


def is_part_list(prop: PropertySpec) -> bool:
    """Whether a writable value list names parts (zones, lawns, beds) rather than modes or levels."""
    if not prop.writable or not prop.choices:
        return False
    vocab = vocabulary()
    said = {*phrase_tokens(prop.name), *phrase_tokens(prop.description or "")}
    return bool(said & vocab.lists) or any(set(phrase_tokens(c.description)) & vocab.things for c in prop.choices)


def _chinese(key: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Chinese ways to say an English choice, word by word ("back lawn" → 后面草坪, 后草坪, 后院草坪)."""
    pieces: list[tuple[tuple[str, ...], ...]] = []
    i = 0
    while i < len(key):
        found = next(((k, zh) for k, zh in vocabulary().words if key[i:i + len(k)] == k), None)
        if found is None:
            if not key[i].isdigit():
                return
            pieces.append(((key[i],),))
            i += 1
            continue
        pieces.append(found[1])
        i += len(found[0])
    for combo in product(*pieces):
        yield tuple(t for word in combo for t in word)
        if len(combo) > 1:
            yield tuple(t for word in combo[:-1] for t in word) + ("的",) + combo[-1]


def _numbered(prop: PropertySpec) -> dict[str, str]:
    """"Zone 2" → the choice whose name holds 2, or the second choice when no name holds a number."""
    named = {m.group(0): c.description for c in prop.choices for m in re.finditer(r"\d+", c.description)}
    if named:
        return named
    return {str(i): c.description for i, c in enumerate(prop.choices, start=1)}


def add_part_words(table: Table, device_id: str, prop: PropertySpec) -> None:
    """Make each part a value list names reach its device and that choice, in English and in Chinese."""
    lists = [w for w in ("zone", "area", "station") if w in phrase_tokens(f"{prop.name} {prop.description or ''}")]
    head = lists[0] if lists else "zone"
    for choice in prop.choices:
        key = phrase_tokens(choice.description)
        keys = {key, *_chinese(key)}
        for number, desc in _numbered(prop).items():
            if desc == choice.description:
                keys |= {(head, number), ("zone", number), (number, "号", "区"), ("第", number, "区"), ("区", number),
                         (number, "区")}
        for k in keys:
            meanings = table.setdefault(k, [])
            for meaning in ((VALUE, choice.description), (CORE, device_id)):
                if k and meaning not in meanings:
                    meanings.append(meaning)


def add_choice_words(table: Table, device_id: str, prop: PropertySpec) -> None:
    """Reach each choice of a writable value list by its name; parts (zones, lawns) also reach the device."""
    if is_part_list(prop):
        add_part_words(table, device_id, prop)
        return
    for choice in prop.choices if prop.writable else ():
        key = phrase_tokens(choice.description)
        if key and not any(k == "verb" for k, _ in table.get(key, ())) and (VALUE, choice.description) not in \
                table.setdefault(key, []):
            table[key].append((VALUE, choice.description))
