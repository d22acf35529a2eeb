"""Kinds of room and device in both languages: how a home's own names are reached by generic words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from hearth.copilot._lexicon import AREA, CORE, DEVICE, FLOOR, PERSON, PLACE, TYPE, ZONE, Meaning
from hearth.copilot._text import has_cjk

Table = dict[tuple[str, ...], list[Meaning]]


def add_related_places(place_areas: dict[str, list[str]], related: Mapping[str, tuple[str, ...]]) -> None:
    """Let a kind of room the home lacks reach the nearest kind it has ("书房" → the den, "院子" → the patio)."""
    found = {place: list(ids) for place, ids in place_areas.items() if ids}
    kinds: dict[str, set[str]] = defaultdict(set)
    for place, ids in found.items():
        for area_id in ids:
            kinds[area_id].add(place)
    for place, others in related.items():
        if found.get(place):
            continue
        for other in others:
            # A room that is already another kind of room (a den that is the media room) is not taken.
            only = [a for a in found.get(other, ()) if kinds[a] == {other}]
            if only:
                place_areas[place] = only
                break


def place_types_as_areas(table: Table, place_areas: Mapping[str, list[str]]) -> None:
    """Make a room word that is also a device kind name the room when the home has one such room (车库的灯)."""
    for meanings in table.values():
        if not any(k == TYPE for k, _ in meanings) or any(k == AREA for k, _ in meanings):
            continue
        for kind, place in list(meanings):
            found = place_areas.get(place, []) if kind == PLACE else []
            if len(found) == 1:
                meanings.append((AREA, found[0]))


def _holds_kind(table: Table, key: tuple[str, ...], said: tuple[str, ...]) -> bool:
    # Chinese has no spaces: "台灯" inside "阳台灯" is not a desk lamp; the word must start the name or follow
    # a room's or person's name (书房台灯, 奶奶的台灯).
    n = len(said)
    for i in range(len(key) - n + 1):
        if key[i:i + n] != said:
            continue
        if not has_cjk(said[0]) or i == 0 or key[i - 1] == "的":
            return True
        if any(k in (AREA, PLACE, PERSON) for k, _ in table.get(key[:i], ())):
            return True
    return False


def add_kind_words(table: Table, groups: tuple[tuple[tuple[str, ...], ...], ...], keys: list[tuple[str, ...]],
                   device_id: str) -> None:
    """Reach a device by every word for the kind its name holds ("the desk lamp" → 书房台灯, "台灯" → Reading lamp)."""
    for group in groups:
        if not any(_holds_kind(table, key, said) for key in keys for said in group):
            continue
        for said in group:
            meanings = table.setdefault(said, [])
            if any(k in (DEVICE, AREA, PERSON, ZONE, FLOOR) for k, _ in meanings) or (CORE, device_id) in meanings:
                continue
            # The home has one: a kind it would lack ("no hot tub") no longer refuses the word.
            meanings[:] = [(k, v) for k, v in meanings if not (k == TYPE and v.startswith("x-"))]
            meanings.append((CORE, device_id))
