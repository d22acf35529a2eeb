"""Rules from a sentence: "每天晚上十一点如果门没锁就提醒我" → a validated rule, explained back, then added."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import yaml

from hearth.automation import parse_rules
from hearth.copilot._rules_text_say import explain, notify_message
from hearth.copilot._rules_text_time import mark_times, read_when
from hearth.copilot._rules_text_when import Phrase, PhraseReader, RuleTextError
from hearth.copilot._scenes import scene_data
from hearth.copilot._text import Lang, normalize
from hearth.core import Actor, Command
from hearth.errors import HearthError
from hearth.model import Value

if TYPE_CHECKING:
    from hearth.copilot._copilot import AskResult, Copilot

Snapshot = Mapping[tuple[str, str, str], Value]
RuleSink = Callable[[Mapping[str, Any], str, list[dict[str, Any]]], Awaitable[str]]
# Camera sightings from a sentence get the same false-alarm controls as a written camera rule: seen in most
# frames over a few seconds, then quiet for a while.
_SIGHTING = {"confirm": {"seconds": 3.0, "share": 0.6}, "cooldown": 300.0}
INTENT = "HearthRuleFromText"
_RULE_ROLES = frozenset({"admin", "adult"})
_IMPERATIVE = frozenset({
    "turn", "switch", "open", "close", "lock", "unlock", "set", "start", "stop", "notify", "remind", "tell", "alert",
    "warn", "send", "dim", "brighten", "activate", "run", "play", "pause", "shut", "raise", "lower", "message", "ping",
    "text",
    "put", "make", "enable", "disable", "please",
})
_STATIVE = frozenset({"is", "are", "was", "were", "be", "been", "being", "stays", "stay", "left", "gets", "get", "got",
                      "keeps", "remains", "the", "a", "to", "not", "isnt", "door", "garage", "window"})
_EN_MARKERS = re.compile(r"\b(when|whenever|once|as soon as|every time|if|only if|while|and if|and when)\b")
_SCHEDULED = (r"(at|after|before) (\d\d:\d\d|sunset|sunrise|dark|dusk|dawn|night|noon|midnight)"
              r"|on (weekdays|weekends|\w+days)")
_ZH_MARKERS = re.compile(r"如果|假如|要是|若是|每当|一旦|当|并且|而且")
_EN_NOTIFY = re.compile(r"\b(?:notify|remind|tell|alert|warn|message|ping|text)\b(?: (me|us|everyone|everybody|"
                        r"the adults|adults|the family|the parents|all of us|[a-z]+))?|\bsend (?:me|"
                        r"us) a (?:message|notificati"
                        r"on)\b")
_ZH_NOTIFY = re.compile(r"(?:提醒|通知|告诉|提示|发消息给|发通知给)(我们|我|大家|所有人|全家|大人们?|家长)?")


def looks_like_rule(text: str, lang: Lang) -> bool:
    """Whether a sentence reads as an automation (a condition or schedule plus something to do)."""
    norm = normalize(text)
    if lang == "zh":
        return bool(re.search(r"每天|每晚|每周|工作日|周末|如果|假如|要是|每当|一旦|^当|的时候|(?<!什么)时候|"
                              r"日落|日出|天黑|"
                              r"以内时|时[，,]?"
                              r"(?:打开|关|提醒|通知|开|把)", norm))
    # "when was the cat last fed?" asks about the past; it starts no rule.
    return bool(re.search(r"^(when(?! (was|were|did|is|does|do|will)\b)|whenever|if|once|as soon as|every|each|"
                          r"on weekdays|at sunset|at sunrise|after dark)\b"
                          r"|\b(when(?! (was|were|did|is|does|do|will)\b)|whenever|every day|every night|every morning|"
                          r"on weekdays|at sunset|at sunrise|"
                          r"as soon as)\b", norm))


def camera_side(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """Turn camera sightings in a rule's triggers into camera rules (with false-alarm controls) it listens to."""
    made = []
    for trigger in rule["triggers"]:
        if trigger.get("trigger") == "perception" and trigger.get("kind") in ("person", "face", "motion"):
            camera_rule = {"id": f"{rule['id']}-{trigger['camera']}-{trigger['kind']}", "camera": trigger["camera"],
                           "detect": trigger["kind"], **_SIGHTING}
            made.append(camera_rule)
            trigger.update({"kind": "rule", "label": camera_rule["id"]})
    return made


class TextRules:
    """Turns rule sentences into rules for one copilot; `sink` adds a confirmed rule to a running engine."""

    def __init__(self, copilot: Copilot, sink: RuleSink | None = None, dry_run: bool = False) -> None:
        self.copilot = copilot
        self.sink = sink
        self.dry_run = dry_run

    async def __call__(self, text: str, lang: Lang, actor: Actor, confirm: bool, snap: Snapshot) -> AskResult:
        """Build, validate and explain the rule; add it when confirmed."""
        from hearth.copilot._copilot import AskResult

        if actor.role not in _RULE_ROLES:
            reply = (f"抱歉，{'儿童' if actor.role == 'child' else '访客'}不能创建自动化。" if lang == "zh"
                     else f"Sorry, a {actor.role} may not create automations.")
            return AskResult(text, lang, "refused", INTENT, reply=reply)
        try:
            rule = self.build(text, lang, actor, snap)
        except RuleTextError as exc:
            return AskResult(text, lang, exc.status, INTENT, {"options": list(exc.options)} if exc.options else {},
                             reply=exc.text(lang), options=exc.options)
        words = explain(self.copilot.index, rule, lang, actor)
        rule["name"] = words[:120]
        slots: dict[str, Any] = {}
        if self.dry_run:
            from hearth.copilot._rules_text_try import try_rule

            scenes = [scene_data(x) for x in self.copilot.scenes.source().values()]
            slots["dry_run"], said = await try_rule(self.copilot.home, rule, scenes, lang)
            words = f"{words} {said}" if lang == "en" else words + said
        camera_rules = camera_side(rule)
        source = yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False)
        slots.update({"rule": rule, "rule_yaml": source})
        if camera_rules:
            slots["camera_rules"] = camera_rules
        if not confirm:
            ask = "确认后我再启用。" if lang == "zh" else " Confirm to enable it."
            return AskResult(text, lang, "clarify", INTENT, {**slots, "needs_confirmation": True}, reply=words + ask)
        if self.sink is None:
            note = "规则已校验通过（这里没有运行中的 Hearth，未启用）。" if lang == "zh" else \
                " The rule is valid (no running hub here, so it was not enabled)."
            return AskResult(text, lang, "done", INTENT, {**slots, "validated": True}, reply=words + note)
        try:
            await self.sink(rule, source, camera_rules)
        except HearthError as exc:
            return AskResult(text, lang, "error", INTENT, slots, reply=("没能启用：" if lang == "zh" else
                                                                         "Couldn't enable it: ") + str(exc))
        done = "已启用。" if lang == "zh" else " Enabled."
        return AskResult(text, lang, "done", INTENT, {**slots, "enabled": True}, reply=words + done)

    def build(self, text: str, lang: Lang, actor: Actor, snap: Snapshot) -> dict[str, Any]:
        """The rule as data, validated against the home; RuleTextError says why not."""
        prepared = mark_times(normalize(text), lang)
        first: RuleTextError | None = None
        for when_text, action_text in _splits(prepared, lang):
            try:
                triggers, conditions, phrases = self._when(when_text, lang, actor)
            except RuleTextError as exc:
                first = first or exc
                continue
            area = next((p.area for p in phrases if p.area), None) or _area_of(self.copilot, phrases)
            actions = self._actions(action_text, lang, actor, snap, area, (triggers, conditions))
            rule = {"id": "", "name": "", "description": text.strip(), "triggers": triggers}
            if conditions:
                rule["conditions"] = conditions
            rule["actions"] = actions
            rule["id"] = "text-" + hashlib.sha1(json.dumps([triggers, conditions, actions], sort_keys=True,
                                                           default=str).encode()).hexdigest()[:8]
            scenes = [scene_data(x) for x in self.copilot.scenes.source().values()]
            try:
                parse_rules(yaml.safe_dump({"scenes": scenes, "rules": [rule]}, allow_unicode=True),
                            self.copilot.home, "<sentence>")
            except HearthError as exc:
                raise RuleTextError("refused", f"That rule doesn't check out: {exc}", f"这条规则无法通过校验：{exc}") \
                    from None
            return rule
        raise first or RuleTextError("unsupported", "I couldn't tell what should start the rule and what it should do.",
                                     "没听懂这条自动化什么时候触发、要做什么。")

    def _when(self, text: str, lang: Lang, actor: Actor) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                                   list[Phrase]]:
        when = read_when(text, lang)
        reader = PhraseReader(self.copilot.index, actor)
        pieces = _pieces(when.rest, lang)
        phrases: list[Phrase] = []
        triggers: list[dict[str, Any]] = [when.schedule] if when.schedule else []
        conditions: list[dict[str, Any]] = []
        for is_if, piece in pieces:
            phrase = reader.read(piece, lang)
            phrases.append(phrase)
            if not triggers and (not is_if or all(p[0] for p in pieces)):
                triggers.append(phrase.trigger())
                if phrase.event == "all":  # "everyone has left": the last one leaving, and then nobody home
                    conditions.append(phrase.condition())
            else:
                conditions.append(phrase.condition())
        if not triggers:
            raise RuleTextError("unsupported", "I couldn't tell what should start the rule.",
                                "没听懂这条自动化什么时候触发。")
        return triggers, when.conditions + conditions, phrases

    def _actions(self, text: str, lang: Lang, actor: Actor, snap: Snapshot, area: str | None,
                 when: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = []
        notify = (_ZH_NOTIFY if lang == "zh" else _EN_NOTIFY).search(text)
        if notify is not None:
            to = self._recipient(notify.group(1) if notify.lastindex else None, actor)
            message = notify_message(self.copilot.index, when[0], when[1], lang)
            actions.append({"notify": {"to": to, "title": "Hearth", "message": message}})
            text = (text[:notify.start()] + " " + text[notify.end():]).strip()
        rest = re.sub(r"^(and|then|also|并且|并|然后|再|同时|和|，|,)\s*|\s*(and|then|并且|并|然后|，|,)$", "",
                      text.strip())
        rest = re.sub(r"^(就|便|则|也)", "", rest).strip(" ,，")
        if len(rest) > 1 and not re.fullmatch(r"(me|us|please|我|一下|吧)", rest):
            # Planned on no state at all: a rule acts on what is true when it fires, not on what is true now.
            actions.extend(self._commands(rest, lang, {}, area))
        if not actions:
            raise RuleTextError("unsupported", "I couldn't tell what the rule should do.", "没听懂这条自动化要做什么。")
        return actions

    def _recipient(self, word: str | None, actor: Actor) -> str | list[str]:
        home = self.copilot.home
        if word in (None, "me", "我") and actor.id in home.people:
            return actor.id
        if word in ("us", "everyone", "everybody", "all of us", "the family", "我们", "大家", "所有人", "全家"):
            return "everyone"
        for person in home.people.values():
            if word and word in (person.id, person.name.lower(), *[a.lower() for a in person.aliases]):
                return person.id
        return "adults"

    def _commands(self, text: str, lang: Lang, snap: Snapshot, area: str | None) -> list[dict[str, Any]]:
        scene = self.copilot.scene_named(text, lang)
        if scene is not None:
            # The scene's states, spelled out: the rule then stands on its own in the added-rules file.
            states = scene_data(self.copilot.scenes.source()[scene])["states"]
            return [{"alias": f"scene:{scene}", "command": state} for state in states]
        copilot = self.copilot
        lang, clauses = copilot.understand(text, snap)
        if area and any(c.issue is not None and c.issue.key == "which_device" for c in clauses):
            name = copilot.index.area_name(area, lang)
            lang, clauses = copilot.understand(f"{name}{text}" if lang == "zh" else f"{text} in the {name}", snap)
        commands: list[Command] = []
        for clause in clauses:
            if clause.issue is not None:
                raise RuleTextError(clause.issue.status, copilot.issue_text(clause.issue, "en"),
                                    copilot.issue_text(clause.issue, "zh"), clause.issue.options)
            if clause.answer is not None or not clause.plans:
                raise RuleTextError("unsupported", "A rule can only do things, not answer questions.",
                                    "自动化只能执行操作，不能回答问题。")
            commands.extend(c for p in clause.plans for c in p.commands)
        return _grouped(copilot, commands)


def _splits(text: str, lang: Lang) -> list[tuple[str, str]]:
    """Where the "when" half may end and the action begin, most likely first."""
    out: list[tuple[str, str]] = []
    if lang == "zh":
        for pattern in (r"就|便|则", r"[，,]", r"(?:的时候|时候|之后|以后|时|后)(?!门)", r"\d\d:\d\d"):
            for m in re.finditer(pattern, text):
                out.append((text[:m.end() if pattern == r"\d\d:\d\d" else m.start()], text[m.end():]))
        return [(w.strip(" ，,"), a.strip(" ，,")) for w, a in out if w.strip(" ，,") and a.strip(" ，,")]
    words = text.split(" ")
    first = 1 if words and words[0] == "please" else 0
    if words and words[first] in _IMPERATIVE - {"please"}:
        marker = next((i for i in range(first + 1, len(words) - 1) if _EN_MARKERS.fullmatch(words[i]) or words[i] in (
            "every", "each", "daily") or re.fullmatch(_SCHEDULED, " ".join(words[i:i + 2]))), None)
        if marker is not None:
            out.append((" ".join(words[marker:]), " ".join(words[first:marker])))
    for m in re.finditer(r",", text):
        out.append((text[:m.start()], text[m.end():]))
    for i, word in enumerate(words):
        if i > 0 and word in _IMPERATIVE and words[i - 1].rstrip(",") not in _STATIVE:
            out.append((" ".join(words[:i]), " ".join(words[i:])))
    return [(w.strip(" ,"), a.strip(" ,")) for w, a in out if w.strip(" ,") and a.strip(" ,")]


def _pieces(text: str, lang: Lang) -> list[tuple[bool, str]]:
    """The phrases of the "when" half, each marked whether it was said as an "if"."""
    marker = re.compile((_ZH_MARKERS.pattern + "|而且|并且|且") if lang == "zh" else
                        (_EN_MARKERS.pattern + r"|\band (?=the|my|our|it|nobody|no one|everyone|someone|\w+ is)"))
    pieces: list[tuple[bool, str]] = []
    last, is_if = 0, False
    for m in marker.finditer(text):
        chunk = text[last:m.start()]
        if chunk.strip(" ,，"):
            pieces.append((is_if, chunk))
        word = m.group(0).strip()
        is_if = (is_if and word in ("and", "并且", "而且", "且")) or word in ("if", "only if", "and if", "如果", "假如",
                                                                              "要是", "若是")
        last = m.end()
    if text[last:].strip(" ,，"):
        pieces.append((is_if, text[last:]))
    cleaned = []
    for flag, chunk in pieces:
        chunk = re.sub(r"(的时候|时候|之后|以后|时|后|了)$", "", chunk.strip(" ,，")).strip()
        chunk = re.sub(r"^(and|but|the moment)\s+", "", chunk)
        if chunk:
            cleaned.append((flag, chunk))
    return cleaned


def _area_of(copilot: Copilot, phrases: list[Phrase]) -> str | None:
    for phrase in phrases:
        for dev in phrase.devices:
            device = copilot.home.devices.get(dev)
            if device is not None and device.area and device.type not in ("person", "car"):
                return device.area
    return None


def _grouped(copilot: Copilot, commands: list[Command]) -> list[dict[str, Any]]:
    """Rule actions for planned commands; "all the lights" stays one action on the type, not fourteen."""
    home = copilot.home
    actions: list[dict[str, Any]] = []
    by_change: dict[tuple[str, str, str], list[Command]] = {}
    for cmd in commands:
        if cmd.property is not None:
            key = (home.devices[cmd.device].type, cmd.property, json.dumps(cmd.value))
            by_change.setdefault(key, []).append(cmd)
    done: set[str] = set()
    for cmd in commands:
        if cmd.id in done:
            continue
        target: dict[str, Any] = {"device": cmd.device}
        if cmd.property is not None:
            kind = home.devices[cmd.device].type
            group = by_change[(kind, cmd.property, json.dumps(cmd.value))]
            every = copilot.index.by_type.get(kind, [])
            if len(group) > 1 and {c.device for c in group} == set(every):
                target = {"type": kind}
                done.update(c.id for c in group)
            prop = cmd.property if cmd.property.startswith("Vehicle.") else f"{cmd.service}.{cmd.property}"
            target.update({"property": prop, "value": cmd.value})
        else:
            target.update({"action": f"{cmd.service}.{cmd.action}"})
            if cmd.args:
                target["args"] = dict(cmd.args)
        done.add(cmd.id)
        actions.append({"command": target})
    return actions
