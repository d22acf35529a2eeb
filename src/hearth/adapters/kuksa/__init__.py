"""Cars over a Kuksa databroker (`kuksa.val.v2` gRPC): the `kuksa` adapter and a fake databroker for tests."""

from hearth.adapters.kuksa._adapter import CAUSE, DEFAULT_PORT, KuksaAdapter, KuksaBinding
from hearth.adapters.kuksa._codec import datatype_for, decode, encode
from hearth.adapters.kuksa._fake import FakeDatabroker, Signal

__all__ = [
    "CAUSE",
    "DEFAULT_PORT",
    "FakeDatabroker",
    "KuksaAdapter",
    "KuksaBinding",
    "Signal",
    "datatype_for",
    "decode",
    "encode",
]
