"""The MQTT adapter: Home Assistant discovery and zigbee2mqtt in, commands out on the devices' own topics."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from hearth.adapters.mqtt._abbreviations import COMPONENTS, expand_config, parse_topic
from hearth.adapters.mqtt._components import build_entity
from hearth.adapters.mqtt._connection import MqttConnection, Remove
from hearth.adapters.mqtt._entity import DiscoveryError, Outbound, as_json
from hearth.adapters.mqtt._registry import DiscoveredDevices, Listener
from hearth.adapters.mqtt._z2m import plans_for
from hearth.core import Bus, Clock, Command, StateStore
from hearth.errors import AdapterError
from hearth.model import Device

log = logging.getLogger(__name__)

ORIGIN = "Hearth"  # configs Hearth publishes itself carry this origin and are not ingested back


class MqttAdapter:
    """Adapter `mqtt`: discovers devices (HA discovery, zigbee2mqtt) and sends their commands with QoS 1.

    Discovered devices are not in the home file; they live in `devices` and `listen()` reports changes.
    """

    name = "mqtt"

    def __init__(
        self,
        connection: MqttConnection,
        state: StateStore,
        clock: Clock,
        bus: Bus | None = None,
        *,
        discovery_prefix: str | None = "homeassistant",
        z2m_base: str | None = "zigbee2mqtt",
    ) -> None:
        self._conn = connection
        self._clock = clock
        self._state = state
        self.discovery_prefix = discovery_prefix
        self.z2m_base = z2m_base
        self.registry = DiscoveredDevices(connection, state, clock, bus)

    @property
    def devices(self) -> Mapping[str, Device]:
        """Every discovered device by id."""
        return self.registry.devices

    def listen(self, listener: Listener) -> Remove:
        """Be told (with all discovered devices) whenever one appears, changes or goes."""
        return self.registry.listen(listener)

    def start(self) -> Remove:
        """Subscribe to discovery and zigbee2mqtt topics; returns the undo that also drops every entity."""
        removes: list[Remove] = []
        if self.discovery_prefix:
            removes.append(self._conn.subscribe(f"{self.discovery_prefix}/#", self._on_discovery))
        if self.z2m_base:
            removes.append(self._conn.subscribe(f"{self.z2m_base}/bridge/devices", self._on_z2m_devices))

        def stop() -> None:
            for remove in removes:
                remove()
            for key in self.registry.entity_keys():
                self.registry.remove(key)

        return stop

    async def execute(self, command: Command, device: Device) -> None:
        """Publish the command on the entity's command topic (QoS 1; queued while the broker is away)."""
        if device.id not in self.registry.devices:
            raise AdapterError(f"{device.name} is not a discovered MQTT device")
        if self.registry.available(device.id) is False:
            raise AdapterError(f"{device.name} is offline (its availability topic says so)")
        plan = self.registry.plan(device.id, command.service)
        messages: list[Outbound]
        if command.property is not None:
            writer = plan.writers.get(command.property)
            if writer is None:
                raise AdapterError(f"{device.name}: {command.service}.{command.property} has no command topic")
            messages = writer(command.value)
        else:
            caller = plan.actions.get(str(command.action))
            if caller is None:
                raise AdapterError(f"{device.name}: {command.service}.{command.action} has no command topic")
            messages = caller(command.args)
        for message in messages:
            self._conn.publish(message.topic, message.payload, qos=max(1, plan.qos), retain=message.retain)
        if command.property is not None and not plan.service.properties[command.property].readable:
            # No state topic to confirm it (optimistic in Home Assistant's words): record what was sent.
            self._state.apply(device.id, command.service, command.property, command.value, cause=command.id)

    def _on_discovery(self, topic: str, payload: bytes, retained: bool) -> None:
        parsed = parse_topic(topic)
        if parsed is None:
            return
        if parsed.component == "device":
            self._on_device_discovery(parsed.key, payload)
            return
        if parsed.component not in COMPONENTS:
            log.debug("mqtt discovery %s: component %r is not supported", topic, parsed.component)
            return
        if not payload.strip():
            self.registry.remove(parsed.key)
            return
        config = self._config(topic, payload)
        if config is not None:
            self._add(parsed.component, parsed.key, config, topic)

    def _on_device_discovery(self, key: str, payload: bytes) -> None:
        prefix = f"{key}/"
        if not payload.strip():
            for old in self.registry.entity_keys(prefix):
                self.registry.remove(old)
            return
        config = self._config(key, payload)
        if config is None:
            return
        components = config.pop("components", None)
        if not isinstance(components, Mapping):
            log.warning("mqtt discovery %s: device config has no components; ignored", key)
            return
        shared = {k: v for k, v in config.items() if k not in ("platform",)}
        for comp_id, raw in components.items():
            entity_key = f"{prefix}{comp_id}"
            comp = expand_config(raw) if isinstance(raw, Mapping) else {}
            platform = comp.get("platform")
            if set(comp) <= {"platform"}:
                self.registry.remove(entity_key)  # a component reduced to its platform is being removed
                continue
            if platform not in COMPONENTS:
                log.warning("mqtt discovery %s: component %s has unsupported platform %r", key, comp_id, platform)
                continue
            self._add(str(platform), entity_key, {**shared, **comp}, key)

    def _config(self, topic: str, payload: bytes) -> dict[str, Any] | None:
        try:
            raw = as_json(payload)
        except AdapterError as exc:
            log.warning("mqtt discovery %s: %s; ignored", topic, exc)
            return None
        if not isinstance(raw, Mapping):
            log.warning("mqtt discovery %s: payload is not a JSON object; ignored", topic)
            return None
        config = expand_config(raw)
        origin = config.get("origin")
        if isinstance(origin, Mapping) and origin.get("name") == ORIGIN:
            return None
        return config

    def _add(self, component: str, key: str, config: Mapping[str, Any], topic: str) -> None:
        try:
            plan = build_entity(component, key, config)
        except DiscoveryError as exc:
            log.warning("mqtt discovery %s: %s; ignored", topic, exc)
            return
        self.registry.add(plan)

    def _on_z2m_devices(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            devices = as_json(payload)
            if not isinstance(devices, list):
                raise AdapterError("expected a JSON list of devices")
        except AdapterError as exc:
            log.warning("mqtt %s: %s; ignored", topic, exc)
            return
        base = self.z2m_base or "zigbee2mqtt"
        fresh = {}
        for device in devices:
            if not isinstance(device, Mapping):
                continue
            try:
                for plan in plans_for(base, device):
                    fresh[plan.key] = plan
            except (AdapterError, ValueError, TypeError) as exc:
                log.warning("mqtt %s: device %r skipped: %s", topic, device.get("friendly_name"), exc)
        for old in self.registry.entity_keys("z2m/"):
            if old not in fresh:
                self.registry.remove(old)
        for plan in fresh.values():
            self.registry.add(plan)
