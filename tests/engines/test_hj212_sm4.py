"""SM4 for HJ 212-2025 encrypted data areas: the published SM4 test vector, key parsing, and a
2025 packet encrypted as a device sends it, parsed with and without the device's key."""

from __future__ import annotations

import pytest

from coact.engines.hj212 import Packet, Rejection, parse_frame
from coact.engines.hj212 import errors as rc
from coact.engines.hj212.crc import format_crc, hj212_crc16
from coact.engines.hj212.sm4 import (
    encrypt_data_area,
    parse_sm4_key,
    sm4_ecb_decryptor,
    sm4_ecb_encryptor,
)


def test_gb_t_32907_example_1() -> None:
    # GB/T 32907-2016 Appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    cipher = sm4_ecb_encryptor(key)(key)
    assert cipher.hex() == "681edf34d206965e86b3e94f536e4246"
    assert sm4_ecb_decryptor(key)(cipher) == key


def test_keys_are_read_as_hex_or_ascii_and_bad_ones_are_named() -> None:
    assert parse_sm4_key("0000000000000000") == b"0" * 16  # the standard's test key, 16 x 0x30
    assert parse_sm4_key("0123456789ABCDEFFEDCBA9876543210")[:2] == b"\x01\x23"
    with pytest.raises(ValueError, match="32 hex digits or 16 ASCII characters, got 5"):
        parse_sm4_key("12345")
    with pytest.raises(ValueError, match="whole blocks"):
        sm4_ecb_decryptor(b"0" * 16)(b"x" * 17)


def test_a_2025_packet_encrypted_by_its_device_parses_only_with_the_key() -> None:
    key = parse_sm4_key("0000000000000000")
    body = "DataTime=20260105103000;a21026-Rtd=35.2,a21026-Flag=N;a19001-Rtd=9.1,a19001-Flag=N"
    plain = (
        "QN=20260105103000123;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;"
        f"CP=&&{body}&&"
    ).encode()
    # HJ 212-2025 A.2: CRC and length of the plaintext, then the data area encrypted.
    wire = encrypt_data_area(plain, key)
    assert len(wire) == len(plain) and wire != plain
    tail = len(body) % 16  # the last partial block stays plaintext
    assert tail and wire.endswith(body[-tail:].encode() + b"&&")
    assert body[: len(body) - tail].encode() not in wire
    frame = b"##%04d" % len(plain) + wire + format_crc(hj212_crc16(plain)).encode()
    refused = parse_frame(frame)
    assert isinstance(refused, Rejection) and refused.code == rc.ENCRYPTED_CP
    wrong = parse_frame(frame, decrypt_cp=sm4_ecb_decryptor(b"1" * 16))
    assert isinstance(wrong, Rejection) and wrong.code == rc.ENCRYPTED_CP
    packet = parse_frame(frame, decrypt_cp=sm4_ecb_decryptor(key))
    assert isinstance(packet, Packet) and packet.encrypted and packet.edition == "2025"
    assert packet.cp["a21026-Rtd"] == "35.2" and packet.cp["a19001-Flag"] == "N"


def test_the_parse_command_decrypts_with_sm4_key(tmp_path, capsys) -> None:
    import json

    from coact.cli import main

    key = b"0" * 16
    plain = (
        b"QN=20260105103000123;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;"
        b"CP=&&DataTime=20260105103000;a21026-Rtd=35.2,a21026-Flag=N&&"
    )
    frame = b"##%04d" % len(plain) + encrypt_data_area(plain, key)
    path = tmp_path / "capture.bin"
    path.write_bytes(frame + format_crc(hj212_crc16(plain)).encode() + b"\r\n")
    assert main(["hj212", "parse", "--stream", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["error"] == "encrypted-cp"
    assert main(["hj212", "parse", "--stream", str(path), "--json", "--sm4-key", "0" * 16]) == 0
    assert json.loads(capsys.readouterr().out)["cp"]["a21026-Rtd"] == "35.2"
