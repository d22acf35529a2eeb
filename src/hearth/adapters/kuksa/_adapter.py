"""The Kuksa adapter: a car's VSS signals from a Kuksa databroker (`kuksa.val.v2`), its actuators driven there."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import grpc  # type: ignore[import-untyped]  # grpcio ships no type information

from hearth.adapters.kuksa._codec import datatype_for, datatype_name, decode, encode
from hearth.adapters.kuksa._proto import types, val, val_grpc
from hearth.core import Clock, Command, StateStore
from hearth.errors import AdapterError, SpecError
from hearth.model import VEHICLE_SERVICE, Device, PropertySpec

log = logging.getLogger(__name__)

CAUSE = "kuksa"
DEFAULT_PORT = 55555
VIN = "Vehicle.VehicleIdentification.VIN"
_KEYS = frozenset({"url", "token", "token_env", "vin", "ca_file"})


@dataclass(frozen=True, slots=True)
class KuksaBinding:
    """A car's `binding:`: `{url: grpc://host:55555 (grpcs:// for TLS), token?, token_env?, vin?, ca_file?}`."""

    target: str
    tls: bool = False
    token: str | None = field(default=None, repr=False)
    vin: str | None = None
    root_certificates: bytes | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, device: Device) -> KuksaBinding:
        """Validate a device's binding; raises AdapterError naming the device and the field."""
        raw: Mapping[str, Any] = device.binding
        unknown = set(raw) - _KEYS
        if unknown:
            known = ", ".join(sorted(_KEYS))
            raise AdapterError(f"{device.id}: kuksa binding has unknown keys {sorted(unknown)} (known: {known})")
        if VEHICLE_SERVICE not in device.spec.services:
            raise AdapterError(f"{device.id}: the kuksa adapter drives cars (a `{VEHICLE_SERVICE}` service of signals)")
        parts = urlsplit(str(raw.get("url", f"grpc://127.0.0.1:{DEFAULT_PORT}")))
        if parts.scheme not in ("grpc", "grpcs") or not parts.hostname:
            raise AdapterError(f"{device.id}: kuksa binding url must look like grpc://host:{DEFAULT_PORT}")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise AdapterError(f"{device.id}: kuksa binding url has a bad port") from None
        token = raw.get("token")
        if token is None and raw.get("token_env"):
            token = os.environ.get(str(raw["token_env"]))
            if not token:
                raise AdapterError(f"{device.id}: kuksa binding: environment variable {raw['token_env']} is not set")
        certs = None
        if raw.get("ca_file"):
            try:
                with open(str(raw["ca_file"]), "rb") as handle:
                    certs = handle.read()
            except OSError as exc:
                raise AdapterError(f"{device.id}: kuksa binding: cannot read ca_file ({exc.strerror})") from None
        vin = raw.get("vin")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(f"{host}:{port}", parts.scheme == "grpcs", str(token) if token else None,
                   str(vin) if vin else None, certs)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...] | None:
        """gRPC call metadata: the bearer token when there is one."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else None

    def channel(self) -> Any:
        """A new `grpc.aio` channel to the databroker."""
        if self.tls:
            credentials = grpc.ssl_channel_credentials(root_certificates=self.root_certificates)
            return grpc.aio.secure_channel(self.target, credentials)
        return grpc.aio.insecure_channel(self.target)


class _Link:
    """One car: its binding, its signals, the live stub while connected and whether it is reachable."""

    def __init__(self, device: Device, binding: KuksaBinding) -> None:
        self.device = device
        self.binding = binding
        self.props: dict[str, PropertySpec] = dict(device.spec.services[VEHICLE_SERVICE].properties)
        self.datatypes: dict[str, str] = {}
        self.stub: Any = None
        self.available = False
        self.error = ""
        self.changed = asyncio.Event()


class KuksaAdapter:
    """Adapter `kuksa`: follows each bound car's signals and sends its commands as actuator target values.

    Every car gets its own connection, kept up with exponential backoff (`backoff_min` … `backoff_max`
    seconds of the injected clock); while it is down the car is unavailable and its commands fail at once.
    """

    name = "kuksa"

    def __init__(self, devices: Iterable[Device], state: StateStore, clock: Clock, *, backoff_min: float = 0.5,
                 backoff_max: float = 30.0, timeout: float = 5.0) -> None:
        if backoff_min <= 0 or backoff_max < backoff_min:
            raise AdapterError("kuksa: backoff must satisfy 0 < backoff_min <= backoff_max")
        self._state = state
        self._clock = clock
        self.backoff_min, self.backoff_max, self.timeout = backoff_min, backoff_max, timeout
        self._links = {d.id: _Link(d, KuksaBinding.parse(d)) for d in devices}

    @property
    def devices(self) -> list[str]:
        """Ids of the cars this adapter drives."""
        return list(self._links)

    def available(self, device_id: str) -> bool:
        """Whether the car's databroker is connected and its signals followed."""
        return self._link(device_id).available

    async def wait_available(self, device_id: str, available: bool = True) -> None:
        """Return once the car is (or is no longer) available: the readiness handshake."""
        link = self._link(device_id)
        while link.available != available:
            link.changed.clear()
            await link.changed.wait()

    def error(self, device_id: str) -> str:
        """Why the car was last unavailable ("" while it has never failed)."""
        return self._link(device_id).error

    async def wait_error(self, device_id: str) -> str:
        """Return the reason once the car has failed to connect or lost its connection."""
        link = self._link(device_id)
        while not link.error:
            link.changed.clear()
            await link.changed.wait()
        return link.error

    async def run(self) -> None:
        """Follow every car until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            for link in self._links.values():
                tasks.create_task(self._follow(link), name=f"kuksa-{link.device.id}")

    async def execute(self, command: Command, device: Device) -> None:
        """Send a property write as the actuator's target value; the car's reported value follows by itself."""
        link = self._link(device.id)
        if command.property is None or command.service != VEHICLE_SERVICE:
            raise AdapterError(f"{device.name}: a Kuksa car takes actuator values, not {command.target!r}")
        stub = link.stub
        if stub is None or not link.available:
            raise AdapterError(f"{device.name} is unreachable (Kuksa databroker at {link.binding.target})")
        path = command.property
        datatype = link.datatypes.get(path) or datatype_for(link.props[path])
        request = val.ActuateRequest(signal_id=types.SignalID(path=path), value=encode(command.value, datatype))
        try:
            await stub.Actuate(request, metadata=link.binding.metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise AdapterError(f"{device.name}: {path}: {_explain(exc)}") from None

    async def _follow(self, link: _Link) -> None:
        delay = self.backoff_min
        while True:
            try:
                await self._session(link)
                reason = "the databroker closed the stream"
            except grpc.aio.AioRpcError as exc:
                reason = _explain(exc)
            except AdapterError as exc:
                reason = str(exc)
            finally:
                link.stub = None
            if link.available:
                delay = self.backoff_min
            self._mark(link, False, reason)
            log.debug("kuksa %s: retrying in %.1fs", link.device.id, delay)
            await self._clock.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    async def _session(self, link: _Link) -> None:
        metadata = link.binding.metadata
        async with link.binding.channel() as channel:
            stub = val_grpc.VALStub(channel)
            paths = await self._known_paths(link, stub)
            await self._check_vin(link, stub)
            if paths:
                request = val.GetValuesRequest(signal_ids=[types.SignalID(path=p) for p in paths])
                response = await stub.GetValues(request, metadata=metadata, timeout=self.timeout)
                for path, point in zip(paths, response.data_points, strict=False):
                    self._apply(link, path, point)
            link.stub = stub
            self._mark(link, True)
            if not paths:
                await asyncio.Event().wait()  # nothing to follow; stay connected for commands
            stream = stub.Subscribe(val.SubscribeRequest(signal_paths=paths), metadata=metadata)
            async for update in stream:
                for path, point in update.entries.items():
                    self._apply(link, path, point)

    async def _known_paths(self, link: _Link, stub: Any) -> list[str]:
        """The car's signals the databroker has (their datatypes learnt on the way); all of them if it won't say."""
        try:
            response = await stub.ListMetadata(val.ListMetadataRequest(root="Vehicle"),
                                               metadata=link.binding.metadata, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.NOT_FOUND):
                return sorted(link.props)
            raise
        for meta in response.metadata:
            name = datatype_name(meta.data_type)
            if name is not None:
                link.datatypes[meta.path] = name
        missing = sorted(set(link.props) - set(link.datatypes))
        if missing:
            log.info("kuksa %s: the databroker lacks %d of the car's signals (e.g. %s); they stay as they are",
                     link.device.id, len(missing), missing[0])
        return sorted(set(link.props) & set(link.datatypes))

    async def _check_vin(self, link: _Link, stub: Any) -> None:
        expected = link.binding.vin
        if expected is None:
            return
        request = val.GetValueRequest(signal_id=types.SignalID(path=VIN))
        response = await stub.GetValue(request, metadata=link.binding.metadata, timeout=self.timeout)
        got = decode(response.data_point.value) if response.data_point.HasField("value") else None
        if got != expected:
            raise AdapterError(f"the databroker serves VIN {got!r}, not {expected!r}")

    def _apply(self, link: _Link, path: str, point: Any) -> None:
        prop = link.props.get(path)
        if prop is None or not point.HasField("value"):
            return
        raw = decode(point.value)
        if raw is None:
            return
        try:
            value = prop.validate(raw)
        except SpecError as exc:
            log.warning("kuksa %s: %s: dropped %r: %s", link.device.id, path, raw, exc)
            return
        self._state.apply(link.device.id, VEHICLE_SERVICE, path, value, cause=CAUSE)

    def _mark(self, link: _Link, available: bool, reason: str = "") -> None:
        if not available:
            link.error = reason
            link.changed.set()
        if link.available == available:
            return
        link.available = available
        link.changed.set()
        if available:
            log.info("kuksa %s: connected to %s", link.device.id, link.binding.target)
        else:
            log.warning("kuksa %s: unavailable: %s", link.device.id, reason)

    def _link(self, device_id: str) -> _Link:
        try:
            return self._links[device_id]
        except KeyError:
            raise AdapterError(f"device {device_id!r} is not bound to the kuksa adapter") from None


def _explain(exc: Any) -> str:
    code = exc.code()
    reasons = {
        grpc.StatusCode.UNAVAILABLE: "the databroker (or the car's provider for this signal) is unavailable",
        grpc.StatusCode.UNAUTHENTICATED: "the databroker refused the token",
        grpc.StatusCode.PERMISSION_DENIED: "the token does not allow this",
        grpc.StatusCode.NOT_FOUND: "the databroker has no such signal",
        grpc.StatusCode.INVALID_ARGUMENT: "the databroker refused the value",
        grpc.StatusCode.DEADLINE_EXCEEDED: "the databroker did not answer in time",
    }
    detail = exc.details() or ""
    reason = reasons.get(code, f"gRPC {getattr(code, 'name', code)}")
    return f"{reason} ({detail})" if detail else reason
