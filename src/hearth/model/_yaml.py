"""YAML for Hearth's files: YAML 1.2 booleans, so a property called `on` stays the word "on"."""

from __future__ import annotations

import re
from typing import Any

import yaml

try:  # libyaml's parser: the same resolvers and results, about eight times faster on a large home file
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class HearthLoader(_SafeLoader):
    """A safe loader where only true/false are booleans (YAML 1.1 also turns on/off/yes/no into them)."""


HearthLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
HearthLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """Parse YAML text into Python data."""
    return yaml.load(text, Loader=HearthLoader)


def compose_yaml(text: str) -> yaml.Node | None:
    """Parse YAML text into nodes (for line numbers in error messages)."""
    return yaml.compose(text, Loader=HearthLoader)
