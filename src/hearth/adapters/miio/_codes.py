"""MIoT and miIO result codes, turned into messages a person can act on."""

from __future__ import annotations

from hearth.errors import AdapterError

OK = 0
ACCEPTED = 1
NOT_READABLE = -4001
NOT_WRITABLE = -4002
NOT_FOUND = -4003
INTERNAL = -4004
BAD_VALUE = -4005
BAD_ACTION_ARGS = -4006
BAD_DID = -4007

_SHORT = {
    NOT_READABLE: "the property cannot be read",
    NOT_WRITABLE: "the property cannot be written",
    NOT_FOUND: "the property, action or event does not exist on this device",
    INTERNAL: "the device reported an internal error",
    BAD_VALUE: "the device refused the value",
    BAD_ACTION_ARGS: "the device refused the action's arguments",
    BAD_DID: "the request named another device id (did)",
    -5001: "the device refused the command's parameters",
    -5005: "the device refused the command's parameters",
    -9999: "the device did not confirm in time",
    -10000: "the device does not support this method",
    -32600: "the device could not parse the request",
    -32601: "the device does not know this method",
    -32602: "the device refused the request's parameters",
}

# Long codes look like -704LLLCCC: the trailing digits name what went wrong, the middle the category.
_LONG = {
    704040002: "the service does not exist on this device",
    704040003: "the property does not exist on this device",
    704040004: "the event does not exist on this device",
    704040005: "the action does not exist on this device",
    704030013: "the property cannot be read",
    704030023: "the property cannot be written",
    704030033: "the property does not notify",
    704030992: "the device is rate-limiting requests; try again shortly",
    704220043: "the device refused the value",
    704222034: "the device refused the action's arguments",
    704042011: "the device is offline",
    704090001: "the device was not found",
    704010000: "the device refused access (is the token right?)",
}


def describe(code: int) -> str:
    """A clear message for a result code, with the code kept for reference."""
    text = _SHORT.get(code) or _LONG.get(abs(code))
    if text is None:
        text = "the device reported an error"
    return f"{text} (code {code})"


def is_success(code: int) -> bool:
    """Whether a per-property code means the device did it (0 = done, 1 = accepted, runs async)."""
    return code in (OK, ACCEPTED)


class DeviceRefused(AdapterError):
    """The device answered, but refused or failed the request; `code` is its result code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class DeviceUnreachable(AdapterError):
    """The device did not answer after every retry."""
