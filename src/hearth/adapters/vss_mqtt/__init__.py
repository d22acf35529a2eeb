"""Cars over MQTT in the VSS layout: one topic per signal path, JSON values, target values on `set/` topics."""

from hearth.adapters.vss_mqtt._adapter import ADAPTER, VssMqttAdapter, topics_for
from hearth.adapters.vss_mqtt._layout import VssPayloadError, VssTopics, decode_value, encode_value
from hearth.adapters.vss_mqtt._publisher import VssMqttPublisher

__all__ = [
    "ADAPTER",
    "VssMqttAdapter",
    "VssMqttPublisher",
    "VssPayloadError",
    "VssTopics",
    "decode_value",
    "encode_value",
    "topics_for",
]
