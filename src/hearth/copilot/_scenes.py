"""Scenes by name: "activate the movie scene", "开启离家模式" → the automation engine's named sets of states."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from rapidfuzz import fuzz

from hearth.automation import Scene
from hearth.copilot._frame import parse
from hearth.copilot._index import HomeIndex
from hearth.copilot._lexicon import _load
from hearth.copilot._text import Lang, normalize, phrase_tokens
from hearth.core import Command
from hearth.errors import HearthError
from hearth.model import Home

Scenes = Mapping[str, Scene]
SceneSource = Callable[[], Scenes]
_EN = re.compile(r"^(?:please |can you |could you )*(?:activate|run|start|turn on|enable|switch to|switch on|set|tri"
                 r"gger|"
                 r"execute|put on|go to|apply|use|begin|engage)?\s*(?:the |my |our )?(?P<name>.+?)\s+(?:scene|mode)"
                 r"(?: please| now)?$|^(?:activate|run|execute|apply|trigger) (?:the )?scene (?P<name2>.+)$")
_ZH = re.compile(r"^(?:请|帮我|给我|麻烦)*(?:开启|打开|启动|执行|切换到|切换成|切到|进入|启用|开|来个|设置为|设为|"
                 r"调到|运行)?"
                 r"(?P<name>.+?)(?:模式|场景|情景)(?:吧|一下)?$")


@dataclass(frozen=True, slots=True)
class SceneRequest:
    """A request to activate a scene: the scene found (or None) and the name as said."""

    scene: Scene | None
    said: str


@cache
def scene_words() -> Mapping[str, tuple[tuple[str, ...], ...]]:
    """Everyday words for common scene ids, as token tuples."""
    return {str(k): tuple(phrase_tokens(str(w)) for w in v) for k, v in _load("scenes").items()}


def home_scenes(home: Home) -> Scenes:
    """The scenes of the home's rules (the demo rules for the demo home); none when the rules don't load."""
    from hearth.automation._prefs import rules_for

    try:
        return dict(rules_for(home, None).scenes)
    except (HearthError, OSError):
        return {}


class SceneFinder:
    """Finds scenes by what people call them, for one home."""

    def __init__(self, index: HomeIndex, source: SceneSource) -> None:
        self.index = index
        self.source = source

    def find(self, said: str) -> Scene | None:
        """The scene a name means, by id, name or everyday word (close spellings too)."""
        key = phrase_tokens(said)
        if not key:
            return None
        best: tuple[float, Scene | None] = (0.0, None)
        words = scene_words()
        for scene in self.source().values():
            names = {phrase_tokens(scene.id.replace("_", " ")), phrase_tokens(scene.name)}
            for known, aliases in words.items():
                if phrase_tokens(known) in names or phrase_tokens(scene.id) == phrase_tokens(known):
                    names.update(aliases)
            if key in names:
                return scene
            for name in names:
                score = fuzz.ratio(" ".join(key), " ".join(name))
                if score >= 85 and score > best[0]:
                    best = (score, scene)
        return best[1]

    def request(self, text: str, lang: Lang) -> SceneRequest | None:
        """A scene request ("activate the movie scene"), or None when the sentence is about something else."""
        norm = normalize(text).strip(" .!?。！")
        m = (_ZH if lang == "zh" else _EN).match(norm)
        if m is None:
            return None
        said = (m.group("name") or (m.groupdict().get("name2") or "")).strip()
        if not said or len(phrase_tokens(said)) > (6 if lang == "zh" else 4):
            return None
        scene = self.find(said)
        if scene is None:
            frame = parse(self.index, said, lang)[0]
            # "set the AC to cool mode" is a device setting, not a scene.
            if frame.devices or frame.types or frame.cores or frame.values or frame.weak_values or frame.props or \
                    frame.areas or frame.car_parts:
                return None
        return SceneRequest(scene, said)

    def named(self, text: str, lang: Lang) -> str | None:
        """The id of a scene an action clause asks for ("activate the away scene"), if any."""
        found = self.request(text, lang)
        return found.scene.id if found is not None and found.scene is not None else None

    def display(self, scene: Scene, lang: Lang) -> str:
        """What to call a scene in a reply: its name, or in Chinese an everyday Chinese word for it."""
        if lang != "zh":
            return scene.name or scene.id
        for known, aliases in scene_words().items():
            if known == scene.id:
                word = next(("".join(a) for a in aliases if any("\u4e00" <= ch <= "\u9fff" for ch in "".join(a))), "")
                if word:
                    return word
        return scene.name or scene.id

    def known(self, lang: Lang) -> str:
        """The scenes there are, for a refusal."""
        names = [self.display(s, lang) for s in self.source().values()]
        if not names:
            return "没有设置任何场景" if lang == "zh" else "none are set up"
        return "、".join(names) if lang == "zh" else ", ".join(names)


def scene_commands(scene: Scene, confirmed: bool = False) -> list[Command]:
    """A scene's target states as commands for the command path."""
    return [Command(s.device, s.service, property=s.property, value=s.value, action=s.action,
                    args=dict(s.args or {}), confirmed=confirmed) for s in scene.commands]


def scene_data(scene: Scene) -> dict[str, Any]:
    """A compiled scene back in the rules-file shape (to validate a new rule that uses it)."""
    states: list[dict[str, Any]] = []
    for c in scene.commands:
        if c.property is not None:
            prop = c.property if c.property.startswith("Vehicle.") else f"{c.service}.{c.property}"
            states.append({"device": c.device, "property": prop, "value": c.value})
        else:
            states.append({"device": c.device, "action": f"{c.service}.{c.action}", "args": dict(c.args or {})})
    return {"id": scene.id, "name": scene.name, "states": states}
