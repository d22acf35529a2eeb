"""A fake Kuksa databroker: the `kuksa.val.v2.VAL` service over real gRPC on 127.0.0.1, for tests and demos.

It keeps one value per signal, answers Get/List/Publish/Actuate and streams Subscribe updates. An actuation
is recorded and, when `obey` is on, becomes the signal's current value at once, as if the car carried it out.
Each subscriber holds at most one pending value per signal (newer values replace older ones), so a slow
reader costs memory bounded by the number of signals it follows, never by the rate of updates.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import TracebackType
from typing import Any

import grpc  # type: ignore[import-untyped]  # grpcio ships no type information

from hearth.adapters.kuksa._codec import FIELDS, datatype_code, decode, encode
from hearth.adapters.kuksa._proto import types, val, val_grpc
from hearth.errors import AdapterError
from hearth.model import Value, iter_vss_leaves

ENTRY_TYPES = {"attribute": "ENTRY_TYPE_ATTRIBUTE", "sensor": "ENTRY_TYPE_SENSOR", "actuator": "ENTRY_TYPE_ACTUATOR"}


@dataclass(frozen=True, slots=True)
class Signal:
    """One VSS signal the fake databroker serves: its path, VSS datatype and entry type."""

    path: str
    datatype: str
    entry: str = "sensor"

    def __post_init__(self) -> None:
        if self.datatype not in FIELDS:
            raise AdapterError(f"{self.path}: unsupported VSS datatype {self.datatype!r}")
        if self.entry not in ENTRY_TYPES:
            raise AdapterError(f"{self.path}: entry type must be one of {sorted(ENTRY_TYPES)}")


class _Subscriber:
    def __init__(self, paths: Collection[str]) -> None:
        self.paths = frozenset(paths)
        self.pending: dict[str, Any] = {}
        self.wake = asyncio.Event()

    def offer(self, path: str, point: Any) -> None:
        if path in self.paths:
            self.pending[path] = point
            self.wake.set()


class FakeDatabroker:
    """Serves `kuksa.val.v2.VAL` on 127.0.0.1 (`url` once started); use as `async with FakeDatabroker(...)`."""

    def __init__(self, signals: Iterable[Signal], *, values: Mapping[str, Value] | None = None,
                 token: str | None = None, obey: bool = True, port: int = 0) -> None:
        self.signals = {s.path: s for s in signals}
        self.ids = {path: i for i, path in enumerate(sorted(self.signals), start=1)}
        self.token = token
        self.obey = obey
        self.port = port
        self.actuations: list[tuple[str, Value]] = []
        self._points: dict[str, Any] = {}
        self._subscribers: list[_Subscriber] = []
        self._server: Any = None
        self._changed = asyncio.Condition()
        for path, value in (values or {}).items():
            self.publish(path, value)

    @classmethod
    def from_vss(cls, doc: Mapping[str, Any], only: Collection[str] | None = None, **options: Any) -> FakeDatabroker:
        """Serve the signals of a VSS JSON tree (all scalar leaves, or the `only` paths)."""
        signals = [Signal(path, str(leaf["datatype"]), str(leaf.get("type", "sensor")))
                   for path, leaf in iter_vss_leaves(doc)
                   if str(leaf.get("datatype")) in FIELDS and (only is None or path in only)]
        return cls(signals, **options)

    @classmethod
    def for_car(cls, **options: Any) -> FakeDatabroker:
        """Serve the signals of Hearth's built-in `car` type."""
        text = resources.files("hearth.model").joinpath("data/vss_car.json").read_text(encoding="utf-8")
        return cls.from_vss(json.loads(text), **options)

    @property
    def url(self) -> str:
        """Where clients connect: `grpc://127.0.0.1:PORT`."""
        if not self.port:
            raise AdapterError("the fake databroker has not been started")
        return f"grpc://127.0.0.1:{self.port}"

    @property
    def subscribers(self) -> int:
        """How many Subscribe streams are open."""
        return len(self._subscribers)

    async def start(self) -> None:
        """Listen on 127.0.0.1 (the same port again after a stop)."""
        server = grpc.aio.server()
        val_grpc.add_VALServicer_to_server(_Servicer(self), server)
        port = server.add_insecure_port(f"127.0.0.1:{self.port}")
        if port == 0:
            raise AdapterError(f"fake databroker: cannot listen on 127.0.0.1:{self.port}")
        await server.start()
        self.port, self._server = port, server

    async def stop(self) -> None:
        """Stop serving at once; open streams end with an error, as when a real databroker goes away."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace=None)
        self._subscribers.clear()

    async def __aenter__(self) -> FakeDatabroker:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def publish(self, path: str, value: Value) -> None:
        """Set a signal's current value (as the car's provider would) and tell its subscribers."""
        signal = self._signal(path)
        point = types.Datapoint(value=encode(value, signal.datatype))
        self._store(path, point)

    def publish_raw(self, path: str, value: Any) -> None:
        """Set a signal to any `kuksa.val.v2.Value` (even a wrong one), to test what clients do with it."""
        self._signal(path)
        self._store(path, types.Datapoint(value=value))

    def value(self, path: str) -> Value | None:
        """A signal's current value, or None if it has none."""
        point = self._points.get(path)
        return decode(point.value) if point is not None and point.HasField("value") else None

    async def wait_subscribed(self, count: int = 1) -> None:
        """Return once at least `count` Subscribe streams are open (the readiness handshake for tests)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._subscribers) >= count)

    async def wait_actuations(self, count: int) -> list[tuple[str, Value]]:
        """Return the actuations once at least `count` have arrived."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.actuations) >= count)
        return list(self.actuations)

    def _store(self, path: str, point: Any) -> None:
        point.timestamp.FromNanoseconds(time.time_ns())
        self._points[path] = point
        for subscriber in self._subscribers:
            subscriber.offer(path, point)

    def _signal(self, path: str) -> Signal:
        signal = self.signals.get(path)
        if signal is None:
            raise AdapterError(f"fake databroker has no signal {path!r}")
        return signal

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _metadata(self, signal: Signal) -> Any:
        return types.Metadata(path=signal.path, id=self.ids[signal.path], data_type=datatype_code(signal.datatype),
                              entry_type=types.EntryType.Value(ENTRY_TYPES[signal.entry]))


class _Servicer(val_grpc.VALServicer):  # type: ignore[misc]  # the generated base class is untyped
    """The subset of `kuksa.val.v2.VAL` Hearth uses, with the real service's status codes."""

    def __init__(self, broker: FakeDatabroker) -> None:
        self.broker = broker

    async def _check(self, context: Any) -> None:
        token = self.broker.token
        if token is None:
            return
        sent = dict(context.invocation_metadata() or ()).get("authorization", "")
        if sent != f"Bearer {token}":
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required")

    async def _path(self, signal_id: Any, context: Any) -> str:
        path = signal_id.path if signal_id.WhichOneof("signal") == "path" else next(
            (p for p, i in self.broker.ids.items() if i == signal_id.id), "")
        if path not in self.broker.signals:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no such signal: {path or signal_id.id}")
        return path

    async def _typed(self, path: str, value: Any, context: Any) -> None:
        expected = FIELDS[self.broker.signals[path].datatype]
        if value.WhichOneof("typed_value") != expected:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{path} expects a {expected} value")

    async def GetValue(self, request: Any, context: Any) -> Any:  # named as the gRPC service names them
        await self._check(context)
        path = await self._path(request.signal_id, context)
        return val.GetValueResponse(data_point=self.broker._points.get(path))

    async def GetValues(self, request: Any, context: Any) -> Any:
        await self._check(context)
        paths = [await self._path(sid, context) for sid in request.signal_ids]
        return val.GetValuesResponse(data_points=[self.broker._points.get(p) or types.Datapoint() for p in paths])

    async def ListMetadata(self, request: Any, context: Any) -> Any:
        await self._check(context)
        root = request.root.removesuffix(".**").removesuffix(".*")
        found = [self.broker._metadata(s) for p, s in sorted(self.broker.signals.items())
                 if not root or p == root or p.startswith(root + ".")]
        if not found:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"nothing under {request.root!r}")
        return val.ListMetadataResponse(metadata=found)

    async def PublishValue(self, request: Any, context: Any) -> Any:
        await self._check(context)
        path = await self._path(request.signal_id, context)
        await self._typed(path, request.data_point.value, context)
        self.broker._store(path, types.Datapoint(value=request.data_point.value))
        return val.PublishValueResponse()

    async def Actuate(self, request: Any, context: Any) -> Any:
        await self._check(context)
        await self._actuate(request, context)
        await self.broker._notify()
        return val.ActuateResponse()

    async def BatchActuate(self, request: Any, context: Any) -> Any:
        await self._check(context)
        for item in request.actuate_requests:
            await self._actuate(item, context)
        await self.broker._notify()
        return val.BatchActuateResponse()

    async def _actuate(self, request: Any, context: Any) -> None:
        path = await self._path(request.signal_id, context)
        if self.broker.signals[path].entry != "actuator":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{path} is not an actuator")
        await self._typed(path, request.value, context)
        if not self.broker.obey:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"no provider for {path}")
        value = decode(request.value)
        if value is not None:
            self.broker.actuations.append((path, value))
        self.broker._store(path, types.Datapoint(value=request.value))

    async def Subscribe(self, request: Any, context: Any) -> AsyncIterator[Any]:
        await self._check(context)
        for path in request.signal_paths:
            if path not in self.broker.signals:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no such signal: {path}")
        subscriber = _Subscriber(request.signal_paths)
        for path in subscriber.paths:
            if path in self.broker._points:
                subscriber.offer(path, self.broker._points[path])
        self.broker._subscribers.append(subscriber)
        await self.broker._notify()
        try:
            while True:
                await subscriber.wake.wait()
                subscriber.wake.clear()
                response = val.SubscribeResponse()
                for path, point in subscriber.pending.items():
                    response.entries[path].CopyFrom(point)
                subscriber.pending.clear()
                yield response
        finally:
            if subscriber in self.broker._subscribers:
                self.broker._subscribers.remove(subscriber)

    async def GetServerInfo(self, request: Any, context: Any) -> Any:
        return val.GetServerInfoResponse(name="hearth-fake-databroker", version="0.1")
