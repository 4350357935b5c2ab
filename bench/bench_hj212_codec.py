"""Benchmark the HJ 212 codec: packets/second per core for parse_frame, and Framer + parse_frame
over a byte stream, against a naive baseline (regex envelope, byte-by-byte table CRC as in
shared/reference/hj212.md section 3, str.split loops) measured in the same run.

Run: .venv/bin/python bench/bench_hj212_codec.py [--seconds 1.0]
Times are CPU seconds of this process (time.process_time), so other load on the machine
inflates them less than wall time would; the best of 5 rounds is reported.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

from coact.engines.hj212 import Framer, parse_frame
from coact.engines.hj212.reply import encode_packet

# Typical packets: a 2017 real-time upload (2011, flue gas, 7 factors), a 2017 minute upload
# (2051, 6 factors with Cou/Min/Avg/Max/Flag) and a real hourly packet (2061, 612 bytes).
REALTIME = (
    b"##0318QN=20240123123950241;ST=31;CN=2011;PW=123456;MN=81733553216103;Flag=4;CP=&&"
    b"DataTime=20240122081600;a00000-Rtd=5.407,a00000-Flag=N;a01011-Rtd=7.072,a01011-Flag=N;"
    b"a01013-Rtd=-0.052,a01013-Flag=N;a01012-Rtd=6.480,a01012-Flag=N;a24088-Rtd=0.804,"
    b"a24088-Flag=N;a05002-Rtd=0.000,a05002-Flag=N;a01014-Rtd=0.970,a01014-Flag=N&&6740"
)
MINUTE = encode_packet(
    {
        "QN": "20240123124000123",
        "ST": "31",
        "CN": "2051",
        "PW": "123456",
        "MN": "010000A8900016F000169DC0",
        "Flag": 5,
    },
    [("DataTime", "20240123123900")]
    + [
        (f"{code}-{suffix}", value)
        for code in ("a21026", "a21002", "a34013", "a19001", "a01012", "a00000")
        for suffix, value in (
            ("Cou", "12.345"),
            ("Min", "10.1"),
            ("Avg", "11.52"),
            ("Max", "13.4"),
            ("Flag", "N"),
        )
    ],
)[:-2]
HOURLY = (
    b"##0612QN=20240123101501421;ST=31;CN=2061;PW=123456;MN=81733553216103;Flag=4;CP=&&"
    b"DataTime=20240122170000;a00000-Cou=19191.973,a00000-Min=5.051,a00000-Avg=5.331,"
    b"a00000-Max=5.617,a00000-Flag=N;a01011-Min=6.686,a01011-Avg=7.029,a01011-Max=7.425,"
    b"a01011-Flag=N;a01013-Min=-0.041,a01013-Avg=-0.026,a01013-Max=0.011,a01013-Flag=N;"
    b"a01012-Min=8.074,a01012-Avg=8.524,a01012-Max=8.789,a01012-Flag=N;a24088-Cou=0.018,"
    b"a24088-Min=0.665,a24088-Avg=0.933,a24088-Max=1.418,a24088-Flag=N;a05002-Cou=0.000,"
    b"a05002-Min=0.000,a05002-Avg=0.000,a05002-Max=0.000,a05002-Flag=N;a01014-Min=0.828,"
    b"a01014-Avg=1.040,a01014-Max=1.239,a01014-Flag=N&&0E40"
)

# --- naive baseline: the obvious implementation ----------------------------------------------

_TABLE = []
for _index in range(256):
    _value = _index
    for _ in range(8):
        _value = (_value >> 1) ^ 0xA001 if _value & 1 else _value >> 1
    _TABLE.append(_value)
_NAIVE_FRAME = re.compile(rb"^##(\d{4})(.*)([0-9A-Fa-f]{4})\r?\n?$", re.S)


def naive_crc(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc = _TABLE[(crc >> 8) ^ byte]
    return crc


def naive_parse(frame: bytes) -> dict | None:
    match = _NAIVE_FRAME.match(frame)
    if match is None:
        return None
    length, segment, crc = match.groups()
    if int(length) != len(segment) or naive_crc(segment) != int(crc, 16):
        return None
    text = segment.decode("utf-8")
    head, _, cp = text.partition("CP=&&")
    header = {}
    for item in head.split(";"):
        if "=" in item:
            name, value = item.split("=", 1)
            header[name] = value
    fields = {}
    for group in cp[:-2].split(";"):
        for item in group.split(","):
            if "=" in item:
                name, value = item.split("=", 1)
                fields[name] = value
    return {"header": header, "cp": fields}


# --- measurement -------------------------------------------------------------------------------


def best_rate(work: Callable[[], int], seconds: float) -> float:
    """Items per CPU second, best of 5 rounds of about ``seconds / 5`` each."""
    best = 0.0
    for _ in range(5):
        done, start = 0, time.process_time()
        while time.process_time() - start < seconds / 5:
            done += work()
        best = max(best, done / (time.process_time() - start))
    return best


def parse_loop(parse: Callable[[bytes], object], frame: bytes, n: int = 2000) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            parse(frame)
        return n

    return run


def stream_loop(frames: list[bytes], repeat: int = 300) -> tuple[Callable[[], int], int]:
    """Framer + parse_frame over a stream cut into 1460-byte TCP segments."""
    stream = b"".join(f + b"\r\n" for f in frames) * repeat
    chunks = [stream[i : i + 1460] for i in range(0, len(stream), 1460)]
    count = len(frames) * repeat

    def run() -> int:
        framer = Framer()
        parsed = 0
        for chunk in chunks:
            for result in framer.feed(chunk):
                if result.frame is not None and parse_frame(result.frame).ok:
                    parsed += 1
        assert parsed == count
        return count

    return run, count


# What one device sends per hour (HJ 212-2017: RtdInterval 30..3600 s, MinInterval 1..30 min;
# shared/reference/hj212.md sections 4 and 10): the densest schedule the standard allows, and the
# common one (real-time every 30 s, minute data every 10 min), each with its hourly packet.
SCHEDULES = {
    "mix 30 s / 1 min / 1 h": {"2011": 120, "2051": 60, "2061": 1},
    "mix 30 s / 10 min / 1 h": {"2011": 120, "2051": 6, "2061": 1},
}


def mix_rate(rates: dict[str, tuple[float, float]], schedule: dict[str, int], side: int) -> float:
    """Packets/s of a traffic mix: the packets of one device-hour over the time they take."""
    seconds = sum(count / rates[cn][side] for cn, count in schedule.items())
    return sum(schedule.values()) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per figure")
    args = parser.parse_args()
    for frame in (REALTIME, MINUTE, HOURLY):
        assert parse_frame(frame).ok and naive_parse(frame) is not None
        assert naive_parse(frame)["cp"] == parse_frame(frame).cp
    print(f"{'packet':<34}{'codec pkt/s':>14}{'naive pkt/s':>14}{'ratio':>8}")
    rates: dict[str, tuple[float, float]] = {}
    for cn, name, frame in (
        ("2011", "2011 real-time, 318 B", REALTIME),
        ("2051", f"2051 minute, {len(MINUTE) - 10} B", MINUTE),
        ("2061", "2061 hourly, 612 B", HOURLY),
    ):
        codec = best_rate(parse_loop(parse_frame, frame), args.seconds)
        naive = best_rate(parse_loop(naive_parse, frame), args.seconds)
        rates[cn] = (codec, naive)
        print(f"{'parse ' + name:<34}{codec:>14,.0f}{naive:>14,.0f}{codec / naive:>8.2f}")
    for label, schedule in SCHEDULES.items():
        codec, naive = (mix_rate(rates, schedule, side) for side in (0, 1))
        print(f"{'parse, ' + label:<34}{codec:>14,.0f}{naive:>14,.0f}{codec / naive:>8.2f}")
    run, _ = stream_loop([REALTIME, MINUTE, HOURLY])
    print(f"{'framing+parse, mixed stream':<34}{best_rate(run, args.seconds):>14,.0f}")
    run, _ = stream_loop([REALTIME])
    print(f"{'framing+parse, real-time stream':<34}{best_rate(run, args.seconds):>14,.0f}")


if __name__ == "__main__":
    main()
