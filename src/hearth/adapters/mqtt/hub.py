"""Start MQTT inside a hub when `HEARTH_MQTT_URL` names a broker.

Environment: `HEARTH_MQTT_URL` (`mqtt://user:pass@host:1883`, `mqtts://` for TLS), `HEARTH_MQTT_CA_FILE`,
`HEARTH_MQTT_DISCOVERY` (prefix, default `homeassistant`; empty turns ingest off), `HEARTH_MQTT_Z2M`
(base topic, default `zigbee2mqtt`; empty turns it off), `HEARTH_MQTT_PUBLISH` (`0` turns publishing off),
`HEARTH_MQTT_HA_DISCOVERY` (`1` announces Hearth's devices to Home Assistant).
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

from hearth.adapters.mqtt._adapter import MqttAdapter
from hearth.adapters.mqtt._connection import MqttConnection
from hearth.adapters.mqtt._publisher import MqttPublisher
from hearth.adapters.mqtt._settings import settings_from_url
from hearth.adapters.mqtt._topics import TopicBridge
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(35)
def start_mqtt(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Connect, ingest discovery and zigbee2mqtt, and publish the home's devices."""
    url = os.environ.get("HEARTH_MQTT_URL")
    if not url:
        return
    settings = settings_from_url(url, client_id=f"hearth-{hub.home.id}", status_topic=f"hearth/{hub.home.id}/status",
                                 ca_file=os.environ.get("HEARTH_MQTT_CA_FILE") or None)
    connection = MqttConnection(settings)
    hub.services["mqtt_connection"] = connection  # shared with other subsystems (OwnTracks phones)
    adapter = MqttAdapter(connection, hub.state, hub.clock, hub.bus,
                          discovery_prefix=os.environ.get("HEARTH_MQTT_DISCOVERY", "homeassistant") or None,
                          z2m_base=os.environ.get("HEARTH_MQTT_Z2M", "zigbee2mqtt") or None)
    stack.callback(adapter.start())
    hub.commands.add_adapter(adapter)
    # Discovered devices join the command path, so people, rules, the copilot and agents can drive them.
    stack.callback(adapter.listen(lambda devices: hub.commands.set_discovered("mqtt", devices)))
    hub.services["mqtt"] = adapter
    engine = hub.services.get("automation")  # started before MQTT: rules' mqtt triggers hear their topics
    if engine is not None:
        stack.callback(TopicBridge(connection, hub.bus, hub.clock).follow(engine))
    if os.environ.get("HEARTH_MQTT_PUBLISH", "1") != "0":
        publisher = MqttPublisher(connection, hub.home, hub.state, hub.bus, hub.commands,
                                  ha_discovery=os.environ.get("HEARTH_MQTT_HA_DISCOVERY") == "1")
        stack.callback(publisher.start())
        hub.services["mqtt_publisher"] = publisher
        hub.spawn(publisher.run(), name="mqtt-commands")
    hub.spawn(connection.run(), name="mqtt")
