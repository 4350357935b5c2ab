"""Encode HJ 212 packets and the platform's replies (HJ 212-2017 sections 6.1, 6.5, Appendix C;
HJ/T 212-2005 Appendix C for the 2005 dialect; HJ 212-2025 heartbeat 9015 [3P]).

Rules (shared/reference/hj212.md section 5):

* answer an upload only when its answer bit (Flag bit 0) is set; the reply echoes the QN of the
  packet answered, plus its PW and MN, with ST=91 and the device's version bits without the
  answer bit (Flag=4 for 2017, 8 for 2025) and an empty CP ``CP=&&&&``;
* 2005 devices get the 2005 dialect: ``ST=91;CN=9014;CP=&&QN=...;CN=...;PNO=1;PNUM=1;&&``;
* a 1013 time-calibration request gets a 9013 notice answer, then a 1012 with the platform time;
* 9011/9012/9013/9014 from the field are answers themselves: nothing is sent back;
* split packets: each part has its own QN and gets its own answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from coact.engines.hj212 import codes
from coact.engines.hj212.cp import encode_cp, format_hj_time
from coact.engines.hj212.crc import format_crc, hj212_crc16

CpFields = Mapping[str, object] | Sequence[tuple[str, object]]


class Addressable(Protocol):
    """What a reply needs to know about its peer (a ``Packet`` satisfies it)."""

    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    edition: str


@dataclass(frozen=True, slots=True)
class Addressee:
    """A device the platform writes to without answering a packet (e.g. a 1012 time set)."""

    mn: str
    pw: str
    st: str
    edition: str = "2017"
    qn: str | None = None
    cn: str | None = None


def frame_segment(segment: str | bytes) -> bytes:
    """``##`` + 4-digit length + segment + HJ 212 CRC (upper-case hex) + CR LF.

    The length counts UTF-8 bytes (the byte reading of HJ 212-2017 section 6.3.1).
    Raises ValueError above the 9999 bytes a 4-digit length can state.
    """
    data = segment.encode("utf-8") if isinstance(segment, str) else bytes(segment)
    if len(data) > 9999:
        raise ValueError(f"data segment of {len(data)} bytes exceeds the 9999 of a 4-digit length")
    return b"##%04d%s%s\r\n" % (len(data), data, format_crc(hj212_crc16(data)).encode("ascii"))


def encode_packet(fields: Mapping[str, object], cp: CpFields | str | None = None) -> bytes:
    """Build a packet: header ``fields`` in the given order (None values omitted), then
    ``CP=&&...&&``. ``cp`` is a mapping / list of pairs (encoded with ``,`` inside an item and
    ``;`` between items) or a ready CP body string."""
    head = "".join(f"{name}={value};" for name, value in fields.items() if value is not None)
    if cp is None:
        body = ""
    elif isinstance(cp, str):
        body = cp
    else:
        pairs = list(cp.items()) if isinstance(cp, Mapping) else list(cp)
        body = encode_cp([(str(name), str(value)) for name, value in pairs])
    return frame_segment(f"{head}CP=&&{body}&&")


def reply_flag(edition: str, answer: bool = False) -> int:
    """Flag for a message to a device of ``edition``: its version bits, plus bit 0 if ``answer``."""
    bits = {value: key for key, value in codes.version_editions().items()}.get(edition, 1)
    return (bits << 2) | int(answer)


def _reply_system() -> str:
    return str(codes.protocol()["replies"]["system_code"])


def _answer(to: Addressable, cn: str, cp: CpFields | str | None = None) -> bytes:
    """An interaction reply (ST=91) echoing ``to``'s QN, PW and MN."""
    if to.edition == "2005":
        return _answer_2005(to, cn, cp)
    fields = {
        "QN": to.qn,
        "ST": _reply_system(),
        "CN": cn,
        "PW": to.pw,
        "MN": to.mn,
        "Flag": reply_flag(to.edition),
    }
    return encode_packet(fields, cp)


def _answer_2005(to: Addressable, cn: str, cp: CpFields | str | None) -> bytes:
    """HJ/T 212-2005 dialect: the answered QN, CN, PNO and PNUM go INSIDE the CP area."""
    pno = getattr(to, "pno", None) or 1
    pnum = getattr(to, "pnum", None) or 1
    inner = [("QN", to.qn), ("CN", to.cn), ("PNO", pno), ("PNUM", pnum)]
    body = "".join(f"{name}={value};" for name, value in inner if value is not None)
    if cp:
        extra = (
            cp
            if isinstance(cp, str)
            else encode_cp(
                [(str(k), str(v)) for k, v in (cp.items() if isinstance(cp, Mapping) else cp)]
            )
        )
        body += extra
    return encode_packet({"ST": _reply_system(), "CN": cn}, body)


def data_answer(to: Addressable) -> bytes:
    """CN 9014 data answer to an upload with the answer bit set."""
    return _answer(to, "9014")


def notice_answer(to: Addressable) -> bytes:
    """CN 9013 notice answer (to 1013, to a 9015 heartbeat, to notices)."""
    return _answer(to, "9013")


def request_answer(to: Addressable, qn_rtn: int = 1) -> bytes:
    """CN 9011 request answer with ``QnRtn`` (1 ready, 2 rejected, 3 PW error, ... Table 7)."""
    return _answer(to, "9011", {"QnRtn": qn_rtn})


def execution_result(to: Addressable, exe_rtn: int = 1) -> bytes:
    """CN 9012 execution result with ``ExeRtn`` (1 success, 2 failed, ... 100 no data, Table 6)."""
    return _answer(to, "9012", {"ExeRtn": exe_rtn})


def make_qn(now: dt.datetime) -> str:
    """A QN (``YYYYMMDDhhmmsszzz``, HJ 212-2017 Table 3) for a message created at ``now``."""
    return format_hj_time(now, milliseconds=True)


def time_calibration(to: Addressable, system_time: dt.datetime, qn: str | None = None) -> bytes:
    """CN 1012 set field time: ``CP=&&SystemTime=YYYYMMDDhhmmss&&`` with the answer bit set,
    the device's own ST, and a new QN (default: made from ``system_time``)."""
    fields = {
        "QN": qn or make_qn(system_time),
        "ST": to.st,
        "CN": "1012",
        "PW": to.pw,
        "MN": to.mn,
        "Flag": reply_flag(to.edition, answer=True),
    }
    return encode_packet(fields, {"SystemTime": format_hj_time(system_time)})


def replies_for(packet: Addressable, now: dt.datetime) -> list[bytes]:
    """What the platform sends back for a received packet, per hj212.md section 5.

    ``now`` is the platform time (for the 1012 answering a 1013 time-calibration request).
    """
    needs_answer = bool((getattr(packet, "flag", None) or 0) & 1)
    command = codes.commands().get(packet.cn or "")
    if command is not None:
        kind = command.upload_answer
    else:  # vendor/provincial CNs (e.g. 9021): answer data-like uploads only
        kind = "data" if (packet.cn or "")[:1] in ("1", "2", "3") else "none"
    out: list[bytes] = []
    if kind == "data" and needs_answer:
        out.append(data_answer(packet))
    elif kind == "notice":
        if needs_answer:
            out.append(notice_answer(packet))
        if packet.cn == "1013":
            out.append(time_calibration(packet, now))
    return out
