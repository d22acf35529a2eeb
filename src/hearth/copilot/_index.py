"""A per-home phrase index: the home's names and aliases plus the lexicon, matched longest-first."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from hearth.copilot._custom import (
    add_name_parts,
    add_own_property_names,
    add_property_words,
    add_type_words,
    is_custom,
)
from hearth.copilot._kinds import add_kind_words, add_related_places, place_types_as_areas
from hearth.copilot._lexicon import (
    AREA,
    CAR,
    CORE,
    DEVICE,
    FLOOR,
    NAME,
    OTHER_CAR,
    PERSON,
    PLACE,
    PROP,
    TYPE,
    VERB,
    ZONE,
    Meaning,
    lexicon,
)
from hearth.copilot._part_words import add_choice_words
from hearth.copilot._text import has_cjk, phrase_tokens, stem
from hearth.model import Device, Home

_STOP_EN = frozenset({
    "anyone", "anybody", "someone", "somebody", "everyone", "everybody", "who", "whos", "um", "uh", "hmm", "thanks",
    "the", "a", "an", "to", "in", "on", "of", "at", "for", "my", "our", "your", "me", "i", "we", "you", "us",
    "please", "now", "right", "just", "with", "from", "by", "into", "up", "down", "and", "or", "is", "are", "be",
    "been", "being", "was", "it", "its", "this", "that", "these", "those", "some", "any", "there", "here",
    "what", "whats", "how", "which", "can", "could", "would", "will", "should", "do", "does", "did",
    "have", "has", "had", "set", "make", "turn", "get", "let", "s", "so", "very", "really", "too", "also",
    "then", "currently", "still", "again", "about", "as", "if", "than", "big", "small", "little", "main", "new",
    "old", "other", "left", "front", "back", "top", "bottom", "middle", "center", "centre", "first",
    "second", "third", "both", "one", "ok", "okay", "hey", "hi",
    # Words that are never the thing acted on: typos of function words, degree words, the air itself.
    "teh", "hte", "da", "u", "ur", "pls", "plz", "enough", "already", "yet", "actually", "maybe", "probably",
    "kind", "sort", "bit", "lot", "lots", "thing", "stuff", "air", "atmosphere", "way", "much", "more", "less",
    "well", "oh", "ah", "yeah", "yes", "no", "not", "alright", "though", "anyway", "anymore", "literally",
    "honestly", "seriously", "totally", "completely", "quite", "pretty", "rather", "kinda", "sorta", "super",
    "since", "because", "cause", "while", "until", "before", "after", "when", "where", "why", "whom",
    "leave", "leaves", "leaving",
    "need", "want", "like", "going", "gonna", "wanna", "gotta", "think", "guess", "feel", "feels", "seem", "seems",
    "look", "looks", "getting", "got", "go", "come", "see", "know", "tell", "help", "give",
    "today", "tonight", "tomorrow", "later", "soon", "moment",
    "him", "her", "his", "hers", "them", "they", "their", "she", "he", "mine", "yours", "myself", "ourselves",
    "everything", "nothing", "something", "anything", "all", "each", "every", "even", "only", "same", "own",
})
_FILLER_ZH = frozenset(
    "把将给帮我你的了呢啊呀吧嘛么里中内面上下在请一下个们点是都也还就让使得地和与及跟同又再吗着过去来会能要想这那"
    "哦哈嗯噢喔哎诶唉啦哇咯呗罢而且但可已经真太好很挺蛮超特别非常有没别快刚才现今先后被"
)
_GENERIC_PROP_WORDS = frozenset({"level", "state", "status", "mode", "value", "current", "target", "per", "meal",
                                 "time", "last", "count", "amount", "setting", "position"})
_GENERIC_HEADS = frozenset({"room", "area", "zone", "floor", "side", "house", "home"})


@dataclass(frozen=True, slots=True)
class Mention:
    """A phrase found in a sentence: token span, surface text and every meaning it carries."""

    start: int
    end: int
    text: str
    meanings: tuple[Meaning, ...]
    plural: bool = False

    def values(self, kind: str) -> tuple[str, ...]:
        """The meanings of one kind."""
        return tuple(v for k, v in self.meanings if k == kind)

    def has(self, kind: str) -> bool:
        """Whether the mention carries a meaning of this kind."""
        return any(k == kind for k, _ in self.meanings)


def _join(tokens: Iterable[str]) -> str:
    out = ""
    for tok in tokens:
        if out and not (has_cjk(tok) and has_cjk(out[-1])):
            out += " "
        out += tok
    return out


_ROOM_ZH = (("房", "间"), ("的", "房", "间"), ("卧", "室"), ("的", "卧", "室"), ("屋",), ("的", "屋"))


class HomeIndex:
    """Everything the copilot precomputes about one home, so a sentence costs O(its length)."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.lex = lexicon()
        table: dict[tuple[str, ...], list[Meaning]] = defaultdict(list)
        for key, meanings in self.lex.phrases.items():
            table[key].extend(meanings)
        self.by_type: dict[str, list[str]] = defaultdict(list)
        self.by_area: dict[str, list[str]] = defaultdict(list)
        self.floor_areas: dict[str, list[str]] = defaultdict(list)
        self.place_areas: dict[str, list[str]] = defaultdict(list)
        for area in home.areas.values():
            if area.floor:
                self.floor_areas[area.floor].append(area.id)
        self._add_places(table)
        self.room_named: set[str] = set()
        self.cars = frozenset(d.id for d in home.devices.values() if d.type == "car")
        for dev in home.devices.values():
            self.by_type[dev.type].append(dev.id)
            if dev.area:
                self.by_area[dev.area].append(dev.id)
            self._add_device(table, dev)
        self._add_custom_words(table)
        self._add_custom_names(table)
        place_types_as_areas(table, self.place_areas)
        for said in table.values():
            # A word this home uses for its own room or device ("池塘", the pond) is no kind it lacks.
            if any(k in (AREA, DEVICE, CORE) for k, _ in said):
                said[:] = [(k, v) for k, v in said if not (k == TYPE and v.startswith("x-"))]
        self.phrases: Mapping[tuple[str, ...], tuple[Meaning, ...]] = {k: tuple(v) for k, v in table.items()}
        self.maxlen = max(len(k) for k in self.phrases)
        vocab = {tok for key in self.phrases for tok in key if tok.isascii() and tok.isalpha()}
        self.vocab = frozenset(vocab | _STOP_EN)
        self._fuzzy_words = sorted(w for w in vocab if len(w) >= 4)

    def _names(self, name: str, aliases: tuple[str, ...]) -> list[tuple[str, ...]]:
        return [t for t in (phrase_tokens(n) for n in (name, *aliases)) if t]

    def _add_places(self, table: dict[tuple[str, ...], list[Meaning]]) -> None:
        home = self.home
        for area in home.areas.values():
            for key in self._names(area.name, area.aliases):
                table[key].append((AREA, area.id))
                for sub, meanings in self.lex.phrases.items():
                    if any(k == PLACE for k, _ in meanings) and _contains(key, sub):
                        for _, place in meanings:
                            if area.id not in self.place_areas[place]:
                                self.place_areas[place].append(area.id)
        add_related_places(self.place_areas, self.lex.place_related)
        heads: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for area in home.areas.values():
            for key in self._names(area.name, area.aliases):
                if len(key) > 1 and key[-1].isascii() and key[-1] not in _GENERIC_HEADS:
                    heads[key[-1:]].add(area.id)
        owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for area in home.areas.values():
            for key in self._names(area.name, area.aliases):
                # "Leo's room" → "Leo's", "乐乐的房间" → "乐乐": whose room it is names the room.
                if len(key) == 2 and key[-1] in _GENERIC_HEADS and key[0].isascii() and key[0][-1] == "s":
                    owners[key[:1]].add(area.id)
                elif len(key) >= 4 and has_cjk(key[0]) and "".join(key[-2:]) in ("房间", "卧室"):
                    stem_ = key[:-3] if key[-3] == "的" else key[:-2]
                    if len(stem_) >= 2:
                        owners[stem_].add(area.id)
        for head, ids in owners.items():
            if len(ids) == 1 and not table.get(head):
                table[head].append((AREA, next(iter(ids))))
        people = {key[0]: key for p in home.people.values() for key in self._names(p.name, p.aliases)
                  if len(key) == 1 and key[0].isascii()}
        for area in home.areas.values():
            for key in self._names(area.name, area.aliases):
                # "Emma's Room" is also "Emma房间", "Emma的卧室" when Emma lives here (a room named in English).
                owner = people.get(key[0]) or people.get(key[0][:-1]) if len(key) == 2 else None
                if owner is not None and key[-1] in ("room", "bedroom"):
                    for said in _ROOM_ZH:
                        if not table.get(owner + said):
                            table[owner + said].append((AREA, area.id))
        for head, ids in heads.items():
            if len(ids) == 1 and not any(k == AREA for k, _ in table.get(head, ())):
                table[head].append((AREA, next(iter(ids))))
        for floor in home.floors.values():
            for key in self._names(floor.name, floor.aliases):
                table[key].append((FLOOR, floor.id))
        for person in home.people.values():
            for key in self._names(person.name, person.aliases):
                table[key].append((PERSON, person.id))
        for zone in home.zones.values():
            for key in self._names(zone.name, zone.aliases):
                table[key].append((ZONE, zone.id))

    def _area_keys(self, area_id: str | None) -> list[tuple[str, ...]]:
        if area_id is None or area_id not in self.home.areas:
            return []
        area = self.home.areas[area_id]
        keys = self._names(area.name, area.aliases)
        return sorted(keys, key=len, reverse=True)

    def _add_given_name(self, table: dict[tuple[str, ...], list[Meaning]], dev: Device,
                        given: tuple[str, ...]) -> None:
        """"Xiao Ai speaker" → "Xiao Ai": a name with its kind word left off still means the device."""
        if not given or table.get(given) or given in self.lex.phrases:
            return
        if any(t in _STOP_EN or t in _FILLER_ZH or t.isdigit() for t in given):
            return
        cjk = sum(1 for t in given if has_cjk(t))
        if (cjk and cjk < 2) or (not cjk and sum(len(t) for t in given) < 3):
            return
        table[given].append((CORE, dev.id))

    def _add_device(self, table: dict[tuple[str, ...], list[Meaning]], dev: Device) -> None:
        type_words = sorted(self.lex.type_words.get(dev.type, ()), key=len, reverse=True)
        area_keys = self._area_keys(dev.area)
        owner = self.home.people.get(dev.owner) if dev.owner else None
        strip = area_keys + (self._names(owner.name, owner.aliases) if owner else [])
        for key in self._names(dev.name, dev.aliases):
            if (DEVICE, dev.id) not in table[key]:
                table[key].append((DEVICE, dev.id))
            core = _strip(key, strip)
            if core != key and len(core) == 1 and core in type_words:
                self.room_named.add(dev.id)
            if core and core != key and not all(t in _STOP_EN or t in _FILLER_ZH for t in core):
                meaning = (CORE, dev.id)
                if meaning not in table[core]:
                    table[core].append(meaning)
            self._add_given_name(table, dev, _strip(core or key, list(type_words)))
        if dev.type == "car":
            self._add_car_parts_of_name(table, dev)
        add_kind_words(table, self.lex.device_kinds, self._names(dev.name, dev.aliases) + _own_type_words(dev), dev.id)

    def _add_car_parts_of_name(self, table: dict[tuple[str, ...], list[Meaning]], dev: Device) -> None:
        # People call a car by its make or its model alone: "the Tesla" for "Tesla Model 3", "小鹏" for "小鹏 P7".
        keys = self._names(dev.name, dev.aliases)
        brand_only = [(TYPE, OTHER_CAR)]
        for key in keys:
            for sub in _name_parts(key):
                taken = sub in self.lex.phrases and list(self.lex.phrases[sub]) != brand_only
                if taken or any(k in (AREA, PERSON, ZONE, FLOOR) for k, _ in table.get(sub, ())):
                    continue
                if (DEVICE, dev.id) not in table[sub]:
                    table[sub].append((DEVICE, dev.id))
        for brand in self.lex.brands.values():
            if any(_contains(key, said) for key in keys for said in (*brand.words, *brand.models)):
                for word in brand.words:
                    if (DEVICE, dev.id) not in table[word]:
                        table[word].append((DEVICE, dev.id))

    def _add_custom_words(self, table: dict[tuple[str, ...], list[Meaning]]) -> None:
        seen: set[str] = set()
        for dev in self.home.devices.values():
            if dev.type in seen:
                continue
            seen.add(dev.type)
            if is_custom(dev):
                add_type_words(table, self.lex, dev, self.place_areas)
                add_property_words(table, self.lex, dev, self.place_areas)
            if dev.type not in self.lex.type_words:
                for word in {dev.type, dev.spec.description}:
                    key = phrase_tokens(word)
                    if key and (TYPE, dev.type) not in table[key]:
                        table[key].append((TYPE, dev.type))
            if dev.type == "car":
                continue
            custom = is_custom(dev)
            for _, prop in dev.spec.iter_properties():
                for word in (prop.name, prop.description):
                    key = phrase_tokens(word) if word else ()
                    if any(k == "verb" or (k == "misc" and v != "out_of_scope") for k, v in table.get(key, ())):
                        continue
                    if not custom and any(k == PROP for k, _ in self.lex.phrases.get(key, ())):
                        continue  # a catalog property people name by a concept word: the concept decides which one
                    if key and (NAME, prop.name) not in table[key]:
                        table[key].append((NAME, prop.name))
                add_choice_words(table, dev.id, prop)
            for _, prop in dev.spec.iter_properties():
                for tok in phrase_tokens(prop.name):
                    key = (tok,)
                    if len(tok) >= 3 and tok.isalpha() and tok not in _STOP_EN and tok not in _GENERIC_PROP_WORDS \
                            and key not in self.lex.phrases and (NAME, prop.name) not in table[key]:
                        table[key].append((NAME, prop.name))
            for svc_spec in dev.spec.services.values():
                for action in svc_spec.actions.values():
                    for word in (action.name, action.description):
                        key = phrase_tokens(word) if word else ()
                        if key and ("action", action.name) not in table[key]:
                            table[key].append(("action", action.name))

    def _add_custom_names(self, table: dict[tuple[str, ...], list[Meaning]]) -> None:
        for dev in self.home.devices.values():
            if is_custom(dev):
                parts = [p for key in self._names(dev.name, dev.aliases) for p in _name_parts(key)]
                add_name_parts(table, self.lex, dev, parts, self.place_areas)
        add_own_property_names(table, self.lex, self.home, self.place_areas)

    def correct(self, tokens: list[str]) -> list[str]:
        """Replace unknown English words by the closest known word (typos: 'bedrom' → 'bedroom')."""
        out = list(tokens)
        for i, tok in enumerate(tokens):
            if not tok.isalpha() or not tok.isascii() or tok in self.vocab:
                continue
            if tok.endswith("s") and tok[:-1] in self.vocab:
                out[i] = tok[:-1]
                continue
            if len(tok) < 4:
                continue
            best = process.extractOne(tok, self._fuzzy_words, scorer=fuzz.ratio, score_cutoff=80)
            if best is not None and abs(len(best[0]) - len(tok)) <= 2:
                out[i] = best[0]
        return out

    def scan(self, raw: list[str]) -> tuple[list[Mention], list[int]]:
        """Longest-first matching of known phrases; returns mentions and the indexes of unmatched tokens."""
        tokens = [stem(t) for t in raw]
        n = len(tokens)
        phrases = self.phrases
        # Best segmentation from each position: most tokens covered, then fewest phrases ("门|锁上", not "门锁|上").
        best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
        found: dict[tuple[int, int], tuple[Meaning, ...]] = {}
        for i in range(n - 1, -1, -1):
            cover, segs, _ = best[i + 1]
            choice = (cover, -segs, 0)
            for size in range(min(self.maxlen, n - i), 0, -1):
                meanings = phrases.get(tuple(tokens[i:i + size]))
                if meanings:
                    found[(i, size)] = meanings
                    c, s, _ = best[i + size]
                    option = (c + size, -(s + 1), size)
                    if option[:2] > choice[:2]:
                        choice = option
            best[i] = (choice[0], -choice[1], choice[2])
        mentions: list[Mention] = []
        unmatched: list[int] = []
        i = 0
        while i < n:
            size = best[i][2]
            if size:
                plural = any(r != t and r.endswith("s") for r, t in zip(raw[i:i + size], tokens[i:i + size],
                                                                     strict=True))
                mentions.append(Mention(i, i + size, _join(raw[i:i + size]), found[(i, size)], plural))
                i += size
            else:
                unmatched.append(i)
                i += 1
        if self.cars or any(m.has(TYPE) and OTHER_CAR in m.values(TYPE) for m in mentions):
            mentions = self._focus_cars(tokens, mentions)
        return mentions, unmatched

    def _names_car(self, m: Mention) -> str:
        """'home' when a mention names one of the home's cars (or says car), 'other' for a make it lacks."""
        if any(d in self.cars for d in m.values(DEVICE)) or "car" in m.values(TYPE):
            return "home"
        return "other" if OTHER_CAR in m.values(TYPE) else ""

    def _focus_cars(self, tokens: list[str], mentions: list[Mention]) -> list[Mention]:
        # "turn on the AC in the Tesla", "close the windows on the BMW": beside a car, the words for car parts mean
        # the car's parts and not the home's AC or windows (within one clause: no verb or "and" in between).
        named = [(i, kind) for i, m in enumerate(mentions) if (kind := self._names_car(m))]
        if not named:
            return mentions
        out = list(mentions)
        for i, m in enumerate(mentions):
            if not m.has(CAR) or self._names_car(m):
                continue
            near = [kind for j, kind in named if _same_clause(tokens, mentions, min(i, j), max(i, j))]
            if "home" in near:
                keep = tuple((k, v) for k, v in m.meanings if k not in (TYPE, DEVICE, CORE))
                out[i] = replace(m, meanings=keep)
            elif near:
                out[i] = replace(m, meanings=(*((k, v) for k, v in m.meanings if k == VERB), (TYPE, OTHER_CAR)))
        return out

    def unknown_words(self, raw: list[str], unmatched: list[int]) -> list[str]:
        """Runs of unmatched content words (not function words): names of things this home may not have."""
        return [text for text, _, _ in self.unknown_spans(raw, unmatched)]

    def unknown_spans(self, raw: list[str], unmatched: list[int]) -> list[tuple[str, int, int]]:
        """Unmatched content-word runs with their token spans."""
        runs: list[tuple[str, int, int]] = []
        current: list[str] = []
        last = -2
        for i in unmatched:
            tok = raw[i]
            content = (tok.isalpha() and tok.isascii() and stem(tok) not in _STOP_EN and len(tok) > 1) or (
                has_cjk(tok) and tok not in _FILLER_ZH)
            if not content:
                if current:
                    runs.append((_join(current), last - len(current) + 1, last + 1))
                current, last = [], -2
                continue
            if current and i != last + 1:
                runs.append((_join(current), last - len(current) + 1, last + 1))
                current = []
            current.append(tok)
            last = i
        if current:
            runs.append((_join(current), last - len(current) + 1, last + 1))
        return [r for r in runs if len(r[0]) >= 2]

    def zh_name(self, names: tuple[str, ...]) -> str:
        """The first Chinese spelling among names, else the first name."""
        fallback = next((n for n in names if has_cjk(n)), names[0])
        return next((n for n in names if has_cjk(n) and len(n) > 1), fallback)

    def en_name(self, names: tuple[str, ...]) -> str:
        """The first non-Chinese spelling among names, else the first name."""
        return next((n for n in names if not has_cjk(n)), names[0])

    def device_name(self, device_id: str, lang: str) -> str:
        """How to call a device in a reply."""
        dev = self.home.devices[device_id]
        names = (dev.name, *dev.aliases)
        return self.zh_name(names) if lang == "zh" else self.en_name(names)

    def area_name(self, area_id: str, lang: str) -> str:
        """How to call an area in a reply."""
        area = self.home.areas[area_id]
        names = (area.name, *area.aliases)
        return self.zh_name(names) if lang == "zh" else self.en_name(names)


def _own_type_words(dev: Device) -> list[tuple[str, ...]]:
    """What a type the home declares says its device is and has: its name, description, services' names/descriptions."""
    if not is_custom(dev):
        return []
    said = [dev.type.replace("-", " "), dev.spec.description]
    for name, svc in dev.spec.services.items():
        said += [name.replace("-", " "), svc.description]
    return [key for text in said if (key := phrase_tokens(text))]


def _contains(key: tuple[str, ...], sub: tuple[str, ...]) -> bool:
    n = len(sub)
    return any(key[i:i + n] == sub for i in range(len(key) - n + 1))


_CLAUSE_BREAKS = frozenset({",", ";", "!", "?", "and", "then", "和", "然后", "再"})


def _same_clause(tokens: list[str], mentions: list[Mention], a: int, b: int) -> bool:
    """Whether nothing between two mentions starts another clause (a verb, a comma, "and")."""
    lo, hi = mentions[a].end, mentions[b].start
    if any(t in _CLAUSE_BREAKS for t in tokens[lo:hi]):
        return False
    return not any(m.has(VERB) and not m.has(CAR) for m in mentions[a + 1:b])


def _words(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    words: list[tuple[str, ...]] = []
    for tok in key:
        if words and has_cjk(tok) and has_cjk(words[-1][-1]):
            words[-1] = (*words[-1], tok)
        else:
            words.append((tok,))
    return words


def _name_parts(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Shorter ways to say a name: runs of its words, and the head or tail of a long Chinese word."""
    words = _words(key)
    parts: list[tuple[str, ...]] = []
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            if j - i == len(words):
                continue
            run = tuple(t for w in words[i:j] for t in w)
            if all(t.isdigit() or t in _STOP_EN or t in _FILLER_ZH or (len(t) < 2 and t.isascii()) for t in run):
                continue
            if len(run) == 1 and has_cjk(run[0]):
                continue
            parts.append(run)
    for word in words:
        if has_cjk(word[0]) and len(word) >= 3:
            parts.extend(w for w in (word[:2], word[-2:]) if not all(t in _FILLER_ZH for t in w))
    return parts


def _strip(key: tuple[str, ...], remove: list[tuple[str, ...]]) -> tuple[str, ...]:
    out = key
    for sub in remove:
        n = len(sub)
        for i in range(len(out) - n + 1):
            if out[i:i + n] == sub:
                out = out[:i] + out[i + n:]
                break
    while out and out[0] in ("的", "s", "room"):
        out = out[1:]
    return out
