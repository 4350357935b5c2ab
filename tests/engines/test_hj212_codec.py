"""HJ 212 codec: CRC, length, packet parsing, tolerances, editions, data files.

Published examples (shared/reference/hj212.md sections 3 and 5): the HJ 212-2017 Appendix A
worked example (CRC 1C80), the HJ 212-2025 Appendix A.1 example (2200; CRC-16/MODBUS would give
CCF4), and the reply frames computed in section 5.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from coact.engines.hj212 import Packet, Rejection, Tolerance, codes, parse_frame
from coact.engines.hj212 import errors as rc
from coact.engines.hj212.crc import (
    format_crc,
    hj212_crc16,
    hj212_crc16_bitwise,
    hj212_crc16_chars,
    modbus_crc16,
    swap_bytes,
)
from coact.engines.hj212.reply import frame_segment

SHARED_HJ212 = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hj212"

APPENDIX_A_2017 = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&1C80"
)
APPENDIX_A1_2025 = (
    b"##0087QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;"
    b"CP=&&&&2200"
)


def _packets(name: str) -> list[tuple[str, bytes]]:
    """(comment above, packet) pairs of a shared data file; skip when the folder is absent."""
    path = SHARED_HJ212 / name
    if not path.exists():
        pytest.skip(f"shared test data not found: {path} (the shared/ folder beside the project)")
    pairs, comment = [], ""
    for line in path.read_bytes().splitlines():
        if line.startswith(b"##"):
            pairs.append((comment, line))
        elif line.startswith(b"#"):
            comment = line.decode("utf-8")
    return pairs


# --- CRC -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (APPENDIX_A_2017[6:-4], 0x1C80),  # HJ 212-2017 Appendix A
        (APPENDIX_A1_2025[6:-4], 0x2200),  # HJ 212-2025 Appendix A.1 [3P, reproduced]
        # 9014 / 9013 / 1012 frames of hj212.md section 5, 2005 dialect reply, fastadmin reply
        (
            b"QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
            b"CP=&&&&",
            0x3240,
        ),
        (b"ST=91;CN=9014;CP=&&QN=20040516010101001;CN=2051;PNO=1;PNUM=1;&&", 0x2700),
        (b"", 0xFFFF),  # no byte processed: the initial register
    ],
)
def test_crc_of_published_examples(segment: bytes, expected: int) -> None:
    assert hj212_crc16(segment) == expected
    assert hj212_crc16_bitwise(segment) == expected


def test_crc_is_not_modbus() -> None:
    # The 2025 A.1 example: CRC-16/MODBUS gives CCF4, the standard prints 2200.
    assert modbus_crc16(APPENDIX_A1_2025[6:-4]) == 0xCCF4
    assert format_crc(swap_bytes(0xCCF4)) == "F4CC"


def test_fast_crc_equals_bitwise_on_every_length_up_to_80_and_long_inputs() -> None:
    for size in [*range(0, 81), 255, 612, 1024, 4000]:
        data = os.urandom(size)
        assert hj212_crc16(data) == hj212_crc16_bitwise(data), size


def test_crc_takes_only_256_values_with_low_byte_in_known_set() -> None:
    # hj212.md section 3: the low byte is always one of 00/01/40/41/80/81/C0/C1.
    lows = {hj212_crc16(os.urandom(20)) & 0xFF for _ in range(2000)}
    assert lows <= {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}


def test_char_crc_equals_byte_crc_for_ascii_and_differs_for_chinese() -> None:
    text = "QN=1;CP=&&a=1&&"
    assert hj212_crc16_chars(text) == hj212_crc16(text.encode())
    chinese = "CP=&&i11001-Info=//清洗管路//&&"
    expected = hj212_crc16_bitwise(ord(c) for c in chinese)  # Java: chars fed unmasked
    assert hj212_crc16_chars(chinese) == expected


# --- shared packets ------------------------------------------------------------------------


def test_every_valid_shared_packet_parses_with_correct_crc_and_length() -> None:
    packets = _packets("packets-valid.txt")
    assert len(packets) >= 12
    for comment, line in packets:
        result = parse_frame(line)
        assert isinstance(result, Packet), (comment, result)
        assert result.crc_ok and result.length_ok, comment
        assert result.crc_variant == "hj212"
        assert result.declared_length == len(line) - 10
        # the comment states "ST=.. CN=.." of the packet
        assert f"ST={result.st} CN={result.cn}" in comment


def test_every_quirk_shared_packet_is_rejected_by_default_and_accepted_only_with_ignore_crc() -> (
    None
):
    packets = _packets("packets-quirks.txt")
    assert len(packets) >= 4
    for comment, line in packets:
        result = parse_frame(line)
        assert isinstance(result, Rejection), comment
        assert result.code == rc.CRC_MISMATCH
        assert result.packet is not None and result.packet.length_ok and not result.packet.crc_ok
        # hand-edited CRCs match no variant: the Modbus tolerances do not rescue them
        modbus = Tolerance.from_names("swapped-crc,modbus-crc,wrong-length,missing-crlf")
        assert not parse_frame(line, modbus).ok
        accepted = parse_frame(line, Tolerance.from_names("ignore-crc"))
        assert accepted.ok and "ignore-crc" in accepted.quirks
        # the comment's "hj" value is the HJ CRC of the segment
        assert f"'hj': '{format_crc(hj212_crc16(line[6:-4]))}'" in comment


# --- fields and CP -------------------------------------------------------------------------


def test_appendix_a_fields() -> None:
    packet = parse_frame(APPENDIX_A_2017 + b"\r\n")
    assert isinstance(packet, Packet)
    assert (packet.qn, packet.st, packet.cn, packet.pw) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
    )
    assert packet.mn == "010000A8900016F000169DC0"
    assert packet.flag == 5 and packet.needs_answer and not packet.is_split
    assert packet.cp == {"RtdInterval": "30"}
    assert (packet.edition, packet.edition_source) == ("2017", "flag")


def test_hourly_cp_flat_and_records() -> None:
    line = next(p for c, p in _packets("packets-valid.txt") if "CN=2061" in c)
    packet = parse_frame(line)
    assert isinstance(packet, Packet)
    assert packet.cp["a00000-Cou"] == "19191.973"  # value string as sent
    assert list(packet.cp)[:3] == ["DataTime", "a00000-Cou", "a00000-Min"]
    flow = packet.records.records["a00000"]
    assert flow.avg == pytest.approx(5.331) and flow.flag == "N"
    # Avg 5.331 m3/s x 3600 s = 19191.6 m3 ~ Cou 19191.973 (hj212.md section 4 arithmetic)
    assert flow.avg * 3600 == pytest.approx(flow.cou, rel=1e-3)
    assert packet.records.data_time == dt.datetime(2024, 1, 22, 17, 0)


def test_2005_style_header_and_codes() -> None:
    line = next(p for c, p in _packets("packets-valid.txt") if "MN=81733553216204" in p.decode())
    packet = parse_frame(line)
    assert isinstance(packet, Packet)
    assert packet.qn is None and packet.flag is None and not packet.needs_answer
    assert (packet.edition, packet.edition_source) == ("2005", "factor-codes")
    assert packet.cp["011-Rtd"] == "32.439"
    assert codes.canonical_factor_code("011") == "w01018"
    assert codes.factor("B01").name_en == "wastewater flow"


def test_split_header_without_flag_2005_order() -> None:
    segment = (
        "QN=20191112091100598;PNUM=2;PNO=1;ST=31;CN=2051;PW=1;MN=X;CP=&&DataTime=20230327090000&&"
    )
    packet = parse_frame(frame_segment(segment))
    assert isinstance(packet, Packet)
    assert (packet.pnum, packet.pno, packet.is_split) == (2, 1, True)


def test_cp_empty_forms_trailing_semicolon_and_space() -> None:
    for cp, expected in [
        ("&&&&", {}),
        ("&& &&", {}),
        ("&&a-Rtd=1;&&", {"a-Rtd": "1"}),
        ("&& DataTime=1&&", {"DataTime": "1"}),
    ]:
        packet = parse_frame(frame_segment(f"ST=32;CN=2011;CP={cp}"))
        assert isinstance(packet, Packet), cp
        assert packet.cp == expected, cp


def test_duplicate_cp_field_first_wins_with_warning() -> None:
    packet = parse_frame(frame_segment("ST=22;CN=2011;Flag=4;CP=&&a21-Rtd=1;a21-Rtd=2&&"))
    assert isinstance(packet, Packet)
    assert packet.cp == {"a21-Rtd": "1"}
    assert packet.cp_items == [("a21-Rtd", "1"), ("a21-Rtd", "2")]
    assert "duplicate-cp-field:a21-Rtd" in packet.warnings


def test_value_containing_equals_is_kept_whole() -> None:
    packet = parse_frame(frame_segment("ST=31;CN=3020;Flag=4;CP=&&i11001-Info=a=b;x-Rtd=1&&"))
    assert isinstance(packet, Packet)
    assert packet.cp == {"i11001-Info": "a=b", "x-Rtd": "1"}


def test_zs_sampletime_rs_rt_and_info_records() -> None:
    cp = (
        "DataTime=20240101000000;a21026-ZsAvg=12.5,a21026-Avg=10.1,a21026-Flag=N;"
        "w01018-SampleTime=20240101000300,w01018-Rtd=20;SB1-RS=1;SB1-RT=23.5;"
        "PolId=w01018;i12001-Info=0"
    )
    packet = parse_frame(frame_segment(f"QN=1;ST=32;CN=2011;PW=1;MN=M;Flag=4;CP=&&{cp}&&"))
    assert isinstance(packet, Packet)
    records = packet.records.records
    assert records["a21026"].number("ZsAvg") == 12.5
    assert records["w01018"].sample_time == dt.datetime(2024, 1, 1, 0, 3)
    assert records["SB1"].kind == "device" and records["SB1"].values == {"RS": "1", "RT": "23.5"}
    info = records["i12001@w01018"]
    assert info.kind == "info" and info.polid == "w01018"


# --- rejections and tolerances ---------------------------------------------------------------


def _with_crc(segment: bytes, crc: str) -> bytes:
    return b"##%04d%s%s" % (len(segment), segment, crc.encode())


SEGMENT = b"QN=20240101000000000;ST=32;CN=2011;PW=123456;MN=M1;Flag=5;CP=&&w01018-Rtd=20.1&&"


def test_swapped_modbus_crc_needs_its_tolerance() -> None:
    frame = _with_crc(SEGMENT, format_crc(swap_bytes(modbus_crc16(SEGMENT))))
    rejected = parse_frame(frame)
    assert isinstance(rejected, Rejection) and rejected.code == rc.CRC_MISMATCH
    assert "swapped-crc" in rejected.message  # the hint names the tolerance
    accepted = parse_frame(frame, Tolerance.from_names("swapped-crc"))
    assert isinstance(accepted, Packet)
    assert accepted.crc_variant == "modbus-swapped" and not accepted.crc_ok
    assert "swapped-crc" in accepted.quirks
    assert not parse_frame(frame, Tolerance.from_names("modbus-crc")).ok


def test_modbus_crc_high_byte_first() -> None:
    frame = _with_crc(SEGMENT, format_crc(modbus_crc16(SEGMENT)))
    assert not parse_frame(frame).ok
    assert parse_frame(frame, Tolerance.from_names("modbus-crc")).crc_variant == "modbus"


def test_length_plus_six_needs_wrong_length() -> None:
    crc = format_crc(hj212_crc16(SEGMENT)).encode()
    frame = b"##%04d%s%s" % (len(SEGMENT) + 6, SEGMENT, crc)
    rejected = parse_frame(frame)
    assert isinstance(rejected, Rejection) and rejected.code == rc.LENGTH_MISMATCH
    assert rejected.packet.crc_ok and not rejected.packet.length_ok
    assert "-6" in rejected.message
    accepted = parse_frame(frame, Tolerance.from_names("wrong-length"))
    assert accepted.ok and not accepted.length_ok and accepted.crc_ok
    assert "wrong-length" in accepted.quirks


def test_lowercase_hex_default_on_and_strict_off() -> None:
    line = next(p for c, p in _packets("packets-valid.txt") if "CRC=8c41" in c)
    frame = line[:-4] + b"8C41"
    assert parse_frame(frame, Tolerance.strict()).ok  # same packet, upper case: strict passes
    assert parse_frame(line).ok
    strict = parse_frame(line, Tolerance.strict())
    assert isinstance(strict, Rejection) and strict.code == rc.LOWERCASE_CRC


def test_chinese_content_byte_and_char_length() -> None:
    segment = "QN=1;ST=31;CN=3020;PW=1;MN=M;Flag=4;CP=&&i11001-Info=//清洗管路//&&"
    by_bytes = frame_segment(segment)
    assert parse_frame(by_bytes).length_basis == "bytes"
    # Java style: length and CRC over UTF-16 chars
    chars = b"##%04d%s%s" % (
        len(segment),
        segment.encode(),
        format_crc(hj212_crc16_chars(segment)).encode(),
    )
    packet = parse_frame(chars)
    assert isinstance(packet, Packet)
    assert (packet.length_basis, packet.crc_variant) == ("chars", "hj212-chars")
    assert packet.cp["i11001-Info"] == "//清洗管路//"
    assert not parse_frame(chars, Tolerance.strict()).ok


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"#0101QN=1;CN=1;CP=&&&&1C80", rc.NO_HEADER),
        (b"##01", rc.TOO_SHORT),
        (b"##01a1QN=1;CP=&&&&1C80", rc.BAD_LENGTH_FIELD),
        (b"##0012ST=1;CP=&&&&1C8G", rc.BAD_CRC_FIELD),
    ],
)
def test_envelope_rejections(frame: bytes, code: str) -> None:
    result = parse_frame(frame)
    assert isinstance(result, Rejection) and result.code == code
    assert result.message


@pytest.mark.parametrize(
    ("segment", "code"),
    [
        ("QN=1;ST=32;Flag=5;CP=&&&&", rc.MISSING_FIELD),
        ("QN=1;ST=32;CN=2011;Flag=300;CP=&&&&", rc.BAD_FLAG),
        ("QN=1;ST=32;CN=2011;Flag=x;CP=&&&&", rc.BAD_FLAG),
        ("QN=1;ST=32;CN=2011;PNUM=a;PNO=1;CP=&&&&", rc.BAD_PACKET_NUMBER),
        ("QN=1;ST=32;CN=2011;Flag=4", rc.BAD_CP),
        ("QN=1;ST=32;CN=2011;Flag=4;CP=&&a=1", rc.BAD_CP),
    ],
)
def test_header_rejections_name_their_reason(segment: str, code: str) -> None:
    result = parse_frame(frame_segment(segment))
    assert isinstance(result, Rejection) and result.code == code, result
    assert result.packet is not None  # partial parse kept for logging


def test_oversize_segment_rejected_above_max_and_warned_above_1024() -> None:
    big = "QN=1;ST=32;CN=2011;Flag=4;CP=&&x-Rtd=" + "1" * 1100 + "&&"
    packet = parse_frame(frame_segment(big))
    assert packet.ok and any(w.startswith("segment-over-1024") for w in packet.warnings)
    small = parse_frame(frame_segment(big), Tolerance(max_segment=1024))
    assert isinstance(small, Rejection) and small.code == rc.OVERSIZE


def test_tolerance_names() -> None:
    tolerance = Tolerance.from_names("wrong-length, swapped-crc,no-lowercase-hex")
    assert tolerance.wrong_length and tolerance.swapped_crc and not tolerance.lowercase_hex
    assert Tolerance.from_names("all").ignore_crc
    assert Tolerance.from_names("none") == Tolerance.strict()
    with pytest.raises(ValueError, match="unknown tolerance 'bogus'"):
        Tolerance.from_names("bogus")


# --- editions and encryption -------------------------------------------------------------------


def test_edition_detection() -> None:
    assert parse_frame(APPENDIX_A1_2025).edition == "2025"  # Flag=9: version bits 2
    heartbeat = parse_frame(frame_segment("QN=1;ST=32;CN=9015;PW=1;MN=M;CP=&&&&"))
    assert (heartbeat.edition, heartbeat.edition_source) == ("2025", "markers")
    resent = parse_frame(frame_segment("QN=1;ST=32;CN=2011;RF=1;CP=&&&&"))
    assert resent.edition == "2025" and resent.resent
    # nothing in the packet tells: the date decides through editions.yaml
    undated = frame_segment("ST=32;CN=2011;CP=&&&&")
    assert parse_frame(undated, received_on=dt.date(2020, 5, 1)).edition == "2017"
    assert parse_frame(undated, received_on=dt.date(2026, 5, 1)).edition == "2025"
    assert parse_frame(undated, received_on=dt.date(2010, 5, 1)).edition_source == "date"


def test_encrypted_cp_with_a_decryptor() -> None:
    # HJ 212-2025 A.2: CRC and length of the plaintext, whole 16-byte blocks encrypted, the tail
    # plain. A toy cipher stands in for SM4 (the codec only calls the hook). Not a constant XOR:
    # the HJ CRC cannot see a constant XOR over 16 bytes (each residue mod 8 flips twice).
    plain_body = "DataTime=20260101000000;a21026-Rtd=12.3,a21026-Flag=N"
    segment = f"QN=20260101000000000;ST=31;CN=2011;PW=123456;MN=M;Flag=8;CP=&&{plain_body}&&"
    plain = segment.encode()
    crc = format_crc(hj212_crc16(plain)).encode()
    whole = len(plain_body) // 16 * 16
    start = plain.index(b"CP=&&") + 5

    def encrypt(data: bytes) -> bytes:
        return bytes((b + 7 * i + 0x80) % 256 for i, b in enumerate(data))

    def decrypt(data: bytes) -> bytes:
        return bytes((b - 7 * i - 0x80) % 256 for i, b in enumerate(data))

    wire_segment = plain[:start] + encrypt(plain[start : start + whole]) + plain[start + whole :]
    frame = b"##%04d%s%s" % (len(plain), wire_segment, crc)
    rejected = parse_frame(frame)
    assert isinstance(rejected, Rejection) and rejected.code == rc.ENCRYPTED_CP
    packet = parse_frame(frame, decrypt_cp=decrypt)
    assert isinstance(packet, Packet) and packet.encrypted and packet.crc_ok
    assert packet.cp["a21026-Rtd"] == "12.3"
    assert codes.must_encrypt_2025("2011") and not codes.must_encrypt_2025("9014")


def test_data_files_have_sources() -> None:
    assert all(f.source for f in codes.factors().values())
    assert codes.commands()["9015"].upload_answer == "notice"
    assert codes.commands()["1001"].name("2005") == "set alarm time"
    assert codes.systems()["91"] == "system interaction"
    assert codes.qn_rtn_meaning(9) == "CRC error"
    assert codes.data_flag_meaning("F", "2005") == "emission source stopped"
    assert codes.data_flag_meaning("F", "2017") == "instrument stopped"
