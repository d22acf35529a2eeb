"""The small part of Home Assistant's value templates that discovery payloads use, evaluated without Jinja.

Supported: `{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['a'][0] }}`, and the filters `float`, `int`,
`round(n)`, `lower`, `upper`, `string`, `trim` and `default(x)`. Anything else is refused when the entity is
discovered, so a template never half-works at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hearth.errors import AdapterError


class TemplateError(AdapterError):
    """A template Hearth cannot evaluate, or a payload it cannot apply to."""


_BLOCK = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STEP = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]""")
_FILTER = re.compile(r"^([a-z_]+)(?:\((.*)\))?$")
_FILTERS = frozenset({"float", "int", "round", "lower", "upper", "string", "trim", "default"})
_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Expr:
    root: str
    path: tuple[str | int, ...]
    filters: tuple[tuple[str, str | None], ...]


def _parse_expr(text: str, source: str) -> _Expr:
    head, *filters = [part.strip() for part in text.split("|")]
    m = re.match(r"^(value_json|value)", head)
    if m is None:
        raise TemplateError(f"template {source!r}: only `value` and `value_json` are supported")
    root, rest = m.group(1), head[m.end():]
    path: list[str | int] = []
    while rest:
        step = _STEP.match(rest)
        if step is None:
            raise TemplateError(f"template {source!r}: cannot read {rest!r}")
        name, q1, q2, index = step.groups()
        path.append(int(index) if index is not None else (name or q1 or q2 or ""))
        rest = rest[step.end():]
    parsed: list[tuple[str, str | None]] = []
    for flt in filters:
        fm = _FILTER.match(flt)
        if fm is None or fm.group(1) not in _FILTERS:
            raise TemplateError(f"template {source!r}: filter {flt!r} is not supported")
        parsed.append((fm.group(1), fm.group(2)))
    return _Expr(root, tuple(path), tuple(parsed))


class Template:
    """A compiled value or command template."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._blocks = [(m.span(), _parse_expr(m.group(1), source)) for m in _BLOCK.finditer(source)]
        whole = len(self._blocks) == 1 and self._blocks[0][0] == (0, len(source.strip()))
        self._single = whole and source == source.strip()

    def render(self, value: Any, payload: str | None = None) -> Any:
        """Evaluate with `value` (and `value_json` parsed from `payload` when given)."""
        value_json: Any = _MISSING
        if payload is not None and any(e.root == "value_json" for _, e in self._blocks):
            try:
                value_json = json.loads(payload)
            except json.JSONDecodeError:
                raise TemplateError("payload is not JSON") from None
        if self._single:
            return _eval(self._blocks[0][1], value, value_json)
        out, pos = [], 0
        for (start, end), expr in self._blocks:
            out.append(self.source[pos:start])
            out.append(_text(_eval(expr, value, value_json)))
            pos = end
        out.append(self.source[pos:])
        return "".join(out)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _eval(expr: _Expr, value: Any, value_json: Any) -> Any:
    current: Any = value if expr.root == "value" else value_json
    for step in expr.path:
        if isinstance(step, int) and isinstance(current, Sequence) and not isinstance(current, str):
            current = current[step] if step < len(current) else _MISSING
        elif isinstance(step, str) and isinstance(current, Mapping):
            current = current.get(step, _MISSING)
        else:
            current = _MISSING
    for name, arg in expr.filters:
        current = _apply(name, arg, current)
    if current is _MISSING:
        raise TemplateError(f"payload has no {expr.root}{''.join(f'.{p}' for p in expr.path)}")
    return current


def _apply(name: str, arg: str | None, current: Any) -> Any:
    if name == "default":
        return _literal(arg or "") if current is _MISSING else current
    if current is _MISSING:
        return current
    try:
        if name == "float":
            return float(current)
        if name == "int":
            return int(float(current))
        if name == "round":
            return round(float(current), int(arg or 0))
    except (TypeError, ValueError):
        raise TemplateError(f"cannot apply `{name}` to {current!r}") from None
    text = str(current)
    return {"lower": text.lower(), "upper": text.upper(), "trim": text.strip()}.get(name, text)


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise TemplateError(f"default({text}) needs a quoted text or a number") from None
