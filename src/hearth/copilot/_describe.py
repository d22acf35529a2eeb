"""Say what was done: "已将客厅吊灯调到50%", "Turned off the kitchen light and the floor lamp."."""

from __future__ import annotations

from collections.abc import Mapping

from hearth.copilot._index import HomeIndex
from hearth.copilot._reply import join, label, the, value_text
from hearth.core import Command
from hearth.model import Value

_ACTIONS_ZH = {"start-sweep": "开始清扫", "stop-sweeping": "停止清扫", "pause-sweeping": "暂停清扫",
               "start-room-sweep": "开始清扫{arg}", "start-charge": "回去充电", "stop-charge": "停止充电",
               "play": "开始播放", "pause": "暂停播放", "next": "切到下一首", "previous": "切到上一首"}
_ACTIONS_EN = {"start-sweep": "started cleaning", "stop-sweeping": "stopped cleaning",
               "pause-sweeping": "paused cleaning", "start-room-sweep": "started cleaning the {arg}",
               "start-charge": "is returning to charge", "stop-charge": "stopped charging", "play": "is playing",
               "pause": "is paused", "next": "skipped to the next track", "previous": "went back a track"}


def _phrase(index: HomeIndex, cmd: Command, lang: str) -> tuple[str, str]:
    """(verb phrase key, value text) describing one command, grouped across devices."""
    dev = index.home.devices[cmd.device]
    if cmd.action is not None:
        arg = next(iter(cmd.args.values()), "")
        if isinstance(arg, str) and arg in index.home.areas:
            arg = index.area_name(arg, lang)
        table = _ACTIONS_ZH if lang == "zh" else _ACTIONS_EN
        text = table.get(cmd.action, cmd.action.replace("-", " "))
        return "action", text.format(arg=arg)
    prop = dev.spec.property(cmd.service, str(cmd.property))
    name = prop.name
    value = cmd.value
    if isinstance(value, bool):
        if name == "locked" or name.endswith("IsLocked"):
            if lang == "zh":
                return "lock", "锁上" if value else "解锁"
            return "lock", "locked" if value else "unlocked"
        if name.endswith("IsOpen"):
            return ("open", "打开" if value else "关上") if lang == "zh" else ("open", "opened" if value else "closed")
        if name in ("on",) or name.startswith("Vehicle."):
            what = "" if name == "on" else label(prop, lang)
            if lang == "zh":
                return "switch", ("打开" if value else "关闭") + (f"|{what}" if what else "")
            return "switch", ("turned on" if value else "turned off") + (f"|{what}" if what else "")
    if name == "target-position" and value in (0, 100):
        if lang == "zh":
            return "open", "打开" if value == 100 else "关上"
        return "open", "opened" if value == 100 else "closed"
    return "set", f"{label(prop, lang)}|{value_text(prop, value, lang)}"


def describe_commands(index: HomeIndex, commands: list[Command], lang: str,
                      state: Mapping[tuple[str, str, str], Value]) -> str:
    """One short sentence for the commands of a clause."""
    groups: dict[tuple[str, str], list[str]] = {}
    for cmd in commands:
        key = _phrase(index, cmd, lang)
        name = index.device_name(cmd.device, lang)
        names = groups.setdefault(key, [])
        if name not in names:
            names.append(name)
    parts = []
    for (kind, text), names in groups.items():
        who = join(names, lang)
        if kind == "action":
            parts.append(f"{who}{text}。" if lang == "zh" else f"{the(who, lang).capitalize()} {text}.")
        elif kind == "set":
            what, value = text.split("|", 1)
            parts.append(f"已将{who}的{what}调到{value}。" if lang == "zh"
                         else f"Set the {who} {what} to {value}.")
        elif "|" in text:
            verb, what = text.split("|", 1)
            parts.append(f"已{verb}{who}的{what}。" if lang == "zh" else f"{verb.capitalize()} the {who} {what}.")
        else:
            parts.append(f"已{text}{who}。" if lang == "zh" else f"{text.capitalize()} the {who}.")
    return ("" if lang == "zh" else " ").join(parts)
