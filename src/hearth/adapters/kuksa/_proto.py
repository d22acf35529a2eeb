"""The `kuksa.val.v2` gRPC messages and stubs, as shipped in the kuksa-client wheel, behind one import."""

from __future__ import annotations

from typing import Any

from kuksa.val.v2 import types_pb2 as _types  # type: ignore[import-untyped]  # generated, no stubs shipped
from kuksa.val.v2 import val_pb2 as _val
from kuksa.val.v2 import val_pb2_grpc as _val_grpc

types: Any = _types
val: Any = _val
val_grpc: Any = _val_grpc

SERVICE = "kuksa.val.v2.VAL"
