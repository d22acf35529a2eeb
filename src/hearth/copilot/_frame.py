"""Slot filling: split a sentence into clauses and collect each clause's actions, targets, properties and values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

from hearth.copilot._index import HomeIndex, Mention
from hearth.copilot._lexicon import (
    AREA,
    CAR,
    COMPLAINT,
    CORE,
    DEVICE,
    FLOOR,
    MISC,
    NAME,
    PERSON,
    PLACE,
    PROP,
    TYPE,
    VALUE,
    VERB,
    ZONE,
    lexicon,
)
from hearth.copilot._text import Lang, normalize, stem, tokenize

_UNITS = {
    "%": "%", "percent": "%", "pct": "%", "度": "°", "degree": "°", "deg": "°", "c": "°", "celsiu": "°",
    "k": "K", "kelvin": "K", "km": "km", "公里": "km", "kilometer": "km", "档": "level", "挡": "level",
    "级": "level", "区": "level", "zone": "level", "level": "level", "speed": "level", "a": "A", "amp": "A",
    "安": "A", "ampere": "A",
}
_ABSOLUTE = frozenset({"to", "at", "到", "至", "成", "为", "是", "=", "on"})
_RELATIVE = frozenset({"by", "another", "more", "extra", "多", "加", "减"})
_PREP_NEXT = frozenset({"the", "my", "our", "a", "top", "ground", "first", "second", "third", "upper", "lower",
                        "main", "both", "all", "each", "this", "that"})
# "空调高两度" / "再低2度": a bare 高/低 right before a number is a relative step, not the High/Low setting.
_BARE_DIRECTION = {"高": ("up", "High"), "低": ("down", "Low")}
_NAMED = frozenset({DEVICE, CORE, AREA, FLOOR, PERSON, ZONE})
_SPLIT_PUNCT = frozenset({",", ";", "!", "?"})
_AND = frozenset({"and", "和", "跟", "与"})
_QUESTION_START = ("is", "are", "was", "were", "what", "whats", "how", "hows", "where", "wheres", "which", "who",
                   "whos", "doe", "do", "did", "ha", "have", "any", "anyone", "anybody", "whether", "why", "when")


@dataclass(frozen=True, slots=True)
class Number:
    """A number said in the sentence, its unit, and whether it reads as absolute ("to 50") or relative ("by 5")."""

    value: float
    unit: str | None
    absolute: bool
    relative: bool


@dataclass
class Frame:
    """What one clause says: filled slots, each in the order it was said."""

    text: str
    lang: Lang
    verbs: list[str] = field(default_factory=list)
    devices: list[tuple[str, ...]] = field(default_factory=list)
    cores: list[tuple[str, ...]] = field(default_factory=list)
    typed_cores: list[tuple[str, ...]] = field(default_factory=list)
    types: list[tuple[str, ...]] = field(default_factory=list)
    weak_types: list[tuple[str, ...]] = field(default_factory=list)
    areas: list[tuple[str, ...]] = field(default_factory=list)
    floors: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    props: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    weak_values: list[str] = field(default_factory=list)
    name_values: list[str] = field(default_factory=list)
    weak_verbs: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    car_parts: list[str] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    unknown_spans: list[tuple[str, int, int]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def has_target(self) -> bool:
        """Whether the clause names anything to act on."""
        return bool(self.devices or self.cores or self.types or self.areas or self.floors or self.persons
                    or self.places or self.car_parts)

    @property
    def question(self) -> bool:
        """Whether the clause asks rather than commands."""
        return "question" in self.flags


def parse(index: HomeIndex, text: str, lang: Lang) -> list[Frame]:
    """Turn a sentence into one frame per clause."""
    norm = normalize(text)
    raw = index.correct(tokenize(norm))
    plurals = {stem(w) for w in norm.lower().split() if w.isalpha() and stem(w) != w}
    mentions, unmatched = index.scan(raw)
    segments = _split(raw, mentions)
    frames = []
    for lo, hi in segments:
        seg_mentions = [m for m in mentions if lo <= m.start < hi]
        seg_unmatched = [i for i in unmatched if lo <= i < hi]
        frame = _frame(index, raw, lo, hi, seg_mentions, seg_unmatched, lang)
        if "negation" in frame.flags:
            frame = _past_negation(index, raw, lo, hi, frame, mentions, unmatched)
        if plurals & set(raw[lo:hi]):
            frame.flags.add("said_plural")  # "the lights": stemming hides the plural from the phrase scan
        frames.append(frame)
    qmark = norm.rstrip().endswith("?")
    for f in frames:
        asks = bool(f.flags & {"qword", "ask", "qany"}) or (qmark and f is frames[-1])
        if asks and not _command_like(f):
            f.flags.add("question")
    kept = [f for f in frames if f.text.strip(" ,;!?")] or frames[:1]
    # "turn the AC off, it's cold enough": a clause saying something is enough asks for nothing more.
    said = [f for f in kept if not ("enough" in f.flags and not (f.devices or f.cores or f.types or f.typed_cores))]
    return said or kept


@cache
def _zh_question_words() -> tuple[str, ...]:
    lex = lexicon()
    return tuple("".join(k) for k, meanings in lex.phrases.items() if (MISC, "question_zh") in meanings)


def _past_negation(index: HomeIndex, raw: list[str], lo: int, hi: int, frame: Frame, mentions: list[Mention],
                   unmatched: list[int]) -> Frame:
    """"别开电视" asks for nothing; "don't turn on the porch light, just the kitchen one" asks for what follows."""
    neg = next(m for m in frame.mentions if "negation" in m.values(MISC))
    stop = next((i for i in range(neg.end, hi) if raw[i] in _SPLIT_PUNCT), hi)
    start = next((i for i in range(neg.start - 1, lo - 1, -1) if raw[i] in _SPLIT_PUNCT), lo - 1)
    # The piece of the clause around the negation is dropped; the pieces before and after it still ask.
    a, b = (lo, start) if start >= lo else (stop + 1, hi)
    if a >= b:
        frame.flags.add("negated")
        return frame
    rest = _frame(index, raw, a, b, [m for m in mentions if a <= m.start < b],
                  [i for i in unmatched if a <= i < b], frame.lang)
    if not rest.has_target:
        frame.flags.add("negated")
        return frame
    if not rest.verbs:
        rest.verbs = [v for v in frame.verbs]
    return rest


def _command_like(frame: Frame) -> bool:
    # "能帮我把灯打开吗" / "could you turn on the light?" are requests, not questions about state.
    if not (frame.verbs or frame.actions) or frame.flags & {"qstate", "qany", "qword"}:
        return False
    return "polite" in frame.flags or "ask" not in frame.flags


def _split(raw: list[str], mentions: list[Mention]) -> list[tuple[int, int]]:
    starts = {m.start: m for m in mentions}
    verb_at = sorted(m.start for m in mentions if m.has(VERB) or m.has("action"))
    valued = {i for i, tok in enumerate(raw) if tok[:1].isdigit()} | {
        m.start for m in mentions if m.has(VALUE) or m.has("value")}

    def full_verb(at: int, upto: int) -> bool:
        # "turn the kitchen light and the hall light on": a bare "turn" waits for its on/off particle.
        m = starts[at]
        return set(m.values(VERB)) != {"set"} or m.has("action") or any(at < j < upto for j in valued)
    bounds: list[int] = []
    n = len(raw)
    for i in range(n):
        tok = raw[i]
        mention = starts.get(i)
        splitter = mention is not None and any(v in ("split_zh", "split_en") for v in mention.values(MISC))
        if tok in _SPLIT_PUNCT or tok in _AND or splitter:
            prev = bounds[-1] if bounds else -1
            left_verb = any(prev < v < i and full_verb(v, i) for v in verb_at)
            if left_verb and any(v > i for v in verb_at):
                bounds.append(i)
    segments: list[tuple[int, int]] = []
    lo = 0
    for b in bounds:
        if b > lo:
            segments.append((lo, b))
        lo = b + 1 if raw[b] in _SPLIT_PUNCT or raw[b] in _AND else b
    segments.append((lo, n))
    return [s for s in segments if s[1] > s[0]] or [(0, n)]


def _frame(index: HomeIndex, raw: list[str], lo: int, hi: int, mentions: list[Mention], unmatched: list[int],
           lang: Lang) -> Frame:
    frame = Frame(" ".join(raw[lo:hi]), lang, mentions=mentions)
    for m in mentions:
        robot_verb = bool(set(m.values(VERB)) & {"start", "stop", "pause", "dock"})  # "hoover the den": both
        if lang == "en" and m.start == lo and m.has(VERB) and m.has(TYPE) and not m.has(DEVICE) and not robot_verb:
            frame.verbs.extend(m.values(VERB))  # "switch everything off": a verb, not a switch
            continue
        _collect(frame, m)
        if m.text == "on" and m.end < hi and raw[m.end] in _PREP_NEXT and "on" in frame.verbs and len(frame.verbs) > 1:
            frame.verbs.remove("on")
    if not frame.verbs and frame.weak_verbs:
        frame.verbs = frame.weak_verbs
    if "send" in frame.verbs:
        frame.verbs = [v for v in frame.verbs if v != "send"]
        if not frame.verbs and frame.areas and _names_robot(index, frame):
            frame.verbs = ["start"]
    if not frame.verbs:
        frame.verbs = _verb_inside(index, raw, mentions)
    frame.values.extend(v for v in frame.weak_values if v not in frame.values)
    if set(frame.verbs) <= {"set"}:
        # "set the AC to fan" names a mode; "turn on the fan" / "start the fan" name the thing and what to do.
        frame.values.extend(v for v in frame.name_values if v not in frame.values)
    frame.numbers = _numbers(raw, lo, hi, mentions)
    for i in range(lo, hi - 1):
        if raw[i] in _BARE_DIRECTION and raw[i + 1][:1].isdigit():
            verb, value = _BARE_DIRECTION[raw[i]]
            frame.verbs.append(verb)
            frame.values = [v for v in frame.values if v != value]
    frame.unknown_spans = index.unknown_spans(raw, unmatched)
    frame.unknown = [text for text, _, _ in frame.unknown_spans]
    frame.tokens = raw
    if _is_list(raw, mentions):
        frame.flags.add("list")
    if lang == "zh":
        text = "".join(raw[lo:hi])
        if any(word in text for word in _zh_question_words()):
            frame.flags.add("ask")
        if re.search(r"(开着|关着|锁着|亮着|了吗|了没|着吗|着没|没有关|没关|没锁|是开|是关|是不是)", text):
            frame.flags.add("qstate")
    elif raw[lo:hi] and raw[lo] in ("is", "are", "was", "were", "doe", "do", "did", "ha", "have"):
        frame.flags.add("qstate")
    # "have the Roomba clean the den" asks the Roomba to do something; "have the lights been on" asks about them.
    causative = raw[lo:lo + 2] in (["have", "the"], ["have", "my"], ["have", "our"]) and "been" not in raw[lo:hi]
    if lang == "en" and raw[lo:hi] and raw[lo] in _QUESTION_START and not causative and not (
            raw[lo] in ("do", "doe") and lo + 1 < hi and raw[lo + 1] in ("not", "nt")):
        frame.flags.add("qword")
    return frame


def _names_robot(index: HomeIndex, frame: Frame) -> bool:
    """Whether the clause names a robot vacuum, by kind or by name."""
    said = [d for group in (*frame.devices, *frame.cores) for d in group]
    return any(group == ("vacuum",) for group in frame.types) or any(
        d in index.home.devices and index.home.devices[d].type == "vacuum" for d in said)


def _is_list(raw: list[str], mentions: list[Mention]) -> bool:
    """Whether a connector (and, 和, a comma) stands between two things the clause names."""
    things = [m for m in mentions if m.has(DEVICE) or m.has(CORE) or (m.has(TYPE) and not m.has(VERB))]
    return any(any(raw[i] in _AND or raw[i] in (",", "及", "以及") for i in range(a.end, b.start))
               for a, b in pairwise(things))


def _verb_inside(index: HomeIndex, raw: list[str], mentions: list[Mention]) -> list[str]:
    # "门锁一下": the verb 锁 was read as part of the noun 门锁; take it back when no other verb was said.
    for m in mentions:
        if not m.has(TYPE) or m.end - m.start < 2:
            continue
        for size in (2, 1):
            tail = tuple(raw[m.end - size:m.end])
            verbs = [v for k, v in index.phrases.get(tail, ()) if k == VERB]
            if verbs and len(tail) < m.end - m.start:
                return verbs
    return []


def _collect(frame: Frame, m: Mention) -> None:
    kinds = {k for k, _ in m.meanings}
    home_kinds = kinds & {DEVICE, CORE, AREA, FLOOR, PERSON, ZONE}
    if DEVICE in kinds:
        frame.devices.append(m.values(DEVICE))
    elif CORE in kinds and TYPE in kinds:
        frame.typed_cores.append(m.values(CORE))
    elif CORE in kinds:
        frame.cores.append(m.values(CORE))
    if AREA in kinds:
        frame.areas.append(m.values(AREA))
    elif PLACE in kinds and not home_kinds:
        frame.places.extend(m.values(PLACE))
    frame.floors.extend(m.values(FLOOR))
    frame.persons.extend(m.values(PERSON))
    frame.zones.extend(m.values(ZONE))
    if TYPE in kinds and AREA in kinds:
        frame.weak_types.append(m.values(TYPE))
    elif TYPE in kinds and DEVICE not in kinds and (CORE not in kinds or m.values(TYPE)):
        frame.types.append(m.values(TYPE))
        if m.plural:
            frame.flags.add("plural")
    named_thing = bool(kinds & {TYPE, DEVICE, CORE})
    if VERB in kinds and VALUE in kinds and not named_thing and (frame.verbs or frame.weak_verbs):
        # "put the water heater on boost": after a verb, a word that is both a verb and a value is the value.
        kinds.discard(VERB)
    elif VERB in kinds:
        (frame.weak_verbs if named_thing else frame.verbs).extend(m.values(VERB))
    frame.props.extend(m.values(PROP))
    frame.names.extend(m.values(NAME))
    if VALUE in kinds:
        values = m.values(VALUE)
        (frame.weak_values if PROP in kinds else frame.name_values if kinds & {TYPE, DEVICE, VERB} else
         frame.values).extend(values)
    frame.actions.extend(m.values("action"))
    frame.car_parts.extend(m.values(CAR))
    frame.complaints.extend(c for c in m.values(COMPLAINT) if c not in frame.complaints)
    if m.has(CAR) and not m.has(TYPE) and ("车" in m.text or "car" in m.text.split()):
        frame.types.append(("car",))
    for group in m.values(MISC):
        frame.flags.add({"question_any": "qany", "question_zh": "ask", "polite_command_zh": "polite",
                         "polite_command_en": "polite", "out_of_scope": "oos", "rule_en": "rule",
                         "rule_zh": "rule"}.get(group, group))


def _numbers(raw: list[str], lo: int, hi: int, mentions: list[Mention]) -> list[Number]:
    verbs_end = {m.end for m in mentions if m.has(VERB) and set(m.values(VERB)) & {"up", "down"}}
    # Digits inside a name ("Bedroom 2", "卧室2号灯") are part of the name, not a value.
    named = {i for m in mentions if m.meanings and any(k in _NAMED for k, _ in m.meanings)
             for i in range(m.start, m.end)}
    out = []
    for i in range(lo, hi):
        tok = raw[i]
        if not tok[0].isdigit() or i in named:
            continue
        try:
            value = float(tok)
        except ValueError:
            continue
        unit = _UNITS.get(raw[i + 1]) if i + 1 < hi else None
        if unit is None and i + 2 < hi and raw[i + 1] in ("摄", "公") and raw[i + 2] in ("氏", "里"):
            unit = "°" if raw[i + 1] == "摄" else "km"
        prev = raw[i - 1] if i > lo else ""
        prev2 = raw[i - 2] if i - 1 > lo else ""
        if unit is None and prev in ("level", "speed", "gear", "zone", "channel"):
            unit = "level"  # "fan to level 5": the word before the number names its unit
        absolute = prev in _ABSOLUTE or prev2 + prev in ("设为", "调为")
        relative = (prev in _RELATIVE or prev in _BARE_DIRECTION or i in verbs_end) and not absolute
        out.append(Number(value, unit, absolute, relative))
    return out
