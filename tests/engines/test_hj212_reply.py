"""HJ 212 replies (exact bytes from shared/reference/hj212.md section 5), encode -> parse round
trips, split-packet reassembly and the `coact hj212 parse` command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coact.cli import main
from coact.engines.hj212 import (
    Packet,
    SplitReassembler,
    data_answer,
    encode_packet,
    execution_result,
    notice_answer,
    parse_frame,
    replies_for,
    request_answer,
    time_calibration,
)
from coact.engines.hj212.reply import Addressee

MN = "010000A8900016F000169DC0"
UPLOAD = encode_packet(
    {"QN": "20160801085857223", "ST": "32", "CN": "2011", "PW": "123456", "MN": MN, "Flag": 5},
    {"DataTime": "20160801085800", "w01018-Rtd": "12.5", "w01018-Flag": "N"},
)


def _parsed(frame: bytes) -> Packet:
    packet = parse_frame(frame)
    assert isinstance(packet, Packet), packet
    return packet


def test_data_answer_exact_bytes() -> None:
    # hj212.md section 5: 87-char segment, CRC 3240 (HJ 212-2017 Appendix A algorithm)
    expected = (
        b"##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=4;CP=&&&&3240\r\n"
    )
    assert data_answer(_parsed(UPLOAD)) == expected


def test_notice_answer_and_time_calibration_exact_bytes() -> None:
    request = encode_packet(
        {"QN": "20160801085857223", "ST": "32", "CN": "1013", "PW": "123456", "MN": MN, "Flag": 5}
    )
    packet = _parsed(request)
    notice = (
        b"##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=4;CP=&&&&2A80\r\n"
    )
    calibration = (
        b"##0112QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=5;CP=&&SystemTime=20160801085857&&6C00\r\n"
    )
    now = dt.datetime(2016, 8, 1, 8, 58, 57, 223000)
    assert notice_answer(packet) == notice
    assert time_calibration(packet, now) == calibration  # QN made from now: ...57223
    assert replies_for(packet, now) == [notice, calibration]


def test_real_capture_reply_and_2005_dialect() -> None:
    fastadmin = encode_packet(
        {
            "QN": "20240123123205877",
            "ST": "32",
            "CN": "2011",
            "PW": "123456",
            "MN": "000101",
            "Flag": 5,
        },
        {"DataTime": "20240123123200"},
    )
    assert data_answer(_parsed(fastadmin)) == (
        b"##0069QN=20240123123205877;ST=91;CN=9014;PW=123456;MN=000101;Flag=4;CP=&&&&3840\r\n"
    )
    old = _parsed(
        encode_packet(
            {"QN": "20040516010101001", "ST": "32", "CN": "2051", "PW": "1", "MN": "M", "Flag": 1},
            {"DataTime": "20040516010000", "011-Avg": "1"},
        )
    )
    assert old.edition == "2005"
    assert data_answer(old) == (
        b"##0063ST=91;CN=9014;CP=&&QN=20040516010101001;CN=2051;PNO=1;PNUM=1;&&2700\r\n"
    )


def test_2025_reply_uses_version_bits_and_heartbeat_gets_9013() -> None:
    heartbeat = _parsed(
        encode_packet(
            {"QN": "20260101000000000", "ST": "32", "CN": "9015", "PW": "1", "MN": "M", "Flag": 9}
        )
    )
    (reply,) = replies_for(heartbeat, dt.datetime(2026, 1, 1))
    parsed = _parsed(reply)
    assert (parsed.cn, parsed.flag, parsed.qn, parsed.st) == ("9013", 8, "20260101000000000", "91")


def test_request_and_execution_answers() -> None:
    to = Addressee(mn="M", pw="123456", st="32", qn="20160801085857223")
    answer = _parsed(request_answer(to, qn_rtn=1))
    assert (answer.cn, answer.cp, answer.flag) == ("9011", {"QnRtn": "1"}, 4)
    done = _parsed(execution_result(to, exe_rtn=100))
    assert (done.cn, done.cp) == ("9012", {"ExeRtn": "100"})


def test_no_answer_without_the_answer_bit_or_to_answers() -> None:
    now = dt.datetime(2024, 1, 1)
    flag4 = encode_packet({"QN": "1", "ST": "32", "CN": "2011", "PW": "1", "MN": "M", "Flag": 4})
    assert replies_for(_parsed(flag4), now) == []
    answer = encode_packet({"QN": "1", "ST": "91", "CN": "9014", "PW": "1", "MN": "M", "Flag": 5})
    assert replies_for(_parsed(answer), now) == []
    assert len(replies_for(_parsed(UPLOAD), now)) == 1


# --- round trip ----------------------------------------------------------------------------

NAME = st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,7}", fullmatch=True)
# Values: any printable text but the separators (control characters never occur in real CP text,
# and the codec treats them as a sign of an encrypted region).
VALUE = st.text(
    alphabet=st.characters(
        blacklist_characters=";,=&", max_codepoint=0x9FFF, blacklist_categories=("Cc", "Cs")
    ),
    max_size=12,
)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(NAME, VALUE, max_size=6),
    st.lists(
        st.tuples(st.from_regex(r"[aw][0-9]{5}", fullmatch=True), VALUE),
        max_size=6,
        unique_by=lambda pair: pair[0],
    ),
    st.integers(0, 255),
)
def test_encode_then_parse_round_trip(extra: dict, factors: list, flag: int) -> None:
    header = {
        "QN": "20240101000000000",
        "ST": "31",
        "CN": "2011",
        "PW": "123456",
        "MN": "M",
        "Flag": flag,
    }
    cp = [("DataTime", "20240101000000"), *((f"{code}-Rtd", value) for code, value in factors)]
    cp += [(f"x{name}", value) for name, value in extra.items()]
    frame = encode_packet(header, cp)
    packet = _parsed(frame)
    assert packet.crc_ok and packet.length_ok
    assert (packet.qn, packet.cn, packet.flag) == ("20240101000000000", "2011", flag)
    assert list(packet.cp.items()) == cp


# --- reassembly ----------------------------------------------------------------------------


def test_split_packets_reassemble_by_mn_cn_datatime_pnum() -> None:
    def part(pno: int, qn: str) -> Packet:
        return _parsed(
            encode_packet(
                {
                    "QN": qn,
                    "ST": "31",
                    "CN": "2061",
                    "PW": "1",
                    "MN": "M",
                    "Flag": 7,
                    "PNUM": 2,
                    "PNO": pno,
                },
                {"DataTime": "20240101080000", f"a2102{pno}-Avg": str(pno)},
            )
        )

    assembler = SplitReassembler()
    now = dt.datetime(2024, 1, 1, 9)
    second, first = part(2, "20240101090000002"), part(1, "20240101090000001")
    assert second.is_split and second.needs_answer
    assert assembler.add(second, now) is None and len(assembler) == 1
    done = assembler.add(first, now)
    assert done is not None and [p.pno for p in done.parts] == [1, 2]
    assert done.cp == {"DataTime": "20240101080000", "a21021-Avg": "1", "a21022-Avg": "2"}
    assert len(assembler) == 0
    assembler.add(second, now)
    assert assembler.expire(now + dt.timedelta(hours=1)) == 1 and assembler.dropped == 1


# --- CLI -----------------------------------------------------------------------------------

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "hj212"


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "packets.txt"
    path.write_bytes(b"# comment\n\n" + UPLOAD + UPLOAD[:-6] + b"0000\r\n")
    assert main(["hj212", "parse", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2
    good, bad = rows
    keys = {"ok", "error", "crc_ok", "length_ok", "qn", "st", "cn", "pw", "mn", "flag", "cp"}
    assert keys <= set(good)
    assert good["ok"] and good["error"] is None and good["flag"] == "5"  # as sent
    assert good["cp"] == {"DataTime": "20160801085800", "w01018-Rtd": "12.5", "w01018-Flag": "N"}
    assert not bad["ok"] and bad["error"] == "crc-mismatch" and bad["length_ok"]


def test_cli_tolerate_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    quirks = SHARED / "packets-quirks.txt"
    if not quirks.exists():
        pytest.skip(f"shared test data not found: {quirks}")
    main(["hj212", "parse", str(quirks)])
    assert capsys.readouterr().out.count("REJECTED crc-mismatch") == 4
    main(["hj212", "parse", str(quirks), "--tolerate", "ignore-crc"])
    assert capsys.readouterr().out.count(": ok CN=") == 4
    assert main(["hj212", "parse", str(quirks), "--tolerate", "bogus"]) == 2


def test_cli_stream_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(b"junk" + UPLOAD + UPLOAD)
    main(["hj212", "parse", "--stream", "--json", str(path)])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["error"] for row in rows] == ["garbage", None, None]
