"""The copilot: text → language → clauses → plan → validation → execution → reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hearth.copilot._answer import Answer, answer_car, answer_devices, answer_home_presence, answer_people
from hearth.copilot._complaint import complaint_of, complaint_targets, plan_for
from hearth.copilot._describe import describe_commands
from hearth.copilot._frame import Frame, parse
from hearth.copilot._hassil import HassilReader
from hearth.copilot._index import HomeIndex
from hearth.copilot._lexicon import PROP
from hearth.copilot._plan import DevicePlan, direction
from hearth.copilot._props import has_ability, switch_property
from hearth.copilot._reply import join, say, zh_denied, zh_reason
from hearth.copilot._resolve import CAR_ONLY, Issue, Targets, resolve
from hearth.copilot._rules_text import TextRules, looks_like_rule
from hearth.copilot._scenes import SceneFinder, SceneSource, home_scenes, scene_commands
from hearth.copilot._targets import unknown_target, unlinked_person_room
from hearth.copilot._tasks import task_for
from hearth.copilot._text import Lang, detect_language
from hearth.core import Actor, Bus, Command, CommandPath, StateChanged, StateStore
from hearth.errors import ConfirmationRequired, PermissionDenied
from hearth.model import Home, Value

Snapshot = Mapping[tuple[str, str, str], Value]
# (text, language, actor, confirmed, state snapshot) → the answer, or None to let the request through.
RuleHook = Callable[[str, Lang, Actor, bool, Snapshot], Awaitable["AskResult | None"]]
Core = tuple[Bus, StateStore, CommandPath]


@dataclass(frozen=True, slots=True)
class AskResult:
    """The outcome of one request, shaped like the `hearth ask --json` output."""

    text: str
    lang: Lang
    status: str
    intent: str | None
    slots: Mapping[str, Any] = field(default_factory=dict)
    commands: tuple[Mapping[str, Any], ...] = ()
    changes: tuple[Mapping[str, Any], ...] = ()
    reply: str = ""
    options: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape."""
        return {"text": self.text, "lang": self.lang, "status": self.status, "intent": self.intent,
                "slots": dict(self.slots), "commands": list(self.commands), "changes": list(self.changes),
                "reply": self.reply}


@dataclass
class _Clause:
    frame: Frame
    plans: list[DevicePlan] = field(default_factory=list)
    answer: Answer | None = None
    issue: Issue | None = None
    devices: tuple[str, ...] = ()


def command_json(cmd: Command) -> dict[str, Any]:
    """A command as JSON: device, service, property+value or action+args."""
    if cmd.property is not None:
        return {"device": cmd.device, "service": cmd.service, "property": cmd.property, "value": cmd.value}
    return {"device": cmd.device, "service": cmd.service, "action": cmd.action, "args": dict(cmd.args)}


class Copilot:
    """Understands requests about one home; cheap to call, the home's index is built once."""

    def __init__(self, home: Home, rule_hook: RuleHook | None = None, scenes: SceneSource | None = None) -> None:
        self.home = home
        self.index = HomeIndex(home)
        self.rule_hook: RuleHook = rule_hook or TextRules(self)
        self.scenes = SceneFinder(self.index, scenes or _cached(lambda: home_scenes(home)))
        self.hassil = HassilReader(home)
        self.context: tuple[str, ...] = ()

    def scene_named(self, text: str, lang: Lang) -> str | None:
        """The id of the scene a clause asks for, if it asks for one."""
        return self.scenes.named(text, lang)

    def issue_text(self, issue: Issue, lang: Lang) -> str:
        """Why a clause cannot be done, in the user's language."""
        return self._issue_text(issue, lang)

    def default_actor(self) -> Actor:
        """The home's first admin (or a CLI admin when the home lists nobody)."""
        admin = next((p for p in self.home.people.values() if p.role == "admin"), None)
        return Actor("person", admin.id, "admin") if admin else Actor("person", "cli", "admin")

    def actor_for(self, person: str) -> Actor:
        """The actor for a person id or name, with that person's role."""
        for p in self.home.people.values():
            if person in (p.id, p.name, *p.aliases):
                return Actor("person", p.id, p.role)
        return Actor("person", person, "guest")

    def understand(self, text: str, snap: Snapshot, context: tuple[str, ...] = ()) -> tuple[Lang, list[_Clause]]:
        """Pure stage: parse and plan every clause against a snapshot."""
        lang = detect_language(text)
        frames = parse(self.index, text, lang)
        asked = [f for f in frames if "negated" not in f.flags]
        clauses = []
        for frame in frames:
            clause = self._plan_clause(frame, snap, context)
            if clause.devices:
                context = clause.devices
            if frame in asked or not asked:
                # "别开电视了，把它关掉": what is not wanted is still what "it" refers to next.
                clauses.append(clause)
        return lang, clauses

    async def ask(self, text: str, core: Core, actor: Actor | None = None, *, confirm: bool = False,
                  keep_context: bool = False) -> AskResult:
        """Understand, validate and (when everything checks out) execute a request."""
        actor = actor or self.default_actor()
        text = text.strip()
        state = core[1]
        lang = detect_language(text)
        if not text:
            return AskResult(text, lang, "unsupported", None, reply=say("not_understood", lang))
        scene = self.scenes.request(text, lang)
        if scene is not None:
            return await self._scene(text, lang, scene.scene, scene.said, core, actor, confirm)
        lang, clauses = self.understand(text, state.values, self.context if keep_context else ())
        frames = [c.frame for c in clauses]
        if (any("rule" in f.flags for f in frames) and _looks_like_rule(frames)) or looks_like_rule(text, lang):
            hooked = await self.rule_hook(text, lang, actor, confirm, state.values)
            return hooked or AskResult(text, lang, "unsupported", "HearthRuleFromText", reply=say("rule", lang))
        if all("negated" in f.flags for f in frames):
            reply = "好的，不动它。" if lang == "zh" else "OK, I'll leave it as it is."
            return AskResult(text, lang, "answered", None, reply=reply)
        task = task_for(text, lang, clauses, lambda plain: self.understand(plain, state.values)[1])
        if task is not None and task.plain is None:  # "brew some coffee" in a home without a coffee machine
            return AskResult(text, lang, "refused", "HassTurnOn", reply=task.reply)
        if task is not None and task.plain is not None:
            clauses = self.understand(task.plain, state.values)[1]
        elif _out_of_scope(frames):
            second = await self._second_reading(text, lang, core, actor, confirm)
            return second or AskResult(text, lang, "unsupported", None, reply=say("unsupported", lang))
        if keep_context:
            self.context = next((c.devices for c in reversed(clauses) if c.devices), self.context)
        return await self._finish(text, lang, clauses, core, actor, confirm)

    async def _finish(self, text: str, lang: Lang, clauses: list[_Clause], core: Core, actor: Actor,
                      confirm: bool) -> AskResult:
        bus, state, commands = core
        intents = [self._intent(c) for c in clauses]
        slots = _slots(clauses)
        clauses, refused = _partial(clauses)
        issues = [c.issue for c in clauses if c.issue is not None]
        if issues:
            status = "refused" if any(i.status == "refused" for i in issues) else issues[0].status
            first = next(i for i in issues if i.status == status)
            return AskResult(text, lang, status, intents[0], {**slots, "options": list(first.options)},
                             reply=self._issue_text(first, lang), options=first.options)
        planned: list[Command] = []
        for cmd in (cmd for c in clauses for p in c.plans for cmd in p.commands):
            # "it's stuffy, turn on the fan": two clauses asking for the same thing run it once.
            if not any(_same_command(cmd, seen) for seen in planned):
                planned.append(cmd)
        checked: list[Command] = []
        for cmd in planned:
            cmd = replace(cmd, confirmed=confirm)
            try:
                checked.append(commands.check(cmd, actor))
            except ConfirmationRequired as exc:
                return self._needs_confirmation(text, lang, intents[0], slots, planned, cmd, str(exc))
            except PermissionDenied as exc:
                return AskResult(text, lang, "refused", intents[0], slots, tuple(command_json(c) for c in planned),
                                 reply=say("denied", lang, why=str(exc), why_zh=zh_denied(str(exc))))
            except Exception as exc:  # CommandRejected: the plan names something the spec refuses
                return AskResult(text, lang, "refused", intents[0], slots, reply=say("failed", lang, why=str(exc)))
        changes: list[dict[str, Any]] = []

        def record(ev: StateChanged) -> None:
            changes.append({"device": ev.device, "service": ev.service, "property": ev.property, "old": ev.old,
                            "new": ev.new})

        remove = bus.subscribe(StateChanged, record)
        try:
            for cmd in checked:
                result = await commands.execute(cmd, actor)
                if not result.ok:
                    return AskResult(text, lang, "error", intents[0], slots, tuple(command_json(c) for c in checked),
                                     tuple(changes), say("failed", lang, why=result.message))
        finally:
            remove()
        replies = []
        told: list[Command] = []
        for clause in clauses:
            if clause.answer is not None:
                replies.append(clause.answer.text)
            else:
                fresh = [c for p in clause.plans for c in p.commands if not any(_same_command(c, t) for t in told)]
                told.extend(fresh)
                replies.append(describe_commands(self.index, fresh, lang, state.values))
        status = "done" if checked else "answered"
        sep = "" if lang == "zh" else " "
        # Several requests, one impossible: the others ran; the reply says which part was refused and why.
        replies += [("没有执行：" if lang == "zh" else "Not done: ") + self._issue_text(i, lang) for i in refused]
        return AskResult(text, lang, status, intents[0], slots, tuple(command_json(c) for c in checked),
                         tuple(changes), sep.join(r for r in replies if r))

    async def _second_reading(self, text: str, lang: Lang, core: Core, actor: Actor,
                              confirm: bool) -> AskResult | None:
        """Home Assistant's templates, for what the slot filler found nothing in; planned like any command."""
        found = self.hassil.match(text, lang)
        plain = self.hassil.paraphrase(found, lang) if found is not None and not found.out_of_scope else None
        if found is None or plain is None:
            return None
        _, clauses = self.understand(plain, core[1].values)
        if any(c.issue is not None for c in clauses):
            return None
        result = await self._finish(text, lang, clauses, core, actor, confirm)
        return replace(result, intent=found.intent, slots={**result.slots, "matcher": "hassil"})

    async def _scene(self, text: str, lang: Lang, scene: Any, said: str, core: Core, actor: Actor,
                     confirm: bool) -> AskResult:
        if scene is None:
            reply = (f"家里没有“{said}”这个场景（有：{self.scenes.known(lang)}）。" if lang == "zh" else
                     f"There is no {said} scene in this home (scenes: {self.scenes.known(lang)}).")
            return AskResult(text, lang, "refused", "HassTurnOn", {"domain": "scene"}, reply=reply)
        plans: dict[str, DevicePlan] = {}
        for cmd in scene_commands(scene):
            plans.setdefault(cmd.device, DevicePlan(cmd.device, intent="HassTurnOn",
                                                    slots={"domain": "scene", "scene": scene.id})).commands.append(cmd)
        result = await self._finish(text, lang, [_Clause(Frame(text, lang), list(plans.values()))], core, actor,
                                    confirm)
        if result.status != "done":
            return result
        name = self.scenes.display(scene, lang)
        head = f"已启用{name}场景：" if lang == "zh" else f"Activated the {name} scene: "
        return replace(result, reply=head + result.reply)

    def _needs_confirmation(self, text: str, lang: Lang, intent: str | None, slots: dict[str, Any],
                            planned: list[Command], cmd: Command, why: str) -> AskResult:
        name = self.index.device_name(cmd.device, lang)
        reason = why.removeprefix("please confirm: ").split(" (")[0]
        reply = say("confirm", lang, reason=reason, reason_zh=zh_reason(reason), device=name)
        return AskResult(text, lang, "clarify", intent, {**slots, "needs_confirmation": True},
                         tuple(command_json(c) for c in planned), (), reply)

    def _issue_text(self, issue: Issue, lang: Lang) -> str:
        params = dict(issue.params)
        idx = self.index
        if "areas" in params:
            params["areas"] = join([idx.area_name(a, lang) for a in params["areas"]  # type: ignore[attr-defined]
                                    if a in idx.home.areas], lang)
        if "type" in params:
            word, spoken = _type_word(idx, str(params["type"]), lang), str(params.pop("said", "") or "")
            # "the garage heater": the kind is named as said, unless said short ("tub" for the bathtub).
            params["type"] = spoken if spoken and spoken not in word else word
        options = [idx.device_name(o, lang) if o in idx.home.devices else idx.area_name(o, lang)
                   if o in idx.home.areas else o for o in issue.options[:8]]
        params["options"] = params.get("options") or join(options, lang) if options else params.get("options", "")
        if issue.key == "which_device" and not options:
            return say("not_understood", lang)
        return say(issue.key, lang, **params)

    def _intent(self, clause: _Clause) -> str | None:
        if clause.answer is not None:
            return clause.answer.intent
        if clause.plans:
            return clause.plans[0].intent
        frame = clause.frame
        if frame.question:
            return "HassGetState"
        verbs = set(frame.verbs)
        if verbs & {"on", "open", "lock"}:
            return "HassTurnOn"
        if verbs & {"off", "close", "unlock"}:
            return "HassTurnOff"
        return "HearthSetProperty" if frame.numbers or frame.props else None

    def _plan_clause(self, frame: Frame, snap: Snapshot, context: tuple[str, ...]) -> _Clause:
        clause = _Clause(frame)
        who = unlinked_person_room(frame)
        if who is not None:
            clause.issue = Issue("refused", "no_person_room", {"who": self.index.device_name(who, frame.lang)})
            return clause
        unknown = unknown_target(frame)
        if unknown is not None and not frame.question:
            clause.issue = Issue("refused", "unknown_thing", {"what": unknown})
            return clause
        if frame.question and not (frame.devices or frame.cores or frame.types or set(frame.car_parts) & CAR_ONLY):
            about_people = frame.zones or set(frame.props) & {"location", "sleep", "heart-rate", "occupancy"}
            if not frame.persons and ("kin" in frame.flags or (frame.unknown and about_people)):
                what = frame.unknown[0] if frame.unknown else next(
                    (m.text for m in frame.mentions if ("misc", "kin") in m.meanings), "?")
                clause.issue = Issue("refused", "unknown_thing", {"what": what})
                return clause
            if frame.persons:
                clause.answer = answer_people(self.index, frame, snap, list(dict.fromkeys(frame.persons)))
                return clause
            if "home" in frame.zones or (frame.props and "occupancy" in frame.props and not frame.areas):
                clause.answer = answer_home_presence(self.index, frame, snap)
                return clause
        verbs = set(frame.verbs)
        need = _need(self.index, frame, verbs)
        complaint = complaint_of(frame)
        targets = (complaint_targets(self.index, frame, complaint, snap) if complaint else None) or resolve(
            self.index, frame, need, context, lambda d: snap.get((d, *_switch_key(self.index.home.devices[d]))) is True)
        if isinstance(targets, Issue) and targets.key == "which_device" and targets.options and not frame.question:
            # "把灯调到150%": if no candidate could do it anyway, say why instead of asking which one.
            trial = self._command(_Clause(frame), Targets(targets.options[:24]), snap)
            if trial.issue is not None and trial.issue.status == "refused":
                clause.issue = trial.issue
                return clause
        if isinstance(targets, Issue) and targets.key == "nothing_in_area_can" and frame.question and frame.props:
            # "卧室湿度多少": a humidifier's target is not a reading; only a device that measures it answers.
            targets = Issue("refused", "no_reading", {**targets.params, "what": _prop_word(frame, frame.lang)})
        if isinstance(targets, Issue):
            clause.issue = targets
            return clause
        clause.devices = targets.devices
        if frame.question:
            return self._answer(clause, targets, snap)
        return self._command(clause, targets, snap)

    def _answer(self, clause: _Clause, targets: Targets, snap: Snapshot) -> _Clause:
        frame = clause.frame
        devices = [self.index.home.devices[d] for d in targets.devices]
        if len(devices) == 1 and devices[0].type == "car":
            clause.answer = answer_car(self.index, frame, snap, devices[0])
            return clause
        if all(d.type == "person" for d in devices):
            clause.answer = answer_people(self.index, frame, snap, [d.id for d in devices])
            return clause
        result = answer_devices(self.index, frame, snap, targets)
        if isinstance(result, Issue):
            clause.issue = result
        else:
            clause.answer = result
        return clause

    def _command(self, clause: _Clause, targets: Targets, snap: Snapshot) -> _Clause:
        frame = clause.frame
        issues = []
        devices = list(targets.devices)
        if len(devices) > 1 and direction(frame) and not frame.numbers:
            # "too bright in here": dim the lights that are on, not the ones that are off.
            on = [d for d in devices if snap.get((d, *_switch_key(self.index.home.devices[d]))) is True]
            devices = on or devices
        for dev_id in devices:
            result = plan_for(self.index, self.index.home.devices[dev_id], frame, snap, targets.areas)
            if isinstance(result, Issue):
                issues.append(result)
            else:
                clause.plans.append(result)
        if issues and (not clause.plans or len(devices) == 1) and len(issues) == len(devices):
            clause.issue = issues[0]
            clause.plans = []
        return clause


def _partial(clauses: list[_Clause]) -> tuple[list[_Clause], list[Issue]]:
    """The clauses to carry out, and the refusals of the parts left out when other parts can still be done.

    A complaint said as the reason for an explicit command ("太黑了，把卧室灯打开") is dropped when it alone needs
    asking back; an impossible part of a multi-command request is left out, its refusal named in the reply. When
    every part fails the request is refused (or asked back) as a whole.
    """
    doable = [c for c in clauses if c.issue is None and (c.plans or c.answer is not None)]
    if not doable or len(clauses) < 2:
        return clauses, []
    keep: list[_Clause] = []
    refused: list[Issue] = []
    for c in clauses:
        if c.issue is None:
            keep.append(c)
        elif c.frame.complaints and not c.frame.has_target and any(d.plans for d in doable):
            continue
        elif c.issue.status == "refused":
            refused.append(c.issue)
        else:
            keep.append(c)
    return keep, refused


def _cached(load: Callable[[], Any]) -> Callable[[], Any]:
    box: list[Any] = []

    def get() -> Any:
        if not box:
            box.append(load())
        return box[0]

    return get


def _same_command(a: Command, b: Command) -> bool:
    return (a.device, a.service, a.property, a.value, a.action, dict(a.args)) == (
        b.device, b.service, b.property, b.value, b.action, dict(b.args))


def _switch_key(device: Any) -> tuple[str, str]:
    found = switch_property(device)
    return (found[0], found[1].name) if found else ("", "")


def _need(index: HomeIndex, frame: Frame, verbs: set[str]) -> Callable[[Any], bool] | None:
    concepts = [index.lex.concepts[c] for c in frame.props if c in index.lex.concepts]
    if frame.question:
        names = [n for c in concepts for n in (c.get_names or c.set_names)] + list(frame.names)
        if frame.areas and not (frame.devices or frame.cores or frame.types or frame.names or "set" in verbs):
            # A room's humidity is what something there measures, not a setpoint.
            names = [n for n in names if not n.startswith("target-")] or ["-"]
        if names:
            from hearth.copilot._props import by_names

            return lambda d: bool(by_names(d, names, write=False)) and d.type != "car"
        return None
    if concepts or frame.names:
        names = [n for c in concepts for n in c.set_names] + list(frame.names)
        if names:
            from hearth.copilot._props import by_names

            return lambda d: any(p.writable for _, p in by_names(d, names, write=True)) and d.type != "car"
    if verbs - {"set"}:
        return lambda d: has_ability(d, verbs, frame) and d.type not in ("car", "person")
    return None


def _prop_word(frame: Frame, lang: str) -> str:
    """The word the user said for the property asked about."""
    if lang == "en" and frame.props:
        return frame.props[0].replace("-", " ")
    said = next((m.text for m in frame.mentions if any(k == PROP for k, _ in m.meanings)), None)
    return said or (frame.props[0] if frame.props else "?")


def _looks_like_rule(frames: list[Frame]) -> bool:
    return any(f.verbs or f.types or f.devices or f.props or "remind" in f.text or "提醒" in f.text
               or "通知" in f.text for f in frames)


def _out_of_scope(frames: list[Frame]) -> bool:
    for f in frames:
        if "oos" in f.flags and not (f.verbs or f.actions or f.complaints or (
                f.question and (f.areas or f.persons or f.zones))):
            continue  # "order cat food online", "米饭怎么煮": a home word inside a request about something else
        home_words = f.has_target or f.props or f.names or f.values or f.actions or (f.question and f.zones)
        if home_words and "oos" not in f.flags:
            return False
        if home_words and (f.devices or f.cores or f.areas or set(f.car_parts) & CAR_ONLY):
            return False
        if (f.verbs or f.numbers) and "oos" not in f.flags and not f.unknown:
            return False
        if f.verbs and f.unknown and "oos" not in f.flags:
            return False
    return True


def _slots(clauses: list[_Clause]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    devices = [d for c in clauses for d in (c.devices or ())]
    if devices:
        slots["devices"] = list(dict.fromkeys(devices))
    for c in clauses:
        for p in c.plans:
            for k, v in p.slots.items():
                slots.setdefault(k, v)
    if len(clauses) > 1:
        slots["clauses"] = len(clauses)
    return slots


def _type_word(index: HomeIndex, type_name: str, lang: str) -> str:
    words = index.lex.type_words.get(type_name, ())
    for tokens in words:
        is_zh = any("\u4e00" <= t <= "\u9fff" for t in tokens)
        if is_zh == (lang == "zh"):
            return ("" if is_zh else " ").join(tokens)
    return type_name.removeprefix("x-").replace("-", " ")
