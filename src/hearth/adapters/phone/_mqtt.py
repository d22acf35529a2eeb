"""OwnTracks in MQTT mode: `owntracks/<user>/<device>` (and its `/event`, `/waypoints` topics) to the tracker."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Protocol

from hearth.adapters.phone._payload import PayloadError, owntracks_identity, parse_owntracks
from hearth.adapters.phone._tracker import PhoneTracker

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes, bool], None]
Remove = Callable[[], None]
SOURCE = "owntracks"
_USED = frozenset({"", "event", "waypoint", "waypoints"})  # topic suffixes carrying messages Hearth reads


class Subscriber(Protocol):
    """The part of an MQTT connection the listener needs (`hearth.adapters.mqtt.MqttConnection` has it)."""

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> Remove:
        """Call `handler(topic, payload, retained)` for matching messages; returns the undo."""
        ...


class OwnTracksListener:
    """Feeds OwnTracks messages from the broker to the tracker; malformed ones are logged with their topic."""

    def __init__(self, connection: Subscriber, tracker: PhoneTracker, prefix: str = "owntracks") -> None:
        self._conn = connection
        self.tracker = tracker
        self.prefix = prefix.strip("/") or "owntracks"

    def start(self) -> Remove:
        """Subscribe to every phone's topics; returns the undo."""
        return self._conn.subscribe(f"{self.prefix}/#", self.deliver, qos=1)

    def deliver(self, topic: str, payload: bytes, retained: bool = False) -> None:
        """Handle one message as if it came from the broker."""
        who = owntracks_identity(topic, self.prefix)
        suffix = "/".join(topic.split("/")[3:])
        if who is None or suffix not in _USED or not payload.strip():
            return
        device = self.tracker.by_owntracks.get(who)
        if device is None:
            log.debug("owntracks %s: no phone is bound to %r", topic, who)
            return
        try:
            report = self.tracker.handle(device, parse_owntracks(json.loads(payload)), SOURCE)
        except (ValueError, PayloadError) as exc:  # JSON errors are ValueErrors
            log.warning("owntracks %s: dropped a bad message: %s", topic, exc)
            return
        if report.status == "stale":
            log.debug("owntracks %s: stale fix ignored (%s)", topic, report.reason)
