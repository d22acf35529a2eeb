"""The miIO adapter: drives MIoT devices on the LAN and reports their state through the state store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from hearth.adapters.miio._client import MiioClient, Push
from hearth.adapters.miio._codes import DeviceRefused, DeviceUnreachable, describe, is_success
from hearth.adapters.miio._miot import MiotMapping, from_vendor, to_vendor, vendor_spec
from hearth.adapters.miio._packet import PORT
from hearth.core import Bus, Clock, Command, DeviceEvent, StateStore
from hearth.errors import AdapterError, HearthError, SpecError
from hearth.model import Device

log = logging.getLogger(__name__)

CAUSE = "miio"
_CHUNK = 15  # devices answer at most ~16 properties per request


@dataclass(frozen=True, slots=True)
class MiioBinding:
    """A device's `binding:` in the home file: `{host, token, port?, did?, model?, spec?}`."""

    host: str
    token: str
    port: int = PORT
    did: int | None = None
    model: str | None = None
    spec: str | None = None

    @classmethod
    def parse(cls, device: Device) -> MiioBinding:
        """Validate a device's binding; raises AdapterError naming the device and the field."""
        raw: Mapping[str, Any] = device.binding
        unknown = set(raw) - {"host", "token", "port", "did", "model", "spec"}
        if unknown:
            raise AdapterError(f"{device.id}: miio binding has unknown keys {sorted(unknown)}")
        host, token = raw.get("host"), raw.get("token")
        if not isinstance(host, str) or not host:
            raise AdapterError(f"{device.id}: miio binding needs `host` (the device's IP address)")
        if not isinstance(token, str) or len(token) != 32:
            raise AdapterError(f"{device.id}: miio binding needs `token` (32 hex digits)")
        try:
            bytes.fromhex(token)
            port, did = int(raw.get("port", PORT)), raw.get("did")
            did = int(did) if did is not None else None
        except (TypeError, ValueError):
            raise AdapterError(f"{device.id}: miio binding: token must be hex, port and did numbers") from None
        spec = raw.get("spec")
        model = raw.get("model")
        return cls(host, token, port, did, str(model) if model else None, str(spec) if spec else None)


class _Link:
    """One bound device: its client, its spec mapping and whether it currently answers."""

    def __init__(self, device: Device, binding: MiioBinding, mapping: MiotMapping, client: MiioClient) -> None:
        self.device = device
        self.binding = binding
        self.mapping = mapping
        self.client = client
        self.available = True


class MiioAdapter:
    """Adapter `miio`: polls bound devices every `poll_interval` seconds and applies their pushes at once."""

    name = "miio"

    def __init__(
        self,
        devices: Iterable[Device],
        state: StateStore,
        clock: Clock,
        bus: Bus | None = None,
        *,
        poll_interval: float = 30.0,
        timeout: float = 2.0,
        retries: int = 2,
        cache_dir: Path | None = None,
    ) -> None:
        self._state = state
        self._clock = clock
        self._bus = bus
        self.poll_interval = poll_interval
        self._links: dict[str, _Link] = {}
        self._stack = AsyncExitStack()
        for device in devices:
            binding = MiioBinding.parse(device)
            try:
                vendor = vendor_spec(device.binding, device.spec, cache_dir)
            except SpecError as exc:
                raise AdapterError(f"{device.id}: {exc}") from None
            mapping = MiotMapping(device.spec, vendor)
            if mapping.missing:
                log.info("miio %s: not in the device's MIoT spec, left alone: %s", device.id,
                         ", ".join(mapping.missing))
            client = MiioClient(binding.host, binding.token, port=binding.port, did=binding.did, timeout=timeout,
                                retries=retries)
            self._links[device.id] = _Link(device, binding, mapping, client)

    async def __aenter__(self) -> MiioAdapter:
        for link in self._links.values():
            await self._stack.enter_async_context(link.client)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    @property
    def devices(self) -> list[str]:
        """Ids of the devices this adapter drives."""
        return list(self._links)

    def available(self, device_id: str) -> bool:
        """Whether the device answered the last time it was asked."""
        return self._link(device_id).available

    async def run(self) -> None:
        """Poll every device and consume its pushes until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            for link in self._links.values():
                tasks.create_task(self._poll_loop(link), name=f"miio-poll-{link.device.id}")
                tasks.create_task(self._push_loop(link), name=f"miio-push-{link.device.id}")

    async def poll(self, device_id: str) -> int:
        """Read every readable mapped property once and apply it; returns how many values were read."""
        link = self._link(device_id)
        addrs = link.mapping.readable()
        count = 0
        try:
            for start in range(0, len(addrs), _CHUNK):
                chunk = addrs[start:start + _CHUNK]
                results = await link.client.get_properties((a.siid, a.piid) for a in chunk)
                for res in results:
                    addr = link.mapping.by_iid.get((res.siid, res.piid))
                    if addr is None or not is_success(res.code):
                        if addr is not None:
                            log.debug("miio %s: %s.%s: %s", device_id, addr.service, addr.name, describe(res.code))
                        continue
                    count += self._apply(link, addr.service, addr.name, res.value, addr)
        except DeviceUnreachable as exc:
            self._mark(link, False, str(exc))
            return 0
        self._mark(link, True)
        return count

    async def execute(self, command: Command, device: Device) -> None:
        """Carry a validated command to the device; raises AdapterError with a clear reason on failure."""
        link = self._link(device.id)
        try:
            if command.property is not None:
                await self._write(link, command)
            else:
                await self._act(link, command)
        except DeviceUnreachable as exc:
            self._mark(link, False, str(exc))
            raise AdapterError(f"{device.name} is unreachable ({exc})") from None
        except DeviceRefused as exc:
            raise AdapterError(f"{device.name}: {exc}") from None
        self._mark(link, True)

    async def _write(self, link: _Link, command: Command) -> None:
        assert command.property is not None
        addr = link.mapping.property(command.service, command.property)
        value = to_vendor(addr, command.value)
        (result,) = await link.client.set_properties([(addr.siid, addr.piid, value)])
        if not is_success(result.code):
            raise DeviceRefused(f"{command.service}.{command.property}: {describe(result.code)}", result.code)
        if result.code == 0:
            # Done and confirmed: record it now; a later push or poll would only repeat it.
            self._state.apply(link.device.id, command.service, command.property, command.value, cause=command.id)

    async def _act(self, link: _Link, command: Command) -> None:
        addr = link.mapping.action(command.service, str(command.action))
        inputs = [(p.piid, to_vendor(p, command.args[name])) for name, p in addr.inputs]
        await link.client.action(addr.siid, addr.aiid, inputs)

    async def _poll_loop(self, link: _Link) -> None:
        while True:
            await self.poll(link.device.id)
            await self._clock.sleep(self.poll_interval)

    async def _push_loop(self, link: _Link) -> None:
        async for push in link.client.pushes():
            self.handle_push(link.device.id, push)

    def handle_push(self, device_id: str, push: Push) -> None:
        """Apply a `properties_changed` or publish an `event_occured`; bad entries are logged and skipped."""
        link = self._link(device_id)
        self._mark(link, True)
        if push.method == "properties_changed":
            for item in push.params if isinstance(push.params, list) else ():
                addr = link.mapping.by_iid.get(_iids(item, "piid"))
                if addr is None:
                    log.debug("miio %s: push for unmapped property %r", device_id, item)
                    continue
                self._apply(link, addr.service, addr.name, item.get("value"), addr)
        elif push.method == "event_occured":
            self._event(link, push.params)

    def _event(self, link: _Link, params: Any) -> None:
        params = params[0] if isinstance(params, list) and params else params
        if not isinstance(params, dict):
            log.warning("miio %s: malformed event %r", link.device.id, params)
            return
        ev = link.mapping.events.get(_iids(params, "eiid"))
        if ev is None or self._bus is None:
            return
        args: dict[str, Any] = {}
        for item in params.get("arguments") or ():
            arg = ev.arguments.get(int(item.get("piid", -1))) if isinstance(item, dict) else None
            if arg is not None:
                try:
                    args[arg.name] = from_vendor(arg, item.get("value"))
                except SpecError as exc:
                    log.warning("miio %s: event %s argument: %s", link.device.id, ev.name, exc)
        self._bus.publish(DeviceEvent(self._clock.now(), link.device.id, ev.service, ev.name, args))

    def _apply(self, link: _Link, service: str, name: str, raw: Any, addr: Any) -> int:
        try:
            value = from_vendor(addr, raw)
        except HearthError as exc:
            log.warning("miio %s: %s.%s: device sent %r: %s", link.device.id, service, name, raw, exc)
            return 0
        self._state.apply(link.device.id, service, name, value, cause=CAUSE)
        return 1

    def _mark(self, link: _Link, available: bool, reason: str = "") -> None:
        if link.available == available:
            return
        link.available = available
        if available:
            log.info("miio %s: reachable again", link.device.id)
        else:
            log.warning("miio %s: unreachable: %s", link.device.id, reason)

    def _link(self, device_id: str) -> _Link:
        try:
            return self._links[device_id]
        except KeyError:
            raise AdapterError(f"device {device_id!r} is not bound to the miio adapter") from None


def _iids(item: Any, second: str) -> tuple[int, int]:
    try:
        return int(item["siid"]), int(item[second])
    except (KeyError, TypeError, ValueError):
        return (-1, -1)
