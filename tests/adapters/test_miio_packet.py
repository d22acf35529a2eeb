"""miIO packets: the golden vector, key derivation, checksums and corrupted input."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hearth.adapters.miio import HELLO, PacketError, Token, decode, describe, encode, parse_header
from hearth.errors import AdapterError

TOKEN = Token.from_hex("00112233445566778899aabbccddeeff")
PAYLOAD = b'{"id":1,"method":"get_properties","params":[{"did":"1234","siid":2,"piid":1}]}'


def test_golden_vector() -> None:
    packet = encode(PAYLOAD, TOKEN, did=1234, stamp=0x5F000000)
    assert packet[:16].hex() == "2131007000000000000004d25f000000"
    assert packet[16:32].hex() == "29b47c87a2cc3a80426f52fd5ceade84"
    assert len(packet) == 0x70


def test_key_and_iv_come_from_the_token() -> None:
    assert TOKEN.key == hashlib.md5(TOKEN.raw).digest()
    assert TOKEN.iv == hashlib.md5(TOKEN.key + TOKEN.raw).digest()
    assert "0011" not in repr(TOKEN)


def test_decode_returns_header_and_plain_payload() -> None:
    header, payload = decode(encode(PAYLOAD, TOKEN, 1234, 0x5F000000), TOKEN)
    assert (header.did, header.stamp, header.unknown) == (1234, 0x5F000000, 0)
    assert payload == PAYLOAD


def test_decode_strips_a_trailing_nul() -> None:
    _, payload = decode(encode(PAYLOAD + b"\x00", TOKEN, 1, 2), TOKEN)
    assert payload == PAYLOAD


def test_wrong_token_is_a_checksum_error() -> None:
    other = Token.from_hex("ffeeddccbbaa99887766554433221100")
    with pytest.raises(PacketError, match="checksum"):
        decode(encode(PAYLOAD, TOKEN, 1, 2), other)


def test_flipped_byte_is_detected() -> None:
    packet = bytearray(encode(PAYLOAD, TOKEN, 1, 2))
    packet[40] ^= 0x01
    with pytest.raises(PacketError, match="checksum"):
        decode(bytes(packet), TOKEN)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x21\x31", "shorter"),
        (b"\x12\x34" + b"\x00\x20" + b"\x00" * 28, "magic"),
        (bytes.fromhex("21310040") + b"\x00" * 28, "header says 64"),
    ],
)
def test_malformed_headers(data: bytes, message: str) -> None:
    with pytest.raises(PacketError, match=message):
        parse_header(data)


def test_hello_is_a_bare_header() -> None:
    header = parse_header(HELLO)
    assert header.is_hello and header.length == 32
    assert decode(HELLO, TOKEN)[1] == b""


def test_bad_tokens_are_refused_clearly() -> None:
    with pytest.raises(AdapterError, match="32 hex digits"):
        Token.from_hex("not-hex")
    with pytest.raises(AdapterError, match="16 bytes"):
        Token(b"short")


@given(st.binary(max_size=600), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_any_payload_round_trips(payload: bytes, did: int, stamp: int) -> None:
    header, plain = decode(encode(payload, TOKEN, did, stamp), TOKEN)
    assert plain == payload.rstrip(b"\x00")
    assert (header.did, header.stamp) == (did, stamp)


def test_error_codes_read_clearly() -> None:
    assert describe(-4002) == "the property cannot be written (code -4002)"
    assert "does not exist" in describe(-704040003)
    assert describe(-123) == "the device reported an error (code -123)"
