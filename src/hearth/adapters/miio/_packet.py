"""The miIO LAN packet: a 32-byte header, an AES-128-CBC payload and an MD5 checksum keyed by the token."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hearth.errors import AdapterError

MAGIC = 0x2131
HEADER_LEN = 32
PORT = 54321
_HEADER = struct.Struct(">HHIII16s")
# A hello is a bare header: length 32, unknown/did/stamp all ones, checksum all ones.
HELLO = bytes.fromhex("21310020") + b"\xff" * 28


class PacketError(AdapterError):
    """A datagram is not a valid miIO packet for this token (wrong magic, length, checksum or cipher)."""


@dataclass(frozen=True, slots=True)
class Token:
    """A device's 16-byte token and the AES key and IV derived from it."""

    raw: bytes
    key: bytes = field(init=False, repr=False)
    iv: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != 16:
            raise PacketError(f"a miIO token is 16 bytes (32 hex digits), got {len(self.raw)} bytes")
        key = hashlib.md5(self.raw).digest()
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "iv", hashlib.md5(key + self.raw).digest())

    @classmethod
    def from_hex(cls, text: str) -> Token:
        """Parse the 32 hex digits people copy from their device list."""
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise PacketError("a miIO token is 32 hex digits") from None

    def __repr__(self) -> str:
        return "Token(…)"  # never print a secret

    def encrypt(self, plain: bytes) -> bytes:
        """AES-128-CBC with PKCS#7 padding."""
        padder = padding.PKCS7(128).padder()
        data = padder.update(plain) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).encryptor()
        return encryptor.update(data) + encryptor.finalize()

    def decrypt(self, data: bytes) -> bytes:
        """Undo `encrypt`; raises PacketError when the token does not fit."""
        if len(data) % 16:
            raise PacketError("encrypted payload is not a whole number of AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        try:
            return unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise PacketError("payload does not decrypt with this token (bad padding)") from None


@dataclass(frozen=True, slots=True)
class Header:
    """The fields of a miIO header."""

    length: int
    unknown: int
    did: int
    stamp: int
    checksum: bytes

    @property
    def is_hello(self) -> bool:
        """Whether this is a bare hello (or a hello reply): no payload."""
        return self.length == HEADER_LEN


def parse_header(datagram: bytes) -> Header:
    """Read the header of a datagram; raises PacketError if it is not miIO."""
    if len(datagram) < HEADER_LEN:
        raise PacketError(f"datagram of {len(datagram)} bytes is shorter than a miIO header")
    magic, length, unknown, did, stamp, checksum = _HEADER.unpack_from(datagram)
    if magic != MAGIC:
        raise PacketError(f"bad magic 0x{magic:04x} (expected 0x2131)")
    if length != len(datagram):
        raise PacketError(f"header says {length} bytes, datagram has {len(datagram)}")
    return Header(length, unknown, did, stamp, checksum)


def checksum(header16: bytes, token: Token, encrypted: bytes) -> bytes:
    """MD5 over the first 16 header bytes, the token (in the checksum field) and the encrypted payload."""
    return hashlib.md5(header16 + token.raw + encrypted).digest()


def encode(payload: bytes, token: Token, did: int, stamp: int) -> bytes:
    """Build a full packet carrying `payload`."""
    encrypted = token.encrypt(payload)
    head = struct.pack(">HHIII", MAGIC, HEADER_LEN + len(encrypted), 0, did & 0xFFFFFFFF, stamp & 0xFFFFFFFF)
    return head + checksum(head, token, encrypted) + encrypted


def decode(datagram: bytes, token: Token) -> tuple[Header, bytes]:
    """Check and decrypt a packet; returns the header and the plain payload (empty for a hello)."""
    header = parse_header(datagram)
    if header.is_hello:
        return header, b""
    encrypted = datagram[HEADER_LEN:]
    if checksum(datagram[:16], token, encrypted) != header.checksum:
        raise PacketError("checksum mismatch (wrong token, or a corrupted packet)")
    # Devices often end the JSON with a NUL byte.
    return header, token.decrypt(encrypted).rstrip(b"\x00")


def hello_reply(did: int, stamp: int) -> bytes:
    """The header a device answers a hello with (checksum field left as ones: the token is not revealed)."""
    return struct.pack(">HHIII", MAGIC, HEADER_LEN, 0, did & 0xFFFFFFFF, stamp & 0xFFFFFFFF) + b"\xff" * 16


def dump_json(message: dict[str, Any]) -> bytes:
    """Compact JSON, as devices send it."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def load_json(payload: bytes) -> dict[str, Any]:
    """Parse a decrypted payload; raises PacketError when it is not a JSON object."""
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PacketError(f"payload is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise PacketError("payload is not a JSON object")
    return message
