"""Parse one HJ 212 frame into a ``Packet`` (or a ``Rejection`` naming the reason).

Implements the packet layout of HJ 212-2017 section 6.3 (``##`` + 4-digit length + data segment +
4-hex CRC + CR LF), which HJ/T 212-2005 and HJ 212-2025 share (shared/reference/hj212.md sections
2, 7 and 12). Header fields are read by key, never by position (2005 and real devices use other
orders). Checks are reported separately (``length_ok``, ``crc_ok``); the per-device
``Tolerance`` decides which deviations are accepted.

Fast path (a conforming ASCII packet): one fold-based CRC, one length comparison, one ASCII
decode and C-level ``str.split``/``dict`` calls for the header and CP area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from coact.engines.editions import edition_for
from coact.engines.hj212 import codes
from coact.engines.hj212 import errors as rc
from coact.engines.hj212.cp import (
    CpRecords,
    build_records,
    parse_cp_body,
    parse_hj_time,
    separators_alternate,
    split_cp,
)
from coact.engines.hj212.crc import (
    format_crc,
    hj212_crc16,
    hj212_crc16_chars,
    modbus_crc16,
    swap_bytes,
)
from coact.engines.hj212.errors import Rejection
from coact.engines.hj212.layouts import LayoutCache
from coact.engines.hj212.tolerance import DEFAULT, Tolerance

# Decrypts the bytes of the CP region that HJ 212-2025 encrypts (a multiple of 16 bytes, SM4-ECB
# with the device's key). The codec stays free of crypto libraries; the gateway supplies this.
CpDecryptor = Callable[[bytes], bytes]

_HEX_DIGITS = b"0123456789ABCDEFabcdef"
_CP_MARK = "CP=&&"
_CP_MARK_BYTES = b"CP=&&"


@dataclass(slots=True, eq=False)
class Packet:
    """One accepted (or, inside a ``Rejection``, partially parsed) HJ 212 packet.

    Header fields are the strings as sent (None when absent); ``flag``, ``pnum`` and ``pno`` are
    ints. ``cp`` is the flat CP mapping (field name -> value string as sent, first occurrence
    wins). ``quirks`` lists the tolerated deviations, ``warnings`` soft findings (size above the
    standard's 1024/950 limits, unknown ST/CN, duplicate CP fields).
    """

    raw: bytes  # the frame without its CR LF
    segment: str  # the data segment (decrypted if it was encrypted)
    header: dict[str, str]
    cp: dict[str, str]
    cp_body: str  # between "CP=&&" and the final "&&"
    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    declared_length: int
    length_ok: bool
    length_basis: str  # "bytes", "chars" (UTF-16 count) or "" when it did not match
    crc_field: str
    crc_ok: bool  # the HJ 212 CRC (of bytes, or of chars) matches
    crc_variant: str  # hj212, hj212-chars, modbus, modbus-swapped, ignored, "" (mismatch)
    edition: str  # "2005", "2017" or "2025"
    edition_source: str  # flag, markers, factor-codes, date
    encrypted: bool = False
    quirks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    cp_items_: list[tuple[str, str]] | None = None
    records_: CpRecords | None = None

    @property
    def ok(self) -> bool:
        return True

    @property
    def needs_answer(self) -> bool:
        """Flag bit 0: the receiver must answer (2017 letter A, 2025 letter D)."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def is_split(self) -> bool:
        """Flag bit 1 (or PNUM/PNO present without a Flag, as 2005-style devices send)."""
        if self.flag is not None and self.flag & 2:
            return True
        return self.pnum is not None

    @property
    def version_bits(self) -> int | None:
        return None if self.flag is None else self.flag >> 2

    @property
    def resent(self) -> bool:
        """HJ 212-2025 ``RF=1``: a resent (补传) packet."""
        return self.header.get("RF") == "1"

    @property
    def cp_items(self) -> list[tuple[str, str]]:
        """Every CP item in order, duplicates included."""
        if self.cp_items_ is None:
            self.cp_items_ = parse_cp_body(self.cp_body).items
        return self.cp_items_

    @property
    def records(self) -> CpRecords:
        """Structured per-factor view of the CP area (built on first use)."""
        if self.records_ is None:
            self.records_ = build_records(self.cp_items)
        return self.records_

    @property
    def data_time(self) -> dt.datetime | None:
        return parse_hj_time(self.cp.get("DataTime"))

    @property
    def factor_code_style(self) -> str | None:
        """``"2005"`` or ``"2017"`` (2017 and 2025 share codes) from the CP field names."""
        return factor_code_style(self.cp)


def parse_frame(
    frame: bytes,
    tolerance: Tolerance = DEFAULT,
    *,
    received_on: dt.date | None = None,
    decrypt_cp: CpDecryptor | None = None,
) -> Packet | Rejection:
    """Parse one frame (``##`` ... CRC, with or without its CR LF) -> ``Packet`` or ``Rejection``.

    Never raises on bad input. ``received_on`` is the date used to choose the edition when the
    packet itself does not tell (default: the QN's or DataTime's date, else today).
    ``decrypt_cp`` decrypts an HJ 212-2025 SM4-encrypted CP region (16-byte blocks).
    """
    if type(frame) is not bytes:
        frame = bytes(frame)
    if frame.endswith((b"\n", b"\r")):
        frame = frame.rstrip(b"\r\n")
    length_field, crc_bytes = frame[2:6], frame[-4:]
    if (
        not frame.startswith(b"##")
        or len(frame) < 10
        or not length_field.isdigit()
        or crc_bytes.translate(None, _HEX_DIGITS)
        or len(frame) - 10 > tolerance.max_segment
    ):
        return _check_envelope(frame, tolerance) or Rejection(rc.NO_HEADER, "bad frame")
    segment = frame[6:-4]
    declared = int(length_field)
    sent_crc = int(crc_bytes, 16)
    if declared == len(segment) and hj212_crc16(segment) == sent_crc:
        fast = _parse_conforming(frame, segment, crc_bytes)
        if fast is not None:
            return fast
        check = _FAST_CHECK
    else:
        check = _check_slow(segment, declared, sent_crc, tolerance, decrypt_cp)
        segment = check.segment
    if not check.error and not segment.isascii() and not _is_text(segment):
        # Not text although the checks passed: HJ 212-2025 ciphertext whose CRC happens to match
        # (the CRC has only 256 values), or a decryption that produced garbage.
        check, segment = _resolve_ciphertext(segment, sent_crc, check, decrypt_cp)
    quirks = check.quirks
    if crc_bytes.translate(None, _UPPER_HEX_DIGITS):
        quirks = (*quirks, "lowercase-hex")
    return _build(frame, segment, declared, crc_bytes, check, quirks, tolerance, received_on)


_UPPER_HEX_DIGITS = b"0123456789ABCDEF"
# Layouts of the packets parsed so far, per (MN, CN): the fast path's fast path (layouts.py).
LAYOUTS = LayoutCache()


class _Tables:
    """Code tables the fast path needs, read once from the data files."""

    systems = codes.known_systems()
    commands = codes.known_commands()
    editions = codes.version_editions()
    cp_limit = codes.limit("cp_chars_2017") - 7  # the body, without "CP=&&" and "&&"


def _parse_conforming(frame: bytes, segment: bytes, crc_bytes: bytes) -> Packet | None:
    """The common case in one pass: length and CRC verified, upper-case CRC, ASCII, well-formed
    header with CN and a 2017/2025-style Flag, no split, a well-formed CP. None otherwise
    (the general path then handles, and explains, everything else)."""
    if not segment.isascii() or not (crc_bytes.isupper() or crc_bytes.isdigit()):
        return None  # (the CRC field is known to be hex here: upper-case or all digits)
    text = segment.decode("ascii")
    cp_at = text.find(_CP_MARK)
    if cp_at < 1 or text[cp_at - 1] != ";" or len(text) - cp_at < 7 or not text.endswith("&&"):
        return None
    body = text[cp_at + 5 : -2]
    layout = LAYOUTS.get(segment)
    match = layout.pattern.fullmatch(text) if layout is not None else None
    if layout is not None and match is not None:  # laid out as this device's last packet
        values = match.groups()
        header = dict(zip(layout.header_names, values, strict=False))
        cp = layout.cp(values)
    else:
        split = _split_conforming(text, cp_at, body)
        if split is None:
            return None
        header, cp = split
    flag_text = header.get("Flag")
    cn = header.get("CN")
    if (
        cn is None
        or flag_text is None
        or not flag_text.isdigit()
        or len(flag_text) > 3
        or "PNUM" in header
        or "PNO" in header
    ):
        return None
    flag = int(flag_text)
    edition = _Tables.editions.get(flag >> 2)
    if flag > 255 or edition is None:
        return None
    st = header.get("ST")
    packet = Packet(
        frame, text, header, cp, body, header.get("QN"), st, cn, header.get("PW"),
        header.get("MN"), flag, None, None, len(segment), True, "bytes",
        crc_bytes.decode("ascii"), True, "hj212", edition, "flag",
    )  # fmt: skip
    if len(body) > _Tables.cp_limit or st not in _Tables.systems or cn not in _Tables.commands:
        packet.warnings = tuple(_warnings(packet, len(segment)))
    if match is None:
        LAYOUTS.learn(segment, header, cp, body)
    return packet


def _split_conforming(text: str, cp_at: int, body: str) -> tuple[dict, dict] | None:
    """Header and CP items in one string, split once: "QN=..;...;Flag=5;DataTime=..;a-Rtd=1,..".
    None when an item lacks its one ``=``, or a name is empty or repeated."""
    flat = text[:cp_at] + body if body else text[: cp_at - 1]
    equals = separators_alternate(flat)
    if not equals:
        return None
    parts = flat.replace(",", ";").replace("=", ";").split(";")
    split_at = 2 * text.count(";", 0, cp_at)  # header items end with ";"
    header = dict(zip(parts[0:split_at:2], parts[1:split_at:2], strict=False))
    cp = dict(zip(parts[split_at::2], parts[split_at + 1 :: 2], strict=False))
    if len(header) + len(cp) != equals or "" in cp or "" in header:
        return None  # duplicate or empty names: the careful path keeps the first and warns
    return header, cp


def _check_envelope(frame: bytes, tolerance: Tolerance) -> Rejection | None:
    """``##``, a 4-digit length, a 4-hex-digit CRC and the size limit."""
    if frame[:2] != b"##":
        return Rejection(rc.NO_HEADER, f"frame does not start with '##' (starts {frame[:8]!r})")
    if len(frame) < 10:
        return Rejection(
            rc.TOO_SHORT, f"frame of {len(frame)} bytes is shorter than 10", None, frame
        )
    if not frame[2:6].isdigit():
        return Rejection(
            rc.BAD_LENGTH_FIELD, f"length field {frame[2:6]!r} is not 4 decimal digits", None, frame
        )
    if frame[-4:].translate(None, _HEX_DIGITS):
        return Rejection(
            rc.BAD_CRC_FIELD, f"CRC field {frame[-4:]!r} is not 4 hex digits", None, frame
        )
    if len(frame) - 10 > tolerance.max_segment:
        return Rejection(
            rc.OVERSIZE,
            f"data segment of {len(frame) - 10} bytes exceeds the maximum {tolerance.max_segment}",
            None,
            frame,
        )
    return None


@dataclass(slots=True)
class _Check:
    """Outcome of the length and CRC checks."""

    segment: bytes
    length_ok: bool
    length_basis: str
    crc_ok: bool
    crc_variant: str
    encrypted: bool
    quirks: tuple[str, ...]
    error: tuple[str, str] | None


_FAST_CHECK = _Check(b"", True, "bytes", True, "hj212", False, (), None)


def _check_slow(
    segment: bytes,
    declared: int,
    sent_crc: int,
    tolerance: Tolerance,
    decrypt_cp: CpDecryptor | None,
) -> _Check:
    """Length and CRC when the fast byte interpretation failed: character counting, decryption,
    the Modbus variants and the tolerances, in that order."""
    quirks: list[str] = []
    encrypted = False
    crc_variant = _crc_variant(segment, sent_crc, tolerance)
    if not crc_variant and decrypt_cp is not None:
        plain = _decrypt_segment(segment, decrypt_cp)
        if plain is not None and hj212_crc16(plain) == sent_crc and _is_text(plain):
            segment, encrypted, crc_variant = plain, True, "hj212"
    crc_ok = crc_variant in ("hj212", "hj212-chars")
    if crc_variant in ("modbus", "modbus-swapped"):
        quirks.append("modbus-crc" if crc_variant == "modbus" else "swapped-crc")
    if not crc_variant and tolerance.ignore_crc:
        crc_variant = "ignored"
        quirks.append("ignore-crc")
    length_basis = _length_basis(segment, declared, tolerance)
    if not length_basis and tolerance.wrong_length:
        quirks.append("wrong-length")
    error = None
    if not crc_variant:
        error = _crc_error(segment, declared, sent_crc, length_basis, tolerance)
    elif not length_basis and not tolerance.wrong_length:
        error = (
            rc.LENGTH_MISMATCH,
            f"length field {declared:04d} but the data segment has {len(segment)} bytes"
            f" ({len(segment) - declared:+d}); tolerance 'wrong-length' accepts this",
        )
    return _Check(
        segment,
        bool(length_basis),
        length_basis,
        crc_ok,
        crc_variant,
        encrypted,
        tuple(quirks),
        error,
    )


def _crc_variant(segment: bytes, sent_crc: int, tolerance: Tolerance) -> str:
    """Which accepted CRC rule the sent value satisfies ("" if none)."""
    if hj212_crc16(segment) == sent_crc:
        return "hj212"
    if tolerance.char_count and not segment.isascii():
        text = _decode_or_none(segment)
        if text is not None and hj212_crc16_chars(text) == sent_crc:
            return "hj212-chars"
    if tolerance.swapped_crc or tolerance.modbus_crc:
        modbus = modbus_crc16(segment)
        if tolerance.swapped_crc and swap_bytes(modbus) == sent_crc:
            return "modbus-swapped"
        if tolerance.modbus_crc and modbus == sent_crc:
            return "modbus"
    return ""


def _length_basis(segment: bytes, declared: int, tolerance: Tolerance) -> str:
    if declared == len(segment):
        return "bytes"
    if tolerance.char_count and not segment.isascii():
        text = _decode_or_none(segment)
        if text is not None and len(text.encode("utf-16-le")) // 2 == declared:
            return "chars"
    return ""


def _crc_error(
    segment: bytes, declared: int, sent_crc: int, length_basis: str, tolerance: Tolerance
) -> tuple[str, str]:
    """The CRC rejection, with a hint when a known variant (or SM4 encryption) explains it."""
    hj = format_crc(hj212_crc16(segment))
    if not segment.isascii() and not _is_text(segment):
        return (
            rc.ENCRYPTED_CP,
            f"data segment is not text and its CRC {format_crc(sent_crc)} does not match ({hj});"
            " an HJ 212-2025 SM4-encrypted CP region needs the device key (decrypt_cp)",
        )
    modbus = modbus_crc16(segment)
    hint = ""
    if swap_bytes(modbus) == sent_crc:
        hint = "; it is CRC-16/MODBUS byte-swapped (tolerance 'swapped-crc')"
    elif modbus == sent_crc:
        hint = "; it is CRC-16/MODBUS (tolerance 'modbus-crc')"
    length_note = "" if length_basis else f"; length field {declared:04d} is wrong too"
    return (
        rc.CRC_MISMATCH,
        f"CRC field {format_crc(sent_crc)} but the HJ 212 CRC of the {len(segment)}-byte data"
        f" segment is {hj}{hint}{length_note}",
    )


_CONTROL_BYTES = bytes(range(32)) + b"\x7f"


def _is_text(data: bytes) -> bool:
    """UTF-8 without control bytes: what a plaintext segment is (ciphertext almost never is)."""
    return _decode_or_none(data) is not None and not any(byte in data for byte in _CONTROL_BYTES)


def _resolve_ciphertext(
    segment: bytes, sent_crc: int, check: _Check, decrypt_cp: CpDecryptor | None
) -> tuple[_Check, bytes]:
    """Decrypt a non-text segment if a key is available, else reject it as encrypted."""
    plain = _decrypt_segment(segment, decrypt_cp) if decrypt_cp is not None else None
    if plain is not None and hj212_crc16(plain) == sent_crc and _is_text(plain):
        decrypted = _Check(plain, check.length_ok, check.length_basis, True, "hj212", True,
                           check.quirks, None)  # fmt: skip
        return decrypted, plain
    message = (
        "data segment is not text; an HJ 212-2025 SM4-encrypted CP region needs the device key"
        " (decrypt_cp)" + ("" if decrypt_cp is None else ", and the key given did not decrypt it")
    )
    error = (rc.ENCRYPTED_CP, message)
    rejected = _Check(segment, check.length_ok, check.length_basis, check.crc_ok,
                      check.crc_variant, False, check.quirks, error)  # fmt: skip
    return rejected, segment


def _decode_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def split_encrypted_region(segment: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(up to and with ``CP=&&``, the whole 16-byte blocks that HJ 212-2025 encrypts, the
    shorter tail with the final ``&&``) of a data segment (Appendix A.2 [3P]); None when the
    segment has no CP region. Used both to decrypt and, for simulated devices, to encrypt."""
    start = segment.find(_CP_MARK_BYTES)
    if start < 0 or not segment.endswith(b"&&"):
        return None
    start += len(_CP_MARK_BYTES)
    region = segment[start:-2]
    whole = len(region) - len(region) % codes.protocol()["encryption_2025"]["block_bytes"]
    return segment[:start], region[:whole], region[whole:] + b"&&"


def _decrypt_segment(segment: bytes, decrypt_cp: CpDecryptor) -> bytes | None:
    """Plaintext segment: the encrypted blocks of the CP region decrypted, the rest as is."""
    parts = split_encrypted_region(segment)
    if parts is None:
        return None
    head, blocks, tail = parts
    try:
        plain = decrypt_cp(blocks)
    except Exception:  # a wrong key or a broken cipher must not escape the codec
        return None
    if len(plain) != len(blocks):
        return None
    return head + plain + tail


def _build(
    frame: bytes,
    segment_bytes: bytes,
    declared: int,
    crc_bytes: bytes,
    check: _Check,
    quirks: tuple[str, ...],
    tolerance: Tolerance,
    received_on: dt.date | None,
) -> Packet | Rejection:
    """Decode and split the segment, then accept or reject."""
    try:
        text = segment_bytes.decode("ascii")
    except UnicodeDecodeError:
        text = segment_bytes.decode("utf-8", "replace")
    cp_at = text.find(_CP_MARK)
    head = text[:cp_at] if cp_at >= 0 else text
    header = _parse_header(head)
    get = header.get
    packet = Packet(
        raw=frame,
        segment=text,
        header=header,
        cp={},
        cp_body="",
        qn=get("QN"),
        st=get("ST"),
        cn=get("CN"),
        pw=get("PW"),
        mn=get("MN"),
        flag=None,
        pnum=None,
        pno=None,
        declared_length=declared,
        length_ok=check.length_ok,
        length_basis=check.length_basis,
        crc_field=crc_bytes.decode("ascii"),
        crc_ok=check.crc_ok,
        crc_variant=check.crc_variant,
        edition="",
        edition_source="",
        encrypted=check.encrypted,
        quirks=quirks,
    )
    error = check.error
    cp_error = _attach_cp(packet, text, cp_at)
    number_error = _attach_numbers(packet)
    packet.edition, packet.edition_source = detect_edition(packet, received_on)
    warnings = _warnings(packet, len(segment_bytes))
    if warnings:
        packet.warnings = (*packet.warnings, *warnings)
    if error is None and "lowercase-hex" in quirks and not tolerance.lowercase_hex:
        error = (rc.LOWERCASE_CRC, f"CRC field {packet.crc_field!r} uses lower-case hex digits")
    error = error or cp_error or number_error
    if error is None and packet.cn is None:
        error = (rc.MISSING_FIELD, "header has no CN (command code)")
    if error is not None:
        code, message = error
        return Rejection(code, f"{message} [{_where(packet)}]", packet, frame)
    return packet


def _where(packet: Packet) -> str:
    """Who sent it, for error messages."""
    parts = [
        f"{name}={value}"
        for name, value in (("MN", packet.mn), ("QN", packet.qn), ("CN", packet.cn))
        if value
    ]
    return " ".join(parts) or "no MN/QN/CN"


# Every byte except the separators, for bytes.translate(None, delete).
_KEEP_HEADER_SEPARATORS = bytes(b for b in range(256) if b not in b"=;")


def _parse_header(head: str) -> dict[str, str]:
    """``QN=...;ST=..;...;`` -> dict (first occurrence wins; items without ``=`` are skipped).

    Fast path as in ``cp.split_cp``: when the separators read ``=;=;...=`` the split alternates
    names and values.
    """
    if head.endswith(";"):
        head = head[:-1]
    if not head:
        return {}
    signature = head.encode("utf-8").translate(None, _KEEP_HEADER_SEPARATORS)
    equals = signature.count(b"=")
    if equals == len(signature) - equals + 1 and b"=" not in signature[1::2]:
        parts = head.replace("=", ";").split(";")
        header = dict(zip(parts[0::2], parts[1::2], strict=False))
        if len(header) == equals:
            return header
    header = {}
    for item in head.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip()
        if sep and name and name not in header:
            header[name] = value
    return header


def _attach_cp(packet: Packet, text: str, cp_at: int) -> tuple[str, str] | None:
    """Fill ``cp``/``cp_body`` from ``CP=&&...&&``; an error when the region is malformed."""
    if cp_at < 0:
        return (rc.BAD_CP, "no 'CP=&&' data area")
    if cp_at > 0 and text[cp_at - 1] != ";":
        return (rc.BAD_CP, "'CP=&&' does not start a header item")
    if not text.endswith("&&") or len(text) - cp_at < 7:
        return (rc.BAD_CP, "CP data area is not closed by '&&'")
    body = text[cp_at + 5 : -2]
    packet.cp_body = body
    fields = split_cp(body) if body and not body[0].isspace() and not body[-1].isspace() else None
    if fields is None:
        parsed = parse_cp_body(body)
        fields = parsed.fields
        packet.cp_items_ = parsed.items
        if parsed.warnings:
            packet.warnings = (*packet.warnings, *parsed.warnings)
    packet.cp = fields
    return None


def _attach_numbers(packet: Packet) -> tuple[str, str] | None:
    """Flag (0..255), PNUM and PNO (positive integers) as ints."""
    header = packet.header
    flag = header.get("Flag")
    if flag is not None:
        if not (flag.isascii() and flag.isdigit() and int(flag) <= 255):
            return (rc.BAD_FLAG, f"Flag={flag!r} is not an integer 0..255")
        packet.flag = int(flag)
    for name in ("PNUM", "PNO"):
        value = header.get(name)
        if value is None:
            continue
        if not (value.isascii() and value.isdigit() and int(value) > 0):
            return (rc.BAD_PACKET_NUMBER, f"{name}={value!r} is not a positive integer")
        setattr(packet, name.lower(), int(value))
    return None


def _warnings(packet: Packet, segment_size: int) -> list[str]:
    found: list[str] = []
    if segment_size > codes.limit("segment_chars"):
        found.append(f"segment-over-1024:{segment_size}")
    if len(packet.cp_body) + 7 > codes.limit("cp_chars_2017"):
        found.append(f"cp-over-950:{len(packet.cp_body) + 7}")
    if packet.st is not None and packet.st not in codes.known_systems():
        found.append(f"unknown-st:{packet.st[:10]}")
    if packet.cn is not None and packet.cn not in codes.known_commands():
        found.append(f"unknown-cn:{packet.cn[:10]}")
    if packet.pno is not None and packet.pnum is not None and packet.pno > packet.pnum:
        found.append(f"pno-above-pnum:{packet.pno}/{packet.pnum}")
    return found


def factor_code_style(cp: dict[str, str]) -> str | None:
    """``"2017"`` if the first decisive field name uses a 2017/2025 code (letter + 5 digits,
    e.g. a21026, w01018), ``"2005"`` for 2005 codes (2-3 digits, B01/B02, S01-S08), else None."""
    for name in cp:
        code, dash, _ = name.rpartition("-")
        if not dash:
            continue
        if len(code) == 6 and code[0] in "aw" and code[1:].isdigit():
            return "2017"
        if code.isdigit() and len(code) in (2, 3):
            return "2005"
        if len(code) == 3 and code[0] in "BS" and code[1:].isdigit():
            return "2005"
    return None


def detect_edition(packet: Packet, received_on: dt.date | None = None) -> tuple[str, str]:
    """(edition, how it was decided) for a parsed packet.

    1. ``flag``: Flag version bits (Flag >> 2: 0 = 2005, 1 = 2017, 2 = 2025). A hint, not proof
       (a Flag=8 packet predates HJ 212-2025), but the best evidence a packet carries.
    2. ``markers``: HJ 212-2025-only content (RF, CN 9015/1001/1002/1014/..., ST 44/45, encryption).
    3. ``factor-codes``: no usable Flag; 2005-style codes -> 2005, 2017-style -> 2017 (a 2025
       packet always carries Flag 8-11, so a Flag-less packet with 2017 codes is 2017).
    4. ``date``: ``edition_for("HJ212", date)`` with ``received_on``, else the QN's or DataTime's
       date, else today.
    """
    if packet.flag is not None:
        edition = codes.version_editions().get(packet.flag >> 2)
        if edition:
            return edition, "flag"
    fields_2025, commands_2025, systems_2025 = codes.markers_2025()
    if (
        packet.encrypted
        or packet.cn in commands_2025
        or packet.st in systems_2025
        or any(name in packet.header for name in fields_2025)
    ):
        return "2025", "markers"
    style = factor_code_style(packet.cp)
    if style is not None:
        return style, "factor-codes"
    day = received_on or _packet_date(packet) or dt.date.today()
    return edition_for("HJ212", day), "date"


def _packet_date(packet: Packet) -> dt.date | None:
    for text in (packet.qn, packet.cp.get("DataTime")):
        moment = parse_hj_time(text)
        if moment is not None:
            return moment.date()
    return None
