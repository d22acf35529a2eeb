"""Say a rule back in words: "每天23:00，如果大门锁未上锁，就提醒你。", "When you get home after dark, turn on …"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hearth.copilot._index import HomeIndex
from hearth.copilot._reply import join, label, value_text
from hearth.copilot._rules_text_time import WEEKDAYS, WEEKEND
from hearth.core import Actor
from hearth.errors import SpecError
from hearth.model import PropertySpec

_DAY_EN = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
           "sat": "Saturday", "sun": "Sunday"}
_DAY_ZH = {"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日"}
_KIND_ZH = {"person": "有人", "package": "有快递", "pet": "有宠物", "car": "有车"}


class _Say:
    def __init__(self, index: HomeIndex, lang: str, actor: Actor | None) -> None:
        self.index, self.lang, self.actor = index, lang, actor
        self.zh = lang == "zh"

    def who(self, devices: Any) -> str:
        ids = [devices] if isinstance(devices, str) else list(devices)
        home = self.index.home
        if len(ids) > 1 and set(ids) == set(home.people):
            return "所有人" if self.zh else "everyone"
        names = []
        for d in ids:
            if self.actor is not None and d == self.actor.id:
                names.append("你" if self.zh else "you")
            elif d in home.devices:
                name = self.index.device_name(d, self.lang)
                names.append(name if self.zh or home.devices[d].type == "person" else f"the {name}")
            else:
                names.append(d)
        return join(names, self.lang)

    def prop(self, device: Any, name: str) -> PropertySpec | None:
        dev = self.index.home.devices.get(device if isinstance(device, str) else device[0])
        try:
            return dev.spec.find(name)[1] if dev is not None else None
        except SpecError:
            return None

    def is_so(self, device: Any, name: str, value: Any) -> str:
        """"the front door lock is not locked" / "大门锁未上锁"."""
        who, short = self.who(device), name.rsplit(".", 1)[-1]
        zh = self.zh
        if short == "locked":
            if zh:
                return f"{who}{'已上锁' if value else '未上锁'}"
            return f"{who} is {'locked' if value else 'not locked'}"
        if short in ("open", "IsOpen"):
            return f"{who}{'开着' if value else '关着'}" if zh else f"{who} is {'open' if value else 'closed'}"
        if short == "asleep":
            return f"{who}{'睡着了' if value else '醒了'}" if zh else f"{who} {'is asleep' if value else 'is awake'}"
        if short in ("motion-state", "occupancy-status"):
            where = self.who(device)
            return (f"{where}检测到{'有人' if value else '没人'}" if zh else
                    f"{where} {'detects someone' if value else 'detects no one'}")
        if short == "on":
            return f"{who}{'开着' if value else '关着'}" if zh else f"{who} is {'on' if value else 'off'}"
        if short == "at-home" and who in ("所有人", "everyone"):
            return ("家里有人" if value else "家里没人") if zh else ("someone is home" if value else "nobody is home")
        if short == "at-home":
            return f"{who}{'在家' if value else '不在家'}" if zh else f"{who} {'is' if value else 'is not'} home"
        prop = self.prop(device, name)
        what = label(prop, self.lang) if prop else short
        shown = value_text(prop, value, self.lang)
        return f"{who}的{what}为{shown}" if zh else f"{who} {what} is {shown}"

    def numeric(self, device: Any, name: str, above: Any, below: Any) -> str:
        prop = self.prop(device, name)
        who, what = self.who(device), (label(prop, self.lang) if prop else name)
        parts = []
        for bound, zh_word, en_word in ((above, "高于", "above"), (below, "低于", "below")):
            if bound is not None:
                shown = value_text(prop, bound, self.lang)
                parts.append(f"{zh_word}{shown}" if self.zh else f"{en_word} {shown}")
        if name.endswith("current-position"):
            opened = above is not None
            return f"{who}{'打开' if opened else '关上'}" if self.zh else f"{who} {'opens' if opened else 'closes'}"
        return f"{who}的{what}{'且'.join(parts)}" if self.zh else f"{who} {what} is {' and '.join(parts)}"

    def zone(self, zone: str) -> str:
        if zone == "home":
            return "家" if self.zh else "home"
        z = self.index.home.zones.get(zone)
        names = (z.name, *z.aliases) if z else (zone,)
        return self.index.zh_name(names) if self.zh else self.index.en_name(names)

    def duration(self, raw: Any) -> str:
        seconds = float(str(raw).rstrip("s"))
        if seconds % 3600 == 0:
            n, en, zh = seconds / 3600, "hour", "小时"
        elif seconds % 60 == 0:
            n, en, zh = seconds / 60, "minute", "分钟"
        else:
            n, en, zh = seconds, "second", "秒"
        return f"{n:g}{zh}" if self.zh else f"{n:g} {en}{'' if n == 1 else 's'}"

    def trigger(self, t: Mapping[str, Any]) -> str:
        kind, zh = t["trigger"], self.zh
        if kind == "time":
            return f"{t['at']}" if zh else f"at {t['at']}"
        if kind == "sun":
            return ("日落时" if t["event"] == "sunset" else "日出时") if zh else f"at {t['event']}"
        if kind == "zone":
            who, where = self.who(t["device"]), self.zone(t["zone"])
            if t["event"] == "enter":
                return (f"{who}到{where}时" if zh else
                        f"when {who} {'get' if who == 'you' else 'gets'} "
                        f"{'home' if where == 'home' else 'to ' + where}")
            return f"{who}离开{where}时" if zh else f"when {who} {'leave' if who == 'you' else 'leaves'} {where}"
        if kind == "distance":
            who, where, km = self.who(t["device"]), self.zone(t["zone"]), f"{t['below']:g}"
            return f"{who}离{where}不到{km}公里时" if zh else f"when {who} is within {km} km of {where}"
        if kind == "perception":
            cam = self.who(t["camera"])
            what = t.get("kind") or "person"
            return f"{cam}看到{_KIND_ZH.get(what, what)}时" if zh else f"when {cam} sees a {what}"
        if kind == "event":
            return f"{self.who(t['device'])}响起时" if zh else f"when {self.who(t['device'])} rings"
        hold = f"{'并持续' if zh else ' for '}{self.duration(t['for'])}" if t.get("for") else ""
        if kind == "state" and t["property"] == "presence.at-home" and t.get("to") is False and \
                self.who(t["device"]) in ("所有人", "everyone"):
            return "当所有人都离开家时" if zh else "when everyone has left home"
        if kind == "state" and t["property"] == "sleep.asleep" and not hold and not zh:
            who = self.who(t["device"])
            verb = ("fall asleep" if t.get("to") else "wake up") if who == "you" else (
                "falls asleep" if t.get("to") else "wakes up")
            return f"when {who} {verb}"
        if kind == "numeric":
            base = self.numeric(t["device"], t["property"], t.get("above"), t.get("below"))
        else:
            base = self.is_so(t["device"], t["property"], t.get("to"))
            if not zh:
                base = base.replace(" is ", " becomes " if not hold else " stays ", 1)
        return f"当{base}{hold}时" if zh else f"when {base}{hold}"

    def condition(self, c: Mapping[str, Any]) -> str:
        kind, zh = c["condition"], self.zh
        if kind == "time":
            parts = []
            if c.get("after") and c.get("before"):
                parts.append(f"在{c['after']}到{c['before']}之间" if zh else f"between {c['after']} and {c['before']}")
            elif c.get("after"):
                parts.append(f"{c['after']}以后" if zh else f"after {c['after']}")
            elif c.get("before"):
                parts.append(f"{c['before']}以前" if zh else f"before {c['before']}")
            if c.get("weekday"):
                parts.insert(0, self.days(c["weekday"]))
            return ("" if zh else " ").join(parts)
        if kind == "or" and all(x.get("condition") == "sun" for x in c["conditions"]):
            return "天黑以后" if zh else "after dark"
        if kind == "sun":
            if c.get("after"):
                return "日落以后" if zh else "after sunset"
            return "日出以前" if zh else "before sunrise"
        if kind == "state":
            return self.is_so(c["device"], c["property"], c["state"])
        if kind == "numeric":
            return self.numeric(c["device"], c["property"], c.get("above"), c.get("below"))
        if kind == "zone":
            return f"{self.who(c['device'])}在{self.zone(c['zone'])}" if zh else \
                f"{self.who(c['device'])} {'are' if self.who(c['device']) == 'you' else 'is'} at {self.zone(c['zone'])}"
        if kind == "not" and c["conditions"][0].get("condition") == "zone":
            inner = c["conditions"][0]
            return f"{self.who(inner['device'])}不在{self.zone(inner['zone'])}" if zh else \
                f"{self.who(inner['device'])} is away from {self.zone(inner['zone'])}"
        return str(c)

    def days(self, days: Any) -> str:
        days = [days] if isinstance(days, str) else list(days)
        if days == WEEKDAYS:
            return "工作日" if self.zh else "on weekdays"
        if days == WEEKEND:
            return "周末" if self.zh else "on weekends"
        names = [(_DAY_ZH if self.zh else _DAY_EN)[d] for d in days]
        return "每" + "、".join(names) if self.zh else "on " + join([n + "s" for n in names], self.lang)

    def action(self, a: Mapping[str, Any]) -> str:
        zh = self.zh
        if "notify" in a:
            to = a["notify"]["to"]
            if self.actor is not None and to == self.actor.id:
                return "提醒你" if zh else "notify you"
            groups = {"adults": ("大人们", "the adults"), "everyone": ("所有人", "everyone")}
            if to in groups:
                return f"通知{groups[to][0]}" if zh else f"notify {groups[to][1]}"
            return f"通知{self.who(to)}" if zh else f"notify {self.who(to)}"
        if "scene" in a:
            return f"启用“{a['scene']}”场景" if zh else f"activate the {a['scene']} scene"
        t = a["command"]
        if "device" in t:
            who = self.who(t["device"])
        else:
            words = self.index.lex.type_words.get(t["type"], ())
            word = next(("".join(w) for w in words if any("\u4e00" <= ch <= "\u9fff" for ch in "".join(w))),
                        t["type"]) \
                if zh else next((" ".join(w) for w in words if w and w[0].isascii()), t["type"])
            who = f"所有{word}" if zh else f"all the {word}s"
        if "action" in t:
            name = t["action"].rsplit(".", 1)[-1].replace("-", " ")
            return f"让{who}执行{name}" if zh else f"{name} {who}"
        short, value = t["property"].rsplit(".", 1)[-1], t["value"]
        if (isinstance(value, bool) and short in ("on", "locked")) or short.endswith("IsLocked"):
            if short == "on":
                return f"{'打开' if value else '关闭'}{who}" if zh else f"turn {'on' if value else 'off'} {who}"
            return f"{'锁上' if value else '解锁'}{who}" if zh else f"{'lock' if value else 'unlock'} {who}"
        if short == "target-position" and value in (0, 100):
            return f"{'打开' if value else '关上'}{who}" if zh else f"{'open' if value else 'close'} {who}"
        prop = self.prop(t.get("device") or self.index.by_type.get(t.get("type", ""), [""])[0], t["property"])
        what = label(prop, self.lang) if prop else short
        shown = value_text(prop, value, self.lang)
        return f"把{who}的{what}调到{shown}" if zh else f"set {who} {what} to {shown}"


def explain(index: HomeIndex, rule: Mapping[str, Any], lang: str, actor: Actor | None = None) -> str:
    """The rule as one sentence in the user's language."""
    say = _Say(index, lang, actor)
    triggers = [say.trigger(t) for t in rule["triggers"]]
    said_by_trigger = [{"condition": "state", "device": t.get("device"), "property": t.get("property"),
                        "state": t.get("to")} for t in rule["triggers"] if t["trigger"] == "state"]
    conditions = [say.condition(c) for c in rule.get("conditions", ()) if c not in said_by_trigger]
    actions: list[str] = []
    for a in rule["actions"]:
        scene = str(a.get("alias", "")).removeprefix("scene:") if str(a.get("alias", "")).startswith("scene:") else ""
        text = say.action({"scene": scene} if scene else a)
        if text not in actions:
            actions.append(text)
    first = rule["triggers"][0]
    if lang == "zh":
        head = "或".join(triggers)
        days = next((c for c in rule.get("conditions", ()) if c["condition"] == "time" and c.get("weekday")
                     and not c.get("after") and not c.get("before")), None)
        if first["trigger"] == "time":
            head = (say.days(days["weekday"]) if days else "每天") + head
            conditions = [x for x in conditions if days is None or x != say.condition(days)]
        text = head
        if conditions:
            text += "，如果" + "并且".join(conditions)
        return text + "，就" + "，然后".join(actions) + "。"
    head = " or ".join(triggers)
    if first["trigger"] == "time":
        head = "Every day " + head
    text = head[0].upper() + head[1:]
    if conditions:
        plain = all(c["condition"] in ("time", "or", "sun") for c in rule.get("conditions", ())
                    if c not in said_by_trigger)
        text += (" " if plain else ", if ") + " and ".join(conditions)
    return text + ", " + ", then ".join(actions) + "."


def notify_message(index: HomeIndex, triggers: list[dict[str, Any]], conditions: list[dict[str, Any]],
                   lang: str) -> str:
    """A notification text that says what happened ("大门锁未上锁", "The front door sensor stays open …")."""
    say = _Say(index, lang, None)
    states = [c for c in conditions if c["condition"] in ("state", "numeric", "zone")]
    if states:
        text = say.condition(states[0])
    else:
        text = say.trigger(triggers[0]).removeprefix("when ").removeprefix("当").removesuffix("时")
    text = text[0].upper() + text[1:] if text else "Hearth"
    return text + ("。" if lang == "zh" else ".")
