"""Subject names and the home → partition function (the same FNV-1a hash as NATS's `partition()` mapping).

Devices and gateways publish readings to `hearth.<home>.in`; the ingress stream stores each message under
`in.<partition>.<home>`, so a worker that owns a partition reads exactly its homes, in publish order.
Commands for devices go out on `hearth.<home>.cmd.<device>`; copilot requests use `hearth.<home>.ask`, served by
a separate queue group so a slow language model never holds up device events.
"""

from __future__ import annotations

import re

INGRESS_STREAM = "HEARTH_IN"
COMMAND_STREAM = "HEARTH_CMD"
COPILOT_QUEUE = "hearth-copilot"
DEFAULT_PARTITIONS = 64

_HOME_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_home_id(home: str) -> str:
    """Return the id if it is a valid single subject token (letters, digits, `_`, `-`), else raise ValueError."""
    if not _HOME_ID.match(home):
        raise ValueError(f"home id {home!r} must be 1–64 letters, digits, '_' or '-'")
    return home


def ingress_subject(home: str) -> str:
    """Where a home's devices publish readings."""
    return f"hearth.{home}.in"


def command_subject(home: str, device: str) -> str:
    """Where a home's commands for one device are published."""
    return f"hearth.{home}.cmd.{device}"


def ask_subject(home: str) -> str:
    """Where a home's copilot requests go (request/reply)."""
    return f"hearth.{home}.ask"


def partition_subject(partition: int) -> str:
    """The stored subjects of one partition (a consumer filter)."""
    return f"in.{partition}.*"


def ingress_transform(partitions: int) -> tuple[str, str]:
    """The stream's subject transform: (source, destination) that partitions by home."""
    return "hearth.*.in", f"in.{{{{partition({partitions},1)}}}}.{{{{wildcard(1)}}}}"


def partition_of(home: str, partitions: int) -> int:
    """The partition NATS maps a home to: FNV-1a (32 bit) of the home token, modulo the partition count."""
    h = 0x811C9DC5
    for byte in home.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % partitions


def home_of(stored_subject: str) -> tuple[int, str]:
    """(partition, home) of a stored ingress subject `in.<partition>.<home>`."""
    _, part, home = stored_subject.split(".", 2)
    return int(part), home
