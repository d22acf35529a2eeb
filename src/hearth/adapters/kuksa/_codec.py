"""Values between Hearth and a Kuksa databroker: VSS data types, `kuksa.val.v2.Value` in and out."""

from __future__ import annotations

import math
from typing import Any

from hearth.adapters.kuksa._proto import types
from hearth.errors import AdapterError
from hearth.model import Format, PropertySpec, Value

# VSS datatype name → the oneof field of `kuksa.val.v2.Value` that carries it (small ints ride in 32 bits).
FIELDS: dict[str, str] = {
    "string": "string", "boolean": "bool",
    "int8": "int32", "int16": "int32", "int32": "int32", "int64": "int64",
    "uint8": "uint32", "uint16": "uint32", "uint32": "uint32", "uint64": "uint64",
    "float": "float", "double": "double",
}
_BOUNDS: dict[str, tuple[int, int]] = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
    "int64": (-2**63, 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1), "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
}


def datatype_name(code: int) -> str | None:
    """The VSS datatype name of a `DataType` enum value (`DATA_TYPE_UINT8` → `uint8`), None if unsupported."""
    try:
        name = types.DataType.Name(code)
    except ValueError:
        return None
    short = str(name).removeprefix("DATA_TYPE_").lower()
    return short if short in FIELDS else None


def datatype_code(name: str) -> int:
    """The `DataType` enum value of a VSS datatype name."""
    return int(types.DataType.Value(f"DATA_TYPE_{name.upper()}"))


def datatype_for(prop: PropertySpec) -> str:
    """A datatype to send when the databroker did not say: the widest one of the property's format."""
    if prop.format is Format.BOOL:
        return "boolean"
    if prop.format is Format.STRING:
        return "string"
    if prop.format is Format.FLOAT:
        return "float"
    return "uint32" if prop.range is not None and prop.range.min >= 0 else "int32"


def decode(value: Any) -> Value | None:
    """The Python value inside a `kuksa.val.v2.Value`, or None when it holds nothing Hearth can use."""
    which = value.WhichOneof("typed_value")
    if which is None or which.endswith("_array"):
        return None
    result: Value = getattr(value, which)
    if which == "float":
        # A 32-bit float widened to Python's double shows noise digits (22.1 → 22.100000381…); keep what was meant.
        return float(f"{result:.7g}")
    return result


def encode(raw: Value, datatype: str) -> Any:
    """A `kuksa.val.v2.Value` of `datatype` holding `raw`; AdapterError if it does not fit."""
    field = FIELDS.get(datatype)
    if field is None:
        raise AdapterError(f"cannot send a value of VSS type {datatype!r}")
    message = types.Value()
    if field == "string":
        message.string = str(raw)
    elif field == "bool":
        if not isinstance(raw, bool):
            raise AdapterError(f"{raw!r} is not a boolean")
        message.bool = raw
    elif field in ("float", "double"):
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise AdapterError(f"{raw!r} is not a number")
        setattr(message, field, float(raw))
    else:
        setattr(message, field, _integer(raw, datatype))
    return message


def _integer(raw: Value, datatype: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not float(raw).is_integer():
        raise AdapterError(f"{raw!r} is not a whole number")
    low, high = _BOUNDS[datatype]
    if not low <= int(raw) <= high:
        raise AdapterError(f"{raw!r} does not fit {datatype}")
    return int(raw)
