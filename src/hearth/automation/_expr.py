"""A tiny, safe expression language over state and variables: tokenizer + recursive-descent parser.

Grammar (lowest precedence first)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not in') sum)*
    sum     := term (('+'|'-') term)*
    term    := unary (('*'|'/'|'%') unary)*
    unary   := '-' unary | primary
    primary := NUMBER | STRING | true | false | none | '[' items ']' | '(' expr ')'
             | NAME '(' args ')' | NAME ('.' NAME)*

Only whitelisted functions exist; `state('device', 'service.property')` is resolved against the home when the
rule loads. Nothing is ever passed to `eval`. Expressions compile to closures, so evaluation is cheap.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from hearth.automation._model import Expression
from hearth.errors import RuleError, SpecError
from hearth.model import Home

Node = Callable[["Scope"], Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|[<>+\-*/%().,\[\]]))"
)
_KEYWORDS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}
_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod,
}


class Scope(Protocol):
    """What an expression can see while it runs."""

    def value(self, key: tuple[str, str, str]) -> Any:
        """Current value of a property."""
        ...

    def variable(self, name: str) -> Any:
        """A rule variable or `trigger`; KeyError when unknown."""
        ...

    def distance_km(self, device: str, zone: str) -> float | None:
        """Distance from a device's location to a zone's centre."""
        ...

    def local_time(self) -> tuple[int, int, int]:
        """(hour, minute, weekday) in the home's time zone."""
        ...

    def now(self) -> float:
        """Current epoch seconds."""
        ...



_PURE: dict[str, tuple[Callable[..., Any], tuple[int, int]]] = {
    "float": (float, (1, 1)), "int": (int, (1, 1)), "str": (str, (1, 1)), "abs": (abs, (1, 1)),
    "min": (min, (2, 8)), "max": (max, (2, 8)), "round": (round, (1, 2)), "len": (len, (1, 1)),
}


def _either(a: Node, b: Node) -> Node:
    return lambda s: a(s) or b(s)


def _both(a: Node, b: Node) -> Node:
    return lambda s: a(s) and b(s)


def _apply(fn: Callable[[Any, Any], Any], a: Node, b: Node) -> Node:
    return lambda s: fn(a(s), b(s))


class _Parser:
    def __init__(self, text: str, home: Home) -> None:
        self.text = text
        self.home = home
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise self.error(f"unexpected character {text[pos:].lstrip()[:1]!r}", pos)
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind), match.start(kind)))
            pos = match.end()
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> RuleError:
        where = pos if pos is not None else (self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text))
        return RuleError(f"expression {self.text!r}, column {where + 1}: {message}")

    def peek(self, value: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        kind, text, _ = self.tokens[self.i]
        return value is None or (text == value and kind in ("op", "name"))

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        if not self.peek(value):
            raise self.error(f"expected {value!r}" if value else "unexpected end")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty expression", 0)
        node = self.expr()
        if self.i < len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.i][1]!r}")
        return node

    def expr(self) -> Node:
        node = self.conj()
        while self.peek("or"):
            self.take()
            node = _either(node, self.conj())
        return node

    def conj(self) -> Node:
        node = self.neg()
        while self.peek("and"):
            self.take()
            node = _both(node, self.neg())
        return node

    def neg(self) -> Node:
        if self.peek("not"):
            self.take()
            inner = self.neg()
            return lambda s: not inner(s)
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        pairs: list[tuple[Callable[[Any, Any], Any], Node]] = []
        while True:
            if self.peek("not") and self.i + 1 < len(self.tokens) and self.tokens[self.i + 1][1] == "in":
                self.i += 2
                pairs.append((_COMPARE["not in"], self.sum()))
            elif self.i < len(self.tokens) and self.tokens[self.i][1] in _COMPARE:
                pairs.append((_COMPARE[self.take()[1]], self.sum()))
            else:
                break
        if not pairs:
            return node
        first = node

        def chain(s: Scope) -> bool:
            left = first(s)
            for op, right_node in pairs:
                right = right_node(s)
                if not op(left, right):
                    return False
                left = right
            return True

        return chain

    def sum(self) -> Node:
        return self._binary(self.term, ("+", "-"))

    def term(self) -> Node:
        return self._binary(self.unary, ("*", "/", "%"))

    def _binary(self, sub: Callable[[], Node], ops: tuple[str, ...]) -> Node:
        node = sub()
        while self.i < len(self.tokens) and self.tokens[self.i][0] == "op" and self.tokens[self.i][1] in ops:
            fn = _ARITH[self.take()[1]]
            node = _apply(fn, node, sub())
        return node

    def unary(self) -> Node:
        if self.peek("-"):
            self.take()
            inner = self.unary()
            return lambda s: -inner(s)
        return self.primary()

    def primary(self) -> Node:
        kind, text, pos = self.take()
        if kind == "num":
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return lambda s: number
        if kind == "str":
            literal = bytes(text[1:-1], "utf-8").decode("unicode_escape") if "\\" in text else text[1:-1]
            return lambda s: literal
        if text == "(":
            node = self.expr()
            self.take(")")
            return node
        if text == "[":
            items = self._items("]")
            return lambda s: [item(s) for item in items]
        if kind == "name":
            if text in _KEYWORDS:
                constant = _KEYWORDS[text]
                return lambda s: constant
            if self.peek("("):
                self.take("(")
                return self.call(text, pos)
            return self.name(text)
        raise self.error(f"unexpected {text!r}", pos)

    def _items(self, close: str) -> list[Node]:
        items: list[Node] = []
        while not self.peek(close):
            items.append(self.expr())
            if not self.peek(close):
                self.take(",")
        self.take(close)
        return items

    def _literal_args(self, name: str, count: int, pos: int) -> list[str]:
        args: list[str] = []
        while not self.peek(")"):
            kind, text, _ = self.take()
            if kind != "str":
                raise self.error(f"{name}() takes quoted names", pos)
            args.append(text[1:-1])
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        if not 1 <= len(args) <= count:
            raise self.error(f"{name}() takes {count} quoted names", pos)
        return args

    def call(self, name: str, pos: int) -> Node:
        if name == "state":
            device, prop = [*self._literal_args("state", 2, pos), ""][:2]
            key = self._state_key(device, prop, pos)
            return lambda s: s.value(key)
        if name == "distance":
            args = self._literal_args("distance", 2, pos)
            device, zone = args[0], args[1] if len(args) > 1 else "home"
            if device not in self.home.devices:
                raise self.error(f"unknown device {device!r}", pos)
            if zone not in self.home.zones:
                raise self.error(f"unknown zone {zone!r}", pos)
            return lambda s: s.distance_km(device, zone)
        if name in ("hour", "minute", "weekday", "now"):
            self.take(")")
            if name == "now":
                return lambda s: s.now()
            index = ("hour", "minute", "weekday").index(name)
            return lambda s: s.local_time()[index]
        if name not in _PURE:
            known = ", ".join(["state", "distance", "hour", "minute", "weekday", "now", *_PURE])
            raise self.error(f"unknown function {name!r} (known: {known})", pos)
        fn, (low, high) = _PURE[name]
        args_nodes = self._items(")")
        if not low <= len(args_nodes) <= high:
            raise self.error(f"{name}() takes {low}–{high} arguments", pos)
        return lambda s: fn(*[a(s) for a in args_nodes])

    def _state_key(self, device: str, prop: str, pos: int) -> tuple[str, str, str]:
        dev = self.home.devices.get(device)
        if dev is None:
            raise self.error(f"state(): unknown device {device!r}", pos)
        try:
            service, spec = dev.spec.find(prop)
        except SpecError as exc:
            raise self.error(f"state(): {exc}", pos) from None
        return (device, service, spec.name)

    def name(self, first: str) -> Node:
        path = [first]
        while self.peek("."):
            self.take(".")
            kind, text, pos = self.take()
            if kind != "name":
                raise self.error("expected a name after '.'", pos)
            path.append(text)

        def lookup(s: Scope) -> Any:
            value = s.variable(first)
            for part in path[1:]:
                if not isinstance(value, Mapping) or part not in value:
                    raise RuleError(f"{'.'.join(path)}: no {part!r}")
                value = value[part]
            return value

        return lookup


def compile_expression(text: str, home: Home) -> Expression:
    """Parse an expression and check the devices and properties it names against the home."""
    node = _Parser(text, home).parse()

    def evaluate(scope: Scope) -> Any:
        try:
            return node(scope)
        except RuleError:
            raise
        except KeyError as exc:
            raise RuleError(f"{text!r}: unknown name {exc.args[0]!r}") from None
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise RuleError(f"{text!r}: {exc}") from None

    return Expression(text, evaluate)


def is_number(value: Any) -> bool:
    """True for int and float values (not bool), finite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
