"""Realistic HJ 212-2017 device traffic for tests and benchmarks (no Django).

Each simulated data logger holds one TCP connection and uploads 2011 realtime, 2051 minute
and 2061 hourly packets (Flag=5: answer requested) with plausible flue-gas or wastewater
values, matching the 9014 answers it gets back by QN. Faults are injected with given
probabilities per packet:

- ``bad-crc``: the CRC is altered (the gateway archives and rejects it; no answer);
- ``garbage``: random bytes between packets;
- ``split``: the packet is written in three TCP segments a few milliseconds apart;
- ``exceed``: an hourly packet with SO2/NOx/PM or COD/NH3-N well above any limit;
- ``wrong-password``: the PW is wrong (quarantined, no answer);
- ``unknown-mn``: the MN is not registered (quarantined, no answer);
- ``clock-drift``: a realtime packet whose DataTime is an hour ahead;
- ``impossible``: O2 of 25 % or a negative concentration.

``--rate`` is the total packet rate of all devices together. One scheduler tick every 10 ms
sends the packets that are due, round-robin over the devices.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coact.engines.hj212.cp import encode_cp, format_hj_time
from coact.engines.hj212.reply import encode_packet, frame_segment

CHINA = dt.timezone(dt.timedelta(hours=8))
FAULTS = (
    "bad-crc",
    "garbage",
    "split",
    "exceed",
    "wrong-password",
    "unknown-mn",
    "clock-drift",
    "impossible",
)
NO_ANSWER = {"bad-crc", "wrong-password", "unknown-mn"}

# Plausible values (mean, spread) of a coal boiler's outlet and of a plant's discharge.
AIR = {
    "a21026": (25.0, 6.0),
    "a21002": (40.0, 8.0),
    "a34013": (4.0, 1.0),
    "a19001": (7.5, 0.6),
    "a01012": (55.0, 4.0),
    "a00000": (95.0, 8.0),
}
WATER = {
    "w01018": (28.0, 6.0),
    "w21003": (1.2, 0.4),
    "w21011": (0.25, 0.06),
    "w21001": (9.0, 2.0),
    "w01001": (7.3, 0.2),
    "w00000": (35.0, 5.0),
}
EXCEED = {"a21026": 400.0, "a21002": 600.0, "a34013": 120.0, "w01018": 900.0, "w21003": 80.0}


@dataclass
class SimDevice:
    mn: str
    password: str
    medium: str = "air"
    st: str = "31"
    qn_ms: int = 0
    rtd_time: dt.datetime | None = None
    minutes_back: int = 0
    hours_back: int = 0


@dataclass
class Stats:
    sent: int = 0
    expected_answers: int = 0
    answered: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    connect_errors: int = 0
    disconnects: int = 0
    other_replies: int = 0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return (
                round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)
                if ordered
                else None
            )

        return {
            "sent": self.sent,
            "expected_answers": self.expected_answers,
            "answered": self.answered,
            "ack_ms_p50": pct(0.5),
            "ack_ms_p99": pct(0.99),
            "faults": self.faults,
            "kinds": self.kinds,
            "connect_errors": self.connect_errors,
            "disconnects": self.disconnects,
            "other_replies": self.other_replies,
        }


def load_devices(path: Path) -> list[SimDevice]:
    """``MN,PW[,air|water]`` per line; ``#`` comments and blank lines skipped."""
    devices = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2:
            raise ValueError(f"{path}:{number}: expected MN,PW[,medium]")
        devices.append(SimDevice(parts[0], parts[1], parts[2] if len(parts) > 2 else "air"))
    return devices


def parse_faults(text: str) -> dict[str, float]:
    """``bad-crc=0.01,split=0.05`` (a name alone means 0.01)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _sep, value = part.partition("=")
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        out[name] = float(value) if value else 0.01
        if not 0 <= out[name] <= 1:
            raise ValueError(f"fault {name}: probability {value} is not between 0 and 1")
    return out


class PacketFactory:
    """Builds the next packet of a device (HJ 212-2017, Flag=5)."""

    def __init__(
        self, rng: random.Random, kind_mix: Sequence[tuple[str, float]] | None = None
    ) -> None:
        self.rng = rng
        self.kind_mix = list(kind_mix or [("2011", 0.8), ("2051", 0.15), ("2061", 0.05)])
        self._bodies: dict[tuple[str, str], list[str]] = {}

    def qn(self, device: SimDevice) -> str:
        now_ms = int(time.time() * 1000)
        device.qn_ms = max(now_ms, device.qn_ms + 1)  # unique per device, monotonic
        moment = dt.datetime.fromtimestamp(device.qn_ms / 1000, CHINA).replace(tzinfo=None)
        return format_hj_time(moment, milliseconds=True)

    def choose_cn(self) -> str:
        pick, total = self.rng.random(), 0.0
        for cn, share in self.kind_mix:
            total += share
            if pick < total:
                return cn
        return self.kind_mix[-1][0]

    def build(self, device: SimDevice, cn: str, fault: str | None) -> tuple[bytes, str]:
        now = dt.datetime.now(CHINA).replace(tzinfo=None, microsecond=0)
        data_time = self._data_time(device, cn, now, fault)
        if fault is None:  # the common case, from pre-built value sets (the simulator's cost)
            qn = self.qn(device)
            st = device.st if device.medium == "air" else "32"
            segment = (
                f"QN={qn};ST={st};CN={cn};PW={device.password};MN={device.mn};Flag=5;"
                f"CP=&&DataTime={format_hj_time(data_time)};{self._body(device.medium, cn)}&&"
            )
            return frame_segment(segment), qn
        table = AIR if device.medium == "air" else WATER
        suffixes = ("Rtd",) if cn == "2011" else ("Avg", "Min", "Max")
        cp: list[tuple[str, object]] = [("DataTime", format_hj_time(data_time))]
        for code, (mean, spread) in table.items():
            value = max(0.0, self.rng.gauss(mean, spread))
            if fault == "exceed" and code in EXCEED:
                value = EXCEED[code] * self.rng.uniform(1.0, 1.3)
            if fault == "impossible" and code == "a19001":
                value = 25.0
            if fault == "impossible" and code == "w01018":
                value = -5.0
            for suffix in suffixes:
                factor = {"Min": 0.9, "Max": 1.1}.get(suffix, 1.0)
                cp.append((f"{code}-{suffix}", f"{value * factor:.2f}"))
            cp.append((f"{code}-Flag", "N"))
        qn = self.qn(device)
        header = {
            "QN": qn,
            "ST": device.st if device.medium == "air" else "32",
            "CN": cn,
            "PW": device.password,
            "MN": device.mn,
            "Flag": 5,
        }
        if fault == "wrong-password":
            header["PW"] = "x" + device.password
        if fault == "unknown-mn":
            header["MN"] = "UNREGISTERED" + device.mn[-12:]
        packet = encode_packet(header, cp)
        if fault == "bad-crc":
            crc = packet[-6:-2]
            packet = packet[:-6] + (b"0000" if crc != b"0000" else b"FFFF") + b"\r\n"
        return packet, qn

    def _body(self, medium: str, cn: str) -> str:
        key = (medium, cn)
        bodies = self._bodies.get(key)
        if bodies is None:
            bodies = self._bodies[key] = [self._make_body(medium, cn) for _ in range(64)]
        return bodies[self.rng.randrange(len(bodies))]

    def _make_body(self, medium: str, cn: str) -> str:
        table = AIR if medium == "air" else WATER
        suffixes = ("Rtd",) if cn == "2011" else ("Avg", "Min", "Max")
        pairs: list[tuple[str, str]] = []
        for code, (mean, spread) in table.items():
            value = max(0.0, self.rng.gauss(mean, spread))
            for suffix in suffixes:
                factor = {"Min": 0.9, "Max": 1.1}.get(suffix, 1.0)
                pairs.append((f"{code}-{suffix}", f"{value * factor:.2f}"))
            pairs.append((f"{code}-Flag", "N"))
        return encode_cp(pairs)

    def _data_time(
        self, device: SimDevice, cn: str, now: dt.datetime, fault: str | None
    ) -> dt.datetime:
        if cn == "2011":
            # One second per packet from two minutes ago: unique, and close to real time.
            start = now - dt.timedelta(seconds=120)
            device.rtd_time = max(start, (device.rtd_time or start) + dt.timedelta(seconds=1))
            if fault == "clock-drift":
                return now + dt.timedelta(hours=1)
            return device.rtd_time
        if cn == "2051":
            device.minutes_back += 1
            return now.replace(second=0) - dt.timedelta(minutes=device.minutes_back)
        device.hours_back += 1
        return now.replace(minute=0, second=0) - dt.timedelta(hours=device.hours_back)


class DeviceConnection(asyncio.Protocol):
    def __init__(self, sim: Simulator, device: SimDevice) -> None:
        self.sim, self.device = sim, device
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.pending: dict[str, float] = {}
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            self.sim.on_reply(self, line)
        if len(self.buffer) > 65536:
            self.buffer = b""

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.lost.done():
            self.lost.set_result(None)


class Simulator:
    def __init__(
        self,
        devices: Sequence[SimDevice],
        host: str = "127.0.0.1",
        port: int = 9212,
        rate: float = 100.0,
        faults: dict[str, float] | None = None,
        duration: float = 10.0,
        count: int | None = None,
        seed: int = 212,
        acked_file: Path | None = None,
        connect_concurrency: int = 200,
        kind_mix: Sequence[tuple[str, float]] | None = None,
    ) -> None:
        if not devices:
            raise ValueError("no devices to simulate")
        self.devices = list(devices)
        self.host, self.port, self.rate = host, port, rate
        self.faults = faults or {}
        self.duration, self.count = duration, count
        self.rng = random.Random(seed)
        self.factory = PacketFactory(self.rng, kind_mix)
        self.stats = Stats()
        self.connections: dict[str, DeviceConnection] = {}
        self.acked_file = acked_file
        self._acked_lines: list[str] = []
        self.connect_concurrency = connect_concurrency
        self.sent_qns: dict[str, int] = {}

    # --- replies ---------------------------------------------------------------------------

    def on_reply(self, connection: DeviceConnection, line: bytes) -> None:
        at = line.find(b"QN=")
        cn_at = line.find(b"CN=")
        cn = line[cn_at + 3 : cn_at + 7] if cn_at >= 0 else b""
        if at < 0 or cn != b"9014":
            self.stats.other_replies += 1
            return
        qn = line[at + 3 : at + 20].decode("ascii", "replace")
        sent = connection.pending.pop(qn, None)
        if sent is None:
            self.stats.other_replies += 1
            return
        self.stats.answered += 1
        self.stats.latencies.append(time.perf_counter() - sent)
        if self.acked_file is not None:
            self._acked_lines.append(f"{connection.device.mn} {qn}\n")
            if len(self._acked_lines) >= 200:
                self._flush_acked()

    def _flush_acked(self) -> None:
        if self.acked_file is None or not self._acked_lines:
            return
        with self.acked_file.open("a", encoding="ascii") as out:
            out.writelines(self._acked_lines)
            out.flush()
            os.fsync(out.fileno())
        self._acked_lines = []

    # --- connections -----------------------------------------------------------------------

    async def _connect(self, device: SimDevice, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        async with gate:
            try:
                _transport, protocol = await loop.create_connection(
                    lambda: DeviceConnection(self, device), self.host, self.port
                )
            except OSError:
                self.stats.connect_errors += 1
                return
        self.connections[device.mn] = protocol

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(self.connect_concurrency)
        await asyncio.gather(*(self._connect(d, gate) for d in self.devices))

    async def _reconnect_lost(self) -> None:
        gate = asyncio.Semaphore(self.connect_concurrency)
        lost = [
            d
            for d in self.devices
            if (c := self.connections.get(d.mn)) is None or c.transport is None
        ]
        if lost:
            self.stats.disconnects += len(lost)
            await asyncio.gather(*(self._connect(d, gate) for d in lost))

    # --- sending ---------------------------------------------------------------------------

    def _fault(self) -> str | None:
        for name, probability in self.faults.items():
            if probability and self.rng.random() < probability:
                return name
        return None

    def send_one(self, device: SimDevice) -> bool:
        connection = self.connections.get(device.mn)
        if connection is None or connection.transport is None:
            return False
        fault = self._fault()
        if fault == "garbage":
            connection.transport.write(
                bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 60)))
            )
            self.stats.faults["garbage"] = self.stats.faults.get("garbage", 0) + 1
            fault = None
        cn = (
            "2061"
            if fault == "exceed"
            else "2011"
            if fault == "clock-drift"
            else self.factory.choose_cn()
        )
        packet, qn = self.factory.build(device, cn, fault)
        if fault not in NO_ANSWER:
            connection.pending[qn] = time.perf_counter()
            self.stats.expected_answers += 1
        if fault == "split":
            self._write_split(connection, packet)
        else:
            connection.transport.write(packet)
        if fault:
            self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
        self.stats.kinds[cn] = self.stats.kinds.get(cn, 0) + 1
        self.stats.sent += 1
        return True

    def _write_split(self, connection: DeviceConnection, packet: bytes) -> None:
        loop = asyncio.get_running_loop()
        cuts = sorted(self.rng.sample(range(1, len(packet)), 2))
        parts = [packet[: cuts[0]], packet[cuts[0] : cuts[1]], packet[cuts[1] :]]
        for number, part in enumerate(parts):
            loop.call_later(0.003 * number, self._write_later, connection, part)

    @staticmethod
    def _write_later(connection: DeviceConnection, data: bytes) -> None:
        if connection.transport is not None:
            connection.transport.write(data)

    async def run(self) -> dict[str, Any]:
        await self.connect_all()
        started = time.perf_counter()
        tick = 0.01
        owed = 0.0
        index = 0
        last_reconnect = started
        limit = self.count if self.count is not None else float("inf")
        while time.perf_counter() - started < self.duration and self.stats.sent < limit:
            await asyncio.sleep(tick)
            owed += self.rate * tick
            due = int(owed)
            owed -= due
            for _ in range(min(due, len(self.devices) * 4)):
                if self.stats.sent >= limit:
                    break
                self.send_one(self.devices[index % len(self.devices)])
                index += 1
            if time.perf_counter() - last_reconnect > 1.0:
                last_reconnect = time.perf_counter()
                await self._reconnect_lost()
        await self._drain(5.0)
        elapsed = time.perf_counter() - started
        for connection in self.connections.values():
            if connection.transport is not None:
                connection.transport.close()
        self._flush_acked()
        summary = self.stats.summary()
        summary["seconds"] = round(elapsed, 2)
        summary["devices"] = len(self.devices)
        summary["connected"] = sum(1 for c in self.connections.values() if c.transport is not None)
        return summary

    async def _drain(self, wait: float) -> None:
        """Wait (bounded) for the answers still outstanding."""
        deadline = time.perf_counter() + wait
        while time.perf_counter() < deadline:
            if not any(c.pending for c in self.connections.values() if c.transport is not None):
                return
            await asyncio.sleep(0.05)


def run_simulation(**kwargs: Any) -> dict[str, Any]:
    return asyncio.run(Simulator(**kwargs).run())


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, sort_keys=True)
