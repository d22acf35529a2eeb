"""How a property value is stored so it reads back identical: same type, same value (True is not 1)."""

from __future__ import annotations

import json
import math
from typing import Any

from hearth.errors import StoreError
from hearth.model import Value

# kind column: how to read a stored value back.
PLAIN = 0  # int, float or str stored in its own SQLite storage class; NULL is a float NaN
BOOL = 1  # stored as INTEGER 0/1
BIG_INT = 2  # an int outside SQLite's 64-bit range, stored as decimal text
RAW_TEXT = 3  # a str SQLite cannot take as UTF-8 (lone surrogates), stored as a surrogatepass blob

_INT64 = range(-(2**63), 2**63)


def encode(value: Value) -> tuple[Any, int]:
    """Stored form and kind of a value; the slow, complete path (the writer's fast path handles most)."""
    if isinstance(value, bool):
        return int(value), BOOL
    if isinstance(value, int):
        return (value, PLAIN) if value in _INT64 else (str(value), BIG_INT)
    if isinstance(value, float):
        return (None if math.isnan(value) else value), PLAIN
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass"), RAW_TEXT
        return value, PLAIN
    raise StoreError(f"cannot store a {type(value).__name__} value ({value!r}); values are bool, int, float or str")


def decode(stored: Any, kind: int) -> Value:
    """The value a stored form and kind stand for."""
    if kind == PLAIN:
        return math.nan if stored is None else stored
    if kind == BOOL:
        return bool(stored)
    if kind == BIG_INT:
        return int(stored)
    if kind == RAW_TEXT:
        return bytes(stored).decode("utf-8", "surrogatepass")
    raise StoreError(f"unknown stored value kind {kind}")


def encode_json(value: Any) -> str:
    """JSON text for an audit value (a property value or an action's arguments)."""
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def decode_json(text: str) -> Any:
    """Read back an audit value."""
    return json.loads(text)
