"""Start phone tracking inside a hub when the home binds a phone to `adapter: phone`.

HTTP (OwnTracks HTTP mode and the location webhook) is served by the API under `/api/phone/…`; OwnTracks
MQTT mode listens on the MQTT subsystem's connection (`HEARTH_MQTT_URL`) under `HEARTH_OWNTRACKS_TOPIC`
(default `owntracks`).
"""

from __future__ import annotations

import os
from contextlib import AsyncExitStack

from hearth.adapters.phone._mqtt import OwnTracksListener
from hearth.adapters.phone._tracker import ADAPTER, PhoneTracker
from hearth.hub import Hub, HubConfig, register_subsystem


@register_subsystem(36)
def start_phones(hub: Hub, config: HubConfig, stack: AsyncExitStack) -> None:
    """Register the tracker as the `phone` adapter and as a service; listen to OwnTracks over MQTT if it runs."""
    if not any(d.adapter == ADAPTER for d in hub.home.devices.values()):
        return
    tracker = PhoneTracker(hub.home, hub.state, hub.clock)
    hub.commands.add_adapter(tracker)
    hub.services["phone"] = tracker
    connection = hub.services.get("mqtt_connection")
    if connection is not None and tracker.by_owntracks:
        listener = OwnTracksListener(connection, tracker, os.environ.get("HEARTH_OWNTRACKS_TOPIC", "owntracks"))
        stack.callback(listener.start())
        hub.services["owntracks_mqtt"] = listener
