"""`coact hj212` commands: inspect HJ 212 packets with the pure codec (no Django)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Iterator
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
    parse.add_argument(
        "--sm4-key",
        default="",
        metavar="KEY",
        help="decrypt HJ 212-2025 data areas with this SM4 key (32 hex digits or 16 characters)",
    )
    parse.set_defaults(handler=run_parse)
    _register_simulate(sub)
    _register_gateway(sub)


def _register_simulate(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser(
        "simulate",
        help="play realistic device traffic (2011/2051/2061, HJ 212-2017) against a gateway",
        description="Open one TCP connection per device and upload packets at --rate packets/s"
        " in total, with injected faults. Devices come from --mn-file (MN,PW[,air|water] per"
        " line) or from the database (--from-db).",
    )
    sim.add_argument("--devices", type=int, default=10, help="number of devices (default 10)")
    sim.add_argument("--rate", type=float, default=50.0, help="packets per second, all devices")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9212)
    sim.add_argument("--duration", type=float, default=10.0, help="seconds (default 10)")
    sim.add_argument("--count", type=int, default=None, help="stop after this many packets")
    sim.add_argument(
        "--faults",
        default="",
        help="NAME[=P],... with P a probability per packet: bad-crc, garbage, split, exceed,"
        " wrong-password, unknown-mn, clock-drift, impossible",
    )
    sim.add_argument("--mn-file", help="registered devices: MN,PW[,medium] per line")
    sim.add_argument("--from-db", action="store_true", help="registered devices from the database")
    sim.add_argument("--acked-file", help="append 'MN QN' of every answered packet here")
    sim.add_argument("--seed", type=int, default=212)
    sim.set_defaults(handler=run_simulate)


def _register_gateway(sub: argparse._SubParsersAction) -> None:
    gw = sub.add_parser(
        "gateway",
        help="run the HJ 212 TCP gateway (needs the database)",
        description="Accept device connections, archive every packet, store readings, answer"
        " after the batch is committed, raise alarms. SIGINT/SIGTERM drain and stop.",
    )
    gw.add_argument("--host", default="127.0.0.1")
    gw.add_argument("--port", type=int, default=9212)
    gw.add_argument("--reuse-port", action="store_true", help="SO_REUSEPORT: several processes")
    gw.add_argument("--idle-timeout", type=float, default=600.0, help="seconds (default 600)")
    gw.add_argument("--rate-limit", type=float, default=20.0, help="packets/s per connection")
    gw.add_argument("--stop-after", type=float, default=None, help="stop after N seconds")
    gw.add_argument("--status-every", type=float, default=0.0, help="print counters every N s")
    gw.add_argument("--no-alarms", action="store_true", help="store only; no alarm evaluation")
    gw.set_defaults(handler=run_gateway)


def run_simulate(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.monitoring.gateway import simulate

    try:
        faults = simulate.parse_faults(args.faults)
        if args.mn_file:
            devices = simulate.load_devices(Path(args.mn_file))
        elif args.from_db:
            devices = _devices_from_db()
        else:
            raise CliError(
                "give --mn-file FILE or --from-db (only registered devices are accepted)"
            )
    except (ValueError, OSError) as error:
        raise CliError(str(error)) from error
    if args.rate <= 0 or args.devices <= 0:
        raise CliError("--rate and --devices must be positive")
    summary = simulate.run_simulation(
        devices=devices[: args.devices],
        host=args.host,
        port=args.port,
        rate=args.rate,
        faults=faults,
        duration=args.duration,
        count=args.count,
        seed=args.seed,
        acked_file=Path(args.acked_file) if args.acked_file else None,
    )
    print(simulate.dumps(summary))
    return 0


def _devices_from_db() -> list[Any]:
    from coact.cli.django_setup import setup_django

    setup_django()
    from coact.monitoring.gateway.simulate import SimDevice
    from coact.monitoring.models import Device

    rows = Device.objects.filter(active=True).values_list("mn", "password", "outlet__medium")
    return [SimDevice(mn, pw, medium) for mn, pw, medium in rows]


def run_gateway(args: argparse.Namespace) -> int:
    from coact.monitoring.gateway.main import run_gateway as run

    return run(
        args.host,
        args.port,
        reuse_port=args.reuse_port,
        idle_timeout=args.idle_timeout,
        stop_after=args.stop_after,
        status_every=args.status_every,
        alarms=not args.no_alarms,
        packets_per_second=args.rate_limit,
    )


def run_parse(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.engines.hj212 import Framer, Tolerance, parse_frame

    try:
        tolerance = Tolerance.from_names(args.tolerate)
    except ValueError as error:
        raise CliError(f"--tolerate: {error}") from error
    decrypt_cp = None
    if args.sm4_key:
        from coact.engines.hj212.sm4 import parse_sm4_key, sm4_ecb_decryptor

        try:
            decrypt_cp = sm4_ecb_decryptor(parse_sm4_key(args.sm4_key))
        except ValueError as error:
            raise CliError(f"--sm4-key: {error}") from error
    parse = functools.partial(parse_frame, decrypt_cp=decrypt_cp)
    source = _open(args.file)
    where = args.file or "stdin"
    try:
        if args.stream:
            records = _stream_records(source.read(), Framer(tolerance), tolerance, parse)
        else:
            records = (
                (f"{where}:{number}", parse(line, tolerance))
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


def _stream_records(
    data: bytes, framer: Any, tolerance: Any, parse: Callable[..., Any]
) -> Iterator[tuple[str, Any]]:
    for index, result in enumerate([*framer.feed(data), *framer.flush()], start=1):
        location = f"frame {index}"
        if result.error is not None:
            yield location, result.error
        else:
            yield location, parse(result.frame, tolerance)


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
    # Header fields are printed as sent (strings), like the CP values; Flag included.
    for key in ("flag", "pnum", "pno"):
        if summary[key] is not None:
            summary[key] = str(summary[key])
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
