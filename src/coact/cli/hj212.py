"""`coact hj212` commands: inspect HJ 212 packets with the pure codec (no Django)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hj212", help="HJ 212 online-monitoring packets")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    parse = sub.add_parser(
        "parse",
        help="parse packets, one per line (or a raw stream with --stream)",
        description="Parse HJ 212 packets from FILE or stdin: one packet per line; lines starting"
        " with '#' (but not '##') and blank lines are skipped, trailing CR/LF stripped.",
    )
    parse.add_argument("file", nargs="?", metavar="FILE", help="input file (default: stdin)")
    parse.add_argument("--json", action="store_true", help="one JSON object per packet")
    parse.add_argument(
        "--tolerate",
        default="",
        metavar="NAMES",
        help="comma-separated tolerances: wrong-length, swapped-crc, modbus-crc, ignore-crc,"
        " missing-crlf, lowercase-hex, char-count; 'all'; 'none' (strict); prefix 'no-' to"
        " turn one off. Default: lowercase-hex and char-count only.",
    )
    parse.add_argument(
        "--stream",
        action="store_true",
        help="the input is a raw byte stream (e.g. a TCP capture): cut it with the Framer",
    )
    parse.set_defaults(handler=run_parse)


def run_parse(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.engines.hj212 import Framer, Tolerance, parse_frame

    try:
        tolerance = Tolerance.from_names(args.tolerate)
    except ValueError as error:
        raise CliError(f"--tolerate: {error}") from error
    source = _open(args.file)
    where = args.file or "stdin"
    try:
        if args.stream:
            records = _stream_records(source.read(), Framer(tolerance), tolerance)
        else:
            records = (
                (f"{where}:{number}", parse_frame(line, tolerance))
                for number, line in _packet_lines(source)
            )
        for location, result in records:
            print(_format(location, result, args.json))
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return 0


def _open(path: str | None) -> BinaryIO:
    from coact.cli import CliError

    if path is None or path == "-":
        return sys.stdin.buffer
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from error


def _packet_lines(source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, packet bytes) for every non-comment, non-blank line."""
    for number, raw in enumerate(source, start=1):
        line = raw.strip()
        if not line or (line.startswith(b"#") and not line.startswith(b"##")):
            continue
        yield number, line


def _stream_records(data: bytes, framer: Any, tolerance: Any) -> Iterator[tuple[str, Any]]:
    from coact.engines.hj212 import parse_frame

    for index, result in enumerate([*framer.feed(data), *framer.flush()], start=1):
        location = f"frame {index}"
        if result.error is not None:
            yield location, result.error
        else:
            yield location, parse_frame(result.frame, tolerance)


def packet_summary(result: Any) -> dict[str, Any]:
    """The JSON object of one parse result (the keys `coact hj212 parse --json` prints)."""
    packet = result if result.ok else result.packet
    summary: dict[str, Any] = {
        "ok": bool(result.ok),
        "error": None if result.ok else result.code,
        "message": None if result.ok else result.message,
    }
    keys = ("crc_ok", "length_ok", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno")
    for key in keys:
        summary[key] = getattr(packet, key) if packet is not None else None
    if packet is None:
        summary["crc_ok"] = summary["length_ok"] = False
    summary["cp"] = dict(packet.cp) if packet is not None else {}
    summary["edition"] = packet.edition if packet is not None else None
    summary["crc_variant"] = packet.crc_variant if packet is not None else None
    summary["quirks"] = list(packet.quirks) if packet is not None else []
    summary["warnings"] = list(packet.warnings) if packet is not None else []
    return summary


def _format(location: str, result: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(packet_summary(result), ensure_ascii=False)
    if not result.ok:
        return f"{location}: REJECTED {result.code}: {result.message}"
    packet = result
    extras = f" quirks={','.join(packet.quirks)}" if packet.quirks else ""
    extras += f" warnings={','.join(packet.warnings)}" if packet.warnings else ""
    return (
        f"{location}: ok CN={packet.cn} ST={packet.st} MN={packet.mn} QN={packet.qn}"
        f" Flag={packet.flag} edition={packet.edition} fields={len(packet.cp)}{extras}"
    )
