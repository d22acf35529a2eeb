"""Where rules live and which are switched on: the rules file path and per-rule enable/disable in the data dir."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import yaml

from hearth.automation._loader import load_rules, parse_rules
from hearth.automation._model import RuleSet
from hearth.errors import RuleError
from hearth.model import Home, load_yaml


def data_dir() -> Path:
    """The data directory: $HEARTH_DATA_DIR, else .hearth/ in the working directory."""
    return Path(os.environ.get("HEARTH_DATA_DIR") or ".hearth")


def demo_rules_text() -> str:
    """The YAML of the demo household's rules."""
    return resources.files("hearth").joinpath("data/demo_rules.yaml").read_text(encoding="utf-8")


def rules_for(home: Home, path: str | Path | None, directory: Path | None = None) -> RuleSet:
    """The rules of a rules file (or the demo rules for the demo home), plus the rules added at run time."""
    if path is not None:
        base = load_rules(path, home)
    elif home.id == "demo":
        base = parse_rules(demo_rules_text(), home, "demo_rules.yaml")
    else:
        base = RuleSet(source="<none>")
    added = user_rules(home, directory)
    clash = {r.id for r in base.rules} & {r.id for r in added.rules}
    if clash:
        raise RuleError(f"{user_rules_path(home, directory)}: rule ids also in {base.source}: {sorted(clash)}")
    return RuleSet(base.rules + added.rules, {**base.scenes, **added.scenes}, base.source)


def user_rules_path(home: Home, directory: Path | None = None) -> Path:
    """Where rules added from a sentence, the API or MCP are kept for this home."""
    return (directory or data_dir()) / f"{home.id}.added_rules.yaml"


def user_rules(home: Home, directory: Path | None = None) -> RuleSet:
    """The rules added at run time (empty when there are none)."""
    path = user_rules_path(home, directory)
    return load_rules(path, home) if path.exists() else RuleSet(source=str(path))


def add_user_rules(text: str, home: Home, directory: Path | None = None) -> RuleSet:
    """Validate rules given as YAML and append them to the added-rules file; returns the new rules only."""
    new = parse_rules(text, home, "<new rule>")
    path = user_rules_path(home, directory)
    old = path.read_text(encoding="utf-8") if path.exists() else "rules: []\n"
    merged = load_yaml(old) or {}
    given = load_yaml(text)
    merged.setdefault("rules", [])
    merged["rules"].extend(given if isinstance(given, list) else given.get("rules", []))
    combined = yaml.safe_dump(merged, allow_unicode=True, sort_keys=False)
    parse_rules(combined, home, str(path))  # duplicate ids and the like are refused before anything is written
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(combined, encoding="utf-8")
    tmp.replace(path)
    return new


def _prefs_file(directory: Path | None = None) -> Path:
    return (directory or data_dir()) / "rules.json"


def enabled_overrides(directory: Path | None = None) -> dict[str, bool]:
    """Rules switched on or off by `hearth rules enable/disable` (they override the file's `enabled`)."""
    path = _prefs_file(directory)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuleError(f"{path}: unreadable ({exc})") from None
    return {str(k): bool(v) for k, v in data.get("enabled", {}).items()}


def set_enabled(rule_id: str, enabled: bool, directory: Path | None = None) -> Path:
    """Persist a rule's on/off switch; returns the file written."""
    path = _prefs_file(directory)
    current = enabled_overrides(directory)
    current[rule_id] = enabled
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"enabled": current}, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return path
