"""VSS over MQTT inside a hub, on the MQTT subsystem's connection (`HEARTH_MQTT_URL`).

Cars bound with `adapter: vss-mqtt` are read from their topics; `HEARTH_VSS_MQTT_PUBLISH` (comma-separated
car ids, e.g. `car`) publishes those cars — the twin's included — in the same layout under `vss/<id>`.
"""

from __future__ import annotations

import logging
import os
from contextlib import AsyncExitStack

from hearth.adapters.vss_mqtt._adapter import ADAPTER, VssMqttAdapter
from hearth.adapters.vss_mqtt._layout import VssTopics
from hearth.adapters.vss_mqtt._publisher import VssMqttPublisher
from hearth.errors import HearthError
from hearth.hub import Hub, HubConfig, register_subsystem
from hearth.model import VEHICLE_SERVICE

log = logging.getLogger(__name__)


@register_subsystem(37)
def start_vss_mqtt(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Follow bound cars and publish the chosen ones, when MQTT runs."""
    connection = hub.services.get("mqtt_connection")
    cars = [d for d in hub.home.devices.values() if d.adapter == ADAPTER]
    if connection is None:
        if cars:
            log.warning("%s uses adapter vss-mqtt, which needs HEARTH_MQTT_URL (an MQTT broker); not connected",
                        ", ".join(c.id for c in cars))
        return
    if cars:
        adapter = VssMqttAdapter(connection, cars, hub.state)
        stack.callback(adapter.start())
        hub.commands.add_adapter(adapter)
        hub.services["vss_mqtt"] = adapter
    for car in filter(None, (c.strip() for c in os.environ.get("HEARTH_VSS_MQTT_PUBLISH", "").split(","))):
        device = hub.home.devices.get(car)
        if device is None or VEHICLE_SERVICE not in device.spec.services:
            raise HearthError(f"HEARTH_VSS_MQTT_PUBLISH names {car!r}, which is not a car of this home")
        publisher = VssMqttPublisher(connection, hub.state, hub.bus, car, VssTopics(f"vss/{car}"))
        stack.callback(publisher.start())
