"""Words for the device types a home declares itself: their kind, property and action names in both languages."""

from __future__ import annotations

from collections.abc import Iterable

from hearth.copilot._lexicon import MISC, NAME, PLACE, TYPE, VERB, CustomWords, Lexicon, Meaning
from hearth.copilot._text import phrase_tokens
from hearth.model import Device, Home, builtin_types

Table = dict[tuple[str, ...], list[Meaning]]

# Words in a type's name that do not say what it is ("Automatic cat feeder": cat feeder).
_GENERIC = frozenset({"automatic", "auto", "smart", "system", "device", "unit", "machine", "controller", "control",
                      "electric", "mini", "pro", "plus", "max", "home", "wifi", "wi", "fi", "the", "a", "an", "of",
                      "for", "and", "with", "x"})
ACTION = "action"
ACT = "act"


def is_custom(device: Device) -> bool:
    """Whether a device's type is declared by the home rather than taken from the catalog."""
    return device.type != "car" and device.type not in builtin_types()


def _contains(key: tuple[str, ...], sub: tuple[str, ...]) -> bool:
    n = len(sub)
    return any(key[i:i + n] == sub for i in range(len(key) - n + 1))


def _runs(tokens: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens) + 1):
            run = tokens[i:j]
            if not all(t in _GENERIC or t.isdigit() for t in run):
                yield run


def _replaceable(lex: Lexicon, key: tuple[str, ...]) -> bool:
    """A lexicon phrase the home's own words may take over: a kind it may lack, a place, an off-topic word."""
    return all((k == TYPE and v.startswith("x-")) or k == PLACE or (k == MISC and v == "out_of_scope")
               for k, v in lex.phrases.get(key, ()))


def _claim(table: Table, key: tuple[str, ...], meaning: Meaning, place_areas: dict[str, list[str]]) -> None:
    """Give a phrase a meaning of this home, dropping meanings that would refuse it (no such kind, off topic)."""
    items = table.setdefault(key, [])
    items[:] = [(k, v) for k, v in items if not ((k == TYPE and v.startswith("x-"))
                                                or (k == MISC and v == "out_of_scope")
                                                or (k == PLACE and not place_areas.get(v)))]
    if meaning not in items:
        items.append(meaning)


def add_type_words(table: Table, lex: Lexicon, device: Device, place_areas: dict[str, list[str]]) -> None:
    """'feeder' and 'cat feeder' for a type named cat-feeder described as 'Automatic cat feeder'."""
    for source in {device.type, device.spec.description}:
        for run in _runs(phrase_tokens(source)):
            if run in lex.phrases and not _replaceable(lex, run):
                continue
            _claim(table, run, (TYPE, device.type), place_areas)


def _matching(entries: Iterable[CustomWords], said: list[tuple[str, ...]], writable: bool | None) -> \
        Iterable[CustomWords]:
    for entry in entries:
        if entry.access and writable is not None and (entry.access == "write") != writable:
            continue
        if any(_contains(words, m) for m in entry.match for words in said if words):
            yield entry


def add_property_words(table: Table, lex: Lexicon, device: Device, place_areas: dict[str, list[str]]) -> None:
    """Common words in both languages for each custom property and action, by what its name says."""
    for svc in device.spec.services.values():
        for prop in svc.properties.values():
            said = [phrase_tokens(prop.name), phrase_tokens(prop.description)]
            for entry in _matching(lex.custom_props, said, prop.writable):
                for word in entry.words:
                    if any(k == "verb" for k, _ in table.get(word, ())):
                        continue
                    _claim(table, word, (NAME, prop.name), place_areas)
            for key in said:
                if key and any(k == MISC for k, _ in table.get(key, ())):
                    _claim(table, key, (NAME, prop.name), place_areas)
        for action in svc.actions.values():
            said = [phrase_tokens(action.name), phrase_tokens(action.description)]
            for entry in _matching(lex.custom_actions, said, None):
                for word in entry.words:
                    _claim(table, word, (ACTION, action.name), place_areas)
                    # A verb of its own, so a clause with only this word still looks for a device that can do it.
                    if not any(k == VERB for k, _ in table[word]):
                        table[word].append((VERB, ACT))


def add_name_parts(table: Table, lex: Lexicon, device: Device, parts: Iterable[tuple[str, ...]],
                   place_areas: dict[str, list[str]]) -> None:
    """Part of a custom device's name names it too ("the feeder", "泳池" for 泳池泵) unless the words mean more."""
    for part in parts:
        if part in lex.phrases and not _replaceable(lex, part):
            continue
        if any(k in ("area", "person", "zone", "floor", VERB) for k, _ in table.get(part, ())):
            continue
        _claim(table, part, ("device", device.id), place_areas)


def add_own_property_names(table: Table, lex: Lexicon, home: Home, place_areas: dict[str, list[str]]) -> None:
    """A custom property's name names its device too when no other device has it ("what's the soil moisture")."""
    owners: dict[tuple[str, ...], set[str]] = {}
    for device in home.devices.values():
        if not is_custom(device):
            continue
        for prop in (p for svc in device.spec.services.values() for p in svc.properties.values()):
            said = [phrase_tokens(prop.name), phrase_tokens(prop.description)]
            common = [w for entry in _matching(lex.custom_props, said, prop.writable) for w in entry.words]
            for key in {*said, *common}:
                if key and not all(t in _GENERIC for t in key) and (key not in lex.phrases or _replaceable(lex, key)):
                    owners.setdefault(key, set()).add(device.id)
    for key, ids in owners.items():
        if len(ids) == 1 and not any(k in ("area", "person", "zone", "floor", VERB) for k, _ in table.get(key, ())):
            _claim(table, key, ("device", next(iter(ids))), place_areas)
