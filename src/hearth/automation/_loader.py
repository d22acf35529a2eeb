"""Load a rules file: YAML → schema → rules checked against the home, all or nothing.

Errors name the file, line, rule and field, and say what was expected. YAML is read with YAML 1.2 scalars:
`23:00` is a time (not the base-60 number 1380) and only `true`/`false` are booleans.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from hearth.automation import _schema as s
from hearth.automation._compile_actions import build_actions, build_targets
from hearth.automation._compile_conditions import build_conditions
from hearth.automation._compile_triggers import build_trigger
from hearth.automation._compiler import Compiler, locate
from hearth.automation._model import NOTHING, Rule, RuleSet, Scene
from hearth.errors import RuleError
from hearth.model import Home


class RulesYamlLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no base-60 numbers."""


RulesYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
RulesYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def read_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML into data plus its node tree (for line numbers); RuleError when it is not YAML."""
    try:
        root = yaml.compose(text, Loader=RulesYamlLoader)
        data = yaml.load(text, Loader=RulesYamlLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise RuleError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return data, root


class _RulesCompiler(Compiler):
    """Turns the validated schema into rules and scenes, checking every reference against the home."""

    def ruleset(self, rules: Iterable[Any], scenes: Iterable[Any] = ()) -> RuleSet:
        """Validate and compile scenes, then rules, one at a time (so a big file never sits in memory twice)."""
        for i, item in enumerate(scenes):
            self.prefix = ["scenes", i]
            scene = self.validate(s.SceneModel, item)
            if scene.id in self.scenes:
                raise self.fail(["id"], f"duplicate scene id {scene.id!r}")
            cmds = tuple(c for j, t in enumerate(scene.states) for c in build_targets(self, ["states", j], t))
            self.scenes[scene.id] = Scene(scene.id, scene.name or scene.id, cmds)
        compiled: dict[str, Rule] = {}
        for i, item in enumerate(rules):
            self.prefix = ["rules", i]
            self.rule_id = str(item.get("id", f"#{i + 1}")) if isinstance(item, dict) else f"#{i + 1}"
            raw_rule = self.validate(s.RuleModel, item)
            if raw_rule.id in compiled:
                raise self.fail(["id"], f"duplicate rule id {raw_rule.id!r}")
            compiled[raw_rule.id] = self.rule(item, raw_rule)
        self.rule_id = ""
        return RuleSet(tuple(compiled.values()), self.scenes, self.source)

    def rule(self, raw_data: Any, r: s.RuleModel) -> Rule:
        digest = hashlib.sha1(json.dumps(raw_data, sort_keys=True, default=str).encode()).hexdigest()[:16]
        line, _ = locate(self.root, self.prefix)
        return Rule(
            id=r.id, name=r.name or r.id, description=r.description, enabled=r.enabled, mode=r.mode, max=r.max,
            triggers=tuple(build_trigger(self, ["triggers", i], t) for i, t in enumerate(r.triggers)),
            conditions=build_conditions(self, ["conditions"], r.conditions),
            actions=build_actions(self, ["actions"], r.actions),
            variables=dict(r.variables) if r.variables else NOTHING, source=f"{self.source}:{line or 1}", digest=digest,
        )


def parse_rules(text: str, home: Home, source: str = "<rules>") -> RuleSet:
    """Validate a rules file given as text against a home; raises RuleError naming file, line, rule, field."""
    data, root = read_yaml(text, source)
    if data is None:
        return RuleSet(source=source)
    if isinstance(data, list):
        data = {"rules": data}
        assert root is not None
        key = yaml.ScalarNode("tag:yaml.org,2002:str", "rules", root.start_mark, root.start_mark)
        root = yaml.MappingNode("tag:yaml.org,2002:map", [(key, root)], root.start_mark, root.end_mark)
    if not isinstance(data, dict):
        raise RuleError(f"{source}:1: a rules file is a list of rules, or a mapping with rules and scenes")
    extra = sorted(set(data) - {"rules", "scenes"})
    compiler = _RulesCompiler(home, source, root)
    if extra:
        raise compiler.fail([extra[0]], "unknown section (a rules file has rules and scenes)")
    rules, scenes = data.get("rules") or [], data.get("scenes") or []
    for name, section in (("rules", rules), ("scenes", scenes)):
        if not isinstance(section, list):
            raise compiler.fail([name], f"{name} must be a list")
    return compiler.ruleset(rules, scenes)


def compile_rules(home: Home, rules: Iterable[Mapping[str, Any]], source: str = "<rules>") -> RuleSet:
    """Validate and compile rules given as data (one mapping per rule, as in YAML)."""
    return _RulesCompiler(home, source, None).ruleset(rules)


def parse_rule(rule: Mapping[str, Any], home: Home, source: str = "<rule>") -> Rule:
    """Validate and compile one rule given as data (as in YAML) against a home; RuleError says why not."""
    if not isinstance(rule, Mapping):
        raise RuleError(f"{source}: a rule is a mapping with id, triggers and actions")
    return compile_rules(home, [rule], source).rules[0]


def load_rules(path: str | Path, home: Home) -> RuleSet:
    """Load and validate a rules file against a home."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{p}: cannot read ({exc.strerror})") from None
    return parse_rules(text, home, str(p))
