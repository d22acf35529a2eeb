"""Where rules live and which are switched on: the rules file path and per-rule enable/disable in the data dir."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from hearth.automation._loader import load_rules, parse_rules
from hearth.automation._model import RuleSet
from hearth.errors import RuleError
from hearth.model import Home


def data_dir() -> Path:
    """The data directory: $HEARTH_DATA_DIR, else .hearth/ in the working directory."""
    return Path(os.environ.get("HEARTH_DATA_DIR") or ".hearth")


def demo_rules_text() -> str:
    """The YAML of the demo household's rules."""
    return resources.files("hearth").joinpath("data/demo_rules.yaml").read_text(encoding="utf-8")


def rules_for(home: Home, path: str | Path | None) -> RuleSet:
    """The rules of a rules file, or the demo rules for the demo home, or none."""
    if path is not None:
        return load_rules(path, home)
    if home.id == "demo":
        return parse_rules(demo_rules_text(), home, "demo_rules.yaml")
    return RuleSet(source="<none>")


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
