"""Phones and the people who carry them: OwnTracks (HTTP and MQTT) and a location webhook."""

from hearth.adapters.phone._mqtt import OwnTracksListener
from hearth.adapters.phone._payload import (
    Fix,
    Message,
    PayloadError,
    Region,
    Regions,
    Skipped,
    Transition,
    owntracks_identity,
    parse_owntracks,
    parse_webhook,
)
from hearth.adapters.phone._tracker import ADAPTER, PhoneBinding, PhoneTracker, Report

__all__ = [
    "ADAPTER",
    "Fix",
    "Message",
    "OwnTracksListener",
    "PayloadError",
    "PhoneBinding",
    "PhoneTracker",
    "Region",
    "Regions",
    "Report",
    "Skipped",
    "Transition",
    "owntracks_identity",
    "parse_owntracks",
    "parse_webhook",
]
