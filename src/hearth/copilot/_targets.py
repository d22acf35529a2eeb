"""Words in the object's place that name nothing in the home: what to refuse instead of guessing or asking back."""

from __future__ import annotations

from hearth.copilot._frame import Frame
from hearth.copilot._lexicon import AREA, PERSON, TYPE
from hearth.copilot._resolve import CAR_ONLY

_PLACE_PREPS = frozenset({"in", "at", "on", "of", "inside", "里", "的"})
_OBJECT_BEFORE = frozenset({"the", "a", "an", "my", "our", "把", "将", "给"})


def unknown_target(frame: Frame) -> str | None:
    """A word that names the thing to act on but matches nothing in this home ("turn on the sauna")."""
    if not frame.unknown_spans:
        return None
    if frame.devices or frame.cores or frame.persons or set(frame.car_parts) & CAR_ONLY or "pronoun" in frame.flags:
        return None
    acted = frame.verbs or frame.props or frame.numbers or frame.types
    if not acted:
        return None
    type_starts = {m.start for m in frame.mentions if m.has(TYPE)}
    typed = frame.types or frame.weak_types
    verb_ends = {m.end for m in frame.mentions if m.has("verb")}
    area_ends = {m.end for m in frame.mentions if m.has(AREA)}
    for text, start, end in frame.unknown_spans:
        before = frame.tokens[start - 1] if start > 0 else ""
        near_type = end in type_starts or (end + 1 in type_starts and frame.tokens[end] == "的")
        if typed:
            if near_type or before in _PLACE_PREPS:
                return text
            continue
        # Only a word in the object's place names a missing thing: right after the verb or an article, or right
        # after a room ("the garage sauna", "车库的香薰"); not "I'd like the kids' room at 21 degrees".
        near_area = start in area_ends or (before == "的" and start - 1 in area_ends)
        if near_area or before in _OBJECT_BEFORE or start in verb_ends:
            return text
    return None


_ROOM_WORDS = frozenset({"room", "bedroom", "房间", "屋", "屋子", "卧室"})


def unlinked_person_room(frame: Frame) -> str | None:
    """"Tom's room" when no room's name or alias carries Tom's name: the person named, else None."""
    if frame.areas:
        return None
    ends = {m.end: m for m in frame.mentions if m.has(PERSON)}
    for text, start, _ in frame.unknown_spans:
        person = ends.get(start) or (ends.get(start - 1) if start and frame.tokens[start - 1] == "的" else None)
        if person is not None and text in _ROOM_WORDS:
            return next(str(v) for k, v in person.meanings if k == PERSON)
    return None
