"""MQTT: a resilient broker connection, Home Assistant discovery and zigbee2mqtt in, Hearth's own devices out."""

from hearth.adapters.mqtt._abbreviations import CONFIG_KEYS, DiscoveryTopic, expand_config, parse_topic
from hearth.adapters.mqtt._adapter import MqttAdapter
from hearth.adapters.mqtt._bench import bench_mqtt_ingest
from hearth.adapters.mqtt._broker import LocalMosquitto
from hearth.adapters.mqtt._components import build_entity
from hearth.adapters.mqtt._connection import MqttConnection, MqttSettings, matches
from hearth.adapters.mqtt._entity import DeviceInfo, DiscoveryError, EntityPlan, Outbound, PayloadError
from hearth.adapters.mqtt._publisher import MQTT_ACTOR, MqttPublisher, discovery_configs
from hearth.adapters.mqtt._registry import DiscoveredDevices
from hearth.adapters.mqtt._settings import settings_from_url
from hearth.adapters.mqtt._template import Template, TemplateError
from hearth.adapters.mqtt._topics import TopicBridge, TopicSource
from hearth.adapters.mqtt._z2m import plans_for

__all__ = [
    "CONFIG_KEYS",
    "MQTT_ACTOR",
    "DeviceInfo",
    "DiscoveredDevices",
    "DiscoveryError",
    "DiscoveryTopic",
    "EntityPlan",
    "LocalMosquitto",
    "MqttAdapter",
    "MqttConnection",
    "MqttPublisher",
    "MqttSettings",
    "Outbound",
    "PayloadError",
    "Template",
    "TemplateError",
    "TopicBridge",
    "TopicSource",
    "bench_mqtt_ingest",
    "build_entity",
    "discovery_configs",
    "expand_config",
    "matches",
    "parse_topic",
    "plans_for",
    "settings_from_url",
]
