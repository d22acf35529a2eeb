"""The Xiaomi miIO / MIoT LAN protocol: packets, a client, a device simulator and the `miio` adapter."""

from hearth.adapters.miio._adapter import MiioAdapter, MiioBinding
from hearth.adapters.miio._bench import bench_miio
from hearth.adapters.miio._client import MiioClient, PropertyResult, Push
from hearth.adapters.miio._codes import DeviceRefused, DeviceUnreachable, describe
from hearth.adapters.miio._miot import (
    MiotMapping,
    default_cache_dir,
    from_vendor,
    load_miot_file,
    miot_instance,
    to_vendor,
    vendor_spec,
)
from hearth.adapters.miio._packet import HELLO, PORT, Header, PacketError, Token, decode, encode, parse_header
from hearth.adapters.miio._simulator import MiioDeviceSimulator

__all__ = [
    "HELLO",
    "PORT",
    "DeviceRefused",
    "DeviceUnreachable",
    "Header",
    "MiioAdapter",
    "MiioBinding",
    "MiioClient",
    "MiioDeviceSimulator",
    "MiotMapping",
    "PacketError",
    "PropertyResult",
    "Push",
    "Token",
    "bench_miio",
    "decode",
    "default_cache_dir",
    "describe",
    "encode",
    "from_vendor",
    "load_miot_file",
    "miot_instance",
    "parse_header",
    "to_vendor",
    "vendor_spec",
]
