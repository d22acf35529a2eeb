"""Broker settings from a URL (`mqtt://user:pass@host:1883`, `mqtts://…` for TLS)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from hearth.adapters.mqtt._connection import MqttSettings
from hearth.errors import AdapterError


def settings_from_url(url: str, *, client_id: str | None = None, status_topic: str | None = None,
                      ca_file: str | None = None) -> MqttSettings:
    """Parse a broker URL; raises AdapterError saying what is wrong (the password is never echoed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise AdapterError("MQTT broker URL must start with mqtt:// or mqtts://")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise AdapterError("MQTT broker URL has a bad port") from None
    if not parts.hostname:
        raise AdapterError("MQTT broker URL has no host")
    return MqttSettings(
        host=parts.hostname, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls, ca_file=ca_file, client_id=client_id, status_topic=status_topic,
    )
