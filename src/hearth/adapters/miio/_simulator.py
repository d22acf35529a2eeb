"""A miIO device that speaks the real LAN protocol on 127.0.0.1, driven by a MIoT spec."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from hearth.adapters.miio import _codes as codes
from hearth.adapters.miio._miot import load_miot_file
from hearth.adapters.miio._packet import Header, PacketError, Token, decode, dump_json, encode, hello_reply, load_json
from hearth.errors import SpecError
from hearth.model import Format, PropertySpec, Spec, spec_from_miot

log = logging.getLogger(__name__)

Address = tuple[str, int]
# (simulator, siid, aiid, inputs by piid) -> output values by piid
ActionHook = Callable[["MiioDeviceSimulator", int, int, dict[int, Any]], Mapping[int, Any] | None]


def _neutral(prop: PropertySpec) -> Any:
    if prop.choices:
        return prop.choices[0].value
    if prop.format is Format.BOOL:
        return False
    if prop.format is Format.STRING:
        return ""
    low = prop.range.min if prop.range else 0
    return int(low) if prop.format is Format.INT else float(low)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, sim: MiioDeviceSimulator) -> None:
        self._sim = sim

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._sim._received(data, addr)


class MiioDeviceSimulator:
    """A simulated miIO device: answers hello, get/set_properties and actions, pushes `properties_changed`.

    `async with MiioDeviceSimulator(spec) as sim:` binds a free UDP port on 127.0.0.1; point a client at
    `sim.host, sim.port` with `sim.token_hex`. Pushes go to every client that has talked to it and are resent
    up to `push_tries` times, `push_interval` seconds apart, until acknowledged.
    """

    def __init__(
        self,
        spec: Spec | Mapping[str, Any] | str | Path,
        *,
        token: str | None = None,
        did: int = 1234,
        model: str = "hearth.sim.v1",
        host: str = "127.0.0.1",
        port: int = 0,
        values: Mapping[str, Any] | None = None,
        stamp: int = 0x5F000000,
        push_tries: int = 3,
        push_interval: float = 0.5,
        push_copies: int = 1,
        on_action: ActionHook | None = None,
    ) -> None:
        self.spec = _as_spec(spec)
        self.token_hex = token or secrets.token_hex(16)
        self.token = Token.from_hex(self.token_hex)
        self.did = did
        self.model = model
        self.host = host
        self.port = port
        self.online = True
        self.requests = 0
        self.push_tries = push_tries
        self.push_interval = push_interval
        self.push_copies = push_copies
        self.on_action = on_action
        self.values: dict[tuple[int, int], Any] = {}
        self._props: dict[tuple[int, int], PropertySpec] = {}
        self._names: dict[str, tuple[int, int]] = {}
        for svc in self.spec.services.values():
            for prop in svc.properties.values():
                if svc.iid is None or prop.iid is None:
                    raise SpecError(f"simulator needs a MIoT spec with iids ({svc.name}.{prop.name} has none)")
                key = (svc.iid, prop.iid)
                self._props[key] = prop
                self._names[f"{svc.name}.{prop.name}"] = key
                self.values[key] = _neutral(prop)
        for name, value in (values or {}).items():
            self.set(name, value, push=False)
        self._stamp0 = stamp
        self._t0 = 0.0
        self._drop = 0
        self._clients: dict[Address, None] = {}
        self._push_ids = itertools.count(1000)
        self._acks: dict[int, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> MiioDeviceSimulator:
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), local_addr=(self.host, self.port))
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def address(self, name: str) -> tuple[int, int]:
        """(siid, piid) of a `service.property` name."""
        try:
            return self._names[name]
        except KeyError:
            raise SpecError(f"simulated device has no property {name!r}") from None

    def get(self, name: str) -> Any:
        """The device-side (vendor) value of `service.property`."""
        return self.values[self.address(name)]

    def set(self, name: str, value: Any, *, push: bool = True) -> None:
        """Change a value as the device itself would (value-lists accept a description); push it if it changed."""
        key = self.address(name)
        prop = self._props[key]
        vendor = prop.choice(value).value if prop.choices else value
        changed = self.values[key] != vendor
        self.values[key] = vendor
        if push and changed and self._transport is not None:
            self.push("properties_changed",
                      [{"did": str(self.did), "siid": key[0], "piid": key[1], "value": vendor}])

    def drop_next(self, count: int) -> None:
        """Ignore the next `count` requests (to exercise timeouts and retries)."""
        self._drop = count

    def push(self, method: str, params: Any) -> int:
        """Send a push to every known client, resending until acknowledged; returns its message id."""
        msg_id = next(self._push_ids)
        self._ack_event(msg_id)
        if self._clients and self._transport is not None:
            task = asyncio.get_running_loop().create_task(self._deliver(msg_id, method, params))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return msg_id

    def emit_event(self, siid: int, eiid: int, arguments: Mapping[int, Any]) -> int:
        """Push an `event_occured` with (piid → value) arguments."""
        args = [{"piid": p, "value": v} for p, v in arguments.items()]
        return self.push("event_occured", {"did": str(self.did), "siid": siid, "eiid": eiid, "arguments": args})

    async def wait_acknowledged(self, msg_id: int) -> None:
        """Wait until a client has acknowledged push `msg_id` (bound it with `asyncio.timeout`)."""
        await self._ack_event(msg_id).wait()

    def _ack_event(self, msg_id: int) -> asyncio.Event:
        event = self._acks.get(msg_id)
        if event is None:
            event = self._acks[msg_id] = asyncio.Event()
            while len(self._acks) > 256:  # keep the last few pushes only
                del self._acks[next(iter(self._acks))]
        return event

    async def _deliver(self, msg_id: int, method: str, params: Any) -> None:
        acked = self._ack_event(msg_id)
        packet = encode(dump_json({"id": msg_id, "method": method, "params": params}), self.token, self.did,
                        self._stamp())
        for _ in range(self.push_tries):
            for addr in list(self._clients):
                for _copy in range(self.push_copies):
                    self._sendto(packet, addr)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.push_interval):
                    await acked.wait()
                    return
        log.debug("miio simulator: push %d was never acknowledged", msg_id)

    def _stamp(self) -> int:
        return self._stamp0 + int(asyncio.get_running_loop().time() - self._t0)

    def _sendto(self, data: bytes, addr: Address) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)

    def _received(self, data: bytes, addr: Address) -> None:
        if not self.online:
            return
        try:
            header, payload = decode(data, self.token)
        except PacketError as exc:
            log.debug("miio simulator: dropped a packet from %s: %s", addr, exc)
            return
        if header.is_hello:
            self._sendto(hello_reply(self.did, self._stamp()), addr)
            return
        self._clients[addr] = None
        try:
            message = load_json(payload)
        except PacketError:
            return
        if "method" not in message:
            ack = self._acks.get(message.get("id"))  # type: ignore[arg-type]
            if ack is not None:
                ack.set()
            return
        if self._drop > 0:
            self._drop -= 1
            return
        self.requests += 1
        reply = self._answer(message, header)
        self._sendto(encode(dump_json(reply), self.token, self.did, self._stamp()), addr)

    def _answer(self, message: dict[str, Any], header: Header) -> dict[str, Any]:
        msg_id, method, params = message.get("id"), message.get("method"), message.get("params")
        try:
            if method == "get_properties":
                return {"id": msg_id, "result": [self._get(p) for p in _entries(params)]}
            if method == "set_properties":
                return {"id": msg_id, "result": [self._set(p) for p in _entries(params)]}
            if method == "action":
                if not isinstance(params, Mapping):
                    raise TypeError("action params must be an object")
                return {"id": msg_id, "result": self._action(params)}
            if method == "miIO.info":
                return {"id": msg_id, "result": {"model": self.model, "did": str(self.did), "fw_ver": "1.0.0"}}
        except (KeyError, TypeError, ValueError) as exc:
            return {"id": msg_id, "error": {"code": -32602, "message": f"invalid params: {exc}"}}
        return {"id": msg_id, "error": {"code": -32601, "message": "Method not found."}}

    def _get(self, p: Mapping[str, Any]) -> dict[str, Any]:
        key = (int(p["siid"]), int(p["piid"]))
        base = {"did": p.get("did", str(self.did)), "siid": key[0], "piid": key[1]}
        prop = self._props.get(key)
        if prop is None:
            return {**base, "code": codes.NOT_FOUND}
        if not prop.readable:
            return {**base, "code": codes.NOT_READABLE}
        return {**base, "code": codes.OK, "value": self.values[key]}

    def _set(self, p: Mapping[str, Any]) -> dict[str, Any]:
        key = (int(p["siid"]), int(p["piid"]))
        base = {"did": p.get("did", str(self.did)), "siid": key[0], "piid": key[1]}
        prop = self._props.get(key)
        if prop is None:
            return {**base, "code": codes.NOT_FOUND}
        if not prop.writable:
            return {**base, "code": codes.NOT_WRITABLE}
        value = p.get("value")
        try:
            if prop.choices:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SpecError("value-list takes a number")
                prop.choice(value)
            else:
                value = prop.validate(value)
        except SpecError:
            return {**base, "code": codes.BAD_VALUE}
        changed = self.values[key] != value
        self.values[key] = value
        if changed and prop.access >= {"notify"}:
            self.push("properties_changed", [{"did": str(self.did), "siid": key[0], "piid": key[1], "value": value}])
        return {**base, "code": codes.OK}

    def _action(self, p: Mapping[str, Any]) -> dict[str, Any]:
        siid, aiid = int(p["siid"]), int(p["aiid"])
        base = {"did": p.get("did", str(self.did)), "siid": siid, "aiid": aiid}
        svc = next((s for s in self.spec.services.values() if s.iid == siid), None)
        act = next((a for a in svc.actions.values() if a.iid == aiid), None) if svc else None
        if svc is None or act is None:
            return {**base, "code": codes.NOT_FOUND}
        inputs = {int(i["piid"]): i.get("value") for i in p.get("in") or ()}
        wanted = {svc.properties[n].iid for n in act.inputs}
        if set(inputs) != wanted:
            return {**base, "code": codes.BAD_ACTION_ARGS}
        out = self.on_action(self, siid, aiid, inputs) if self.on_action else None
        return {**base, "code": codes.OK, "out": [{"piid": k, "value": v} for k, v in (out or {}).items()]}


def _entries(params: Any) -> list[Mapping[str, Any]]:
    if not isinstance(params, list) or not all(isinstance(p, Mapping) for p in params):
        raise TypeError("params must be a list of objects")
    return params


def _as_spec(spec: Spec | Mapping[str, Any] | str | Path) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str | Path):
        return load_miot_file(spec)
    return spec_from_miot(spec)
