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

``pregenerate=True`` (:class:`PregeneratedSimulator`, used by ``bench/bench_gateway.py``) builds
every packet of the run before the clock starts (distinct QN, valid CRC, the same faults except
``split``), so that the timed phase only writes bytes and counts answers: the simulator then
costs a few microseconds per packet and measures the gateway, not itself. Answers are counted
with ``bytes.count(b"CN=9014")``; answer latency is sampled on one packet in ``sample_every``.
Run it as ``python -m coact.monitoring.gateway.simulate --pregenerate ...`` (same options as
``coact hj212 simulate``), in one or several processes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import sys
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


def pick_fault(rng: random.Random, faults: dict[str, float]) -> str | None:
    """The fault of the next packet (each tried in turn with its probability), or None."""
    for name, probability in faults.items():
        if probability and rng.random() < probability:
            return name
    return None


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
        return pick_fault(self.rng, self.faults)

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


class CountingConnection(asyncio.Protocol):
    """A device connection of the pregenerated run: counts answers, times sampled ones."""

    __slots__ = ("buffer", "samples", "sim", "transport")

    def __init__(self, sim: PregeneratedSimulator) -> None:
        self.sim = sim
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.samples: dict[bytes, float] = {}  # b"QN=..." -> perf_counter at send

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.buffer:
            data = self.buffer + data
        end = data.rfind(b"\n") + 1  # whole lines only: a reply may be cut between reads
        self.buffer = data[end:][-4096:]
        if not end:
            return
        lines = data[:end]
        sim = self.sim
        answers = lines.count(b"CN=9014")
        sim.answered += answers
        sim.other_replies += lines.count(b"\n") - answers
        if answers:
            sim.last_answer = time.perf_counter()
        if self.samples:
            for qn in [qn for qn in self.samples if qn in lines]:
                sim.latencies.append(sim.last_answer - self.samples.pop(qn))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class PregeneratedSimulator:
    """All packets built before the timed phase; the timed loop writes bytes and counts."""

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
        connect_concurrency: int = 200,
        kind_mix: Sequence[tuple[str, float]] | None = None,
        sample_every: int = 16,
        tick: float = 0.005,
        max_packets: int = 3_000_000,
        keep_latencies: bool = False,
    ) -> None:
        if not devices:
            raise ValueError("no devices to simulate")
        if faults and faults.get("split"):
            raise ValueError("the split fault needs timed writes: run without --pregenerate")
        self.devices = list(devices)
        self.host, self.port, self.rate, self.duration = host, port, rate, duration
        self.total = count if count is not None else math.ceil(rate * duration)
        if self.total > max_packets:
            raise ValueError(f"{self.total} packets to pregenerate exceed {max_packets}")
        self.faults = faults or {}
        self.rng = random.Random(seed)
        self.factory = PacketFactory(self.rng, kind_mix)
        self.sample_every = max(1, sample_every)
        self.tick = tick
        self.keep_latencies = keep_latencies
        self.connect_concurrency = connect_concurrency
        self.stats = Stats()
        self.answered = 0
        self.other_replies = 0
        self.last_answer = 0.0
        self.latencies: list[float] = []
        self.connections: list[CountingConnection | None] = [None] * len(self.devices)
        self.schedule: list[tuple[int, bytes, bytes]] = []  # (device index, packet, b"QN=...")

    # --- before the clock ------------------------------------------------------------------

    def pregenerate(self) -> float:
        """Build ``total`` packets round-robin over the devices; returns the seconds it took."""
        started = time.perf_counter()
        stats, factory, devices = self.stats, self.factory, self.devices
        for number in range(self.total):
            index = number % len(devices)
            fault = pick_fault(self.rng, self.faults)
            prefix = b""
            if fault == "garbage":
                prefix = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 60)))
                stats.faults["garbage"] = stats.faults.get("garbage", 0) + 1
                fault = None
            cn = (
                "2061"
                if fault == "exceed"
                else "2011"
                if fault == "clock-drift"
                else factory.choose_cn()
            )
            packet, qn = factory.build(devices[index], cn, fault)
            if fault not in NO_ANSWER:
                stats.expected_answers += 1
            if fault:
                stats.faults[fault] = stats.faults.get(fault, 0) + 1
            stats.kinds[cn] = stats.kinds.get(cn, 0) + 1
            self.schedule.append((index, prefix + packet, b"QN=" + qn.encode("ascii")))
        return time.perf_counter() - started

    async def _connect(self, index: int, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        async with gate:
            try:
                _transport, protocol = await loop.create_connection(
                    lambda: CountingConnection(self), self.host, self.port
                )
            except OSError:
                self.stats.connect_errors += 1
                return
        self.connections[index] = protocol

    async def connect_all(self) -> None:
        gate = asyncio.Semaphore(self.connect_concurrency)
        await asyncio.gather(*(self._connect(i, gate) for i in range(len(self.devices))))

    # --- the timed phase -------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        generate_s = self.pregenerate()
        await self.connect_all()
        cpu_before = time.process_time()
        started = time.perf_counter()
        sent = await self._send_timed(started)
        send_s = time.perf_counter() - started
        await self._drain(sent, 5.0)
        end = max(self.last_answer, started + send_s)
        elapsed = end - started
        cpu = time.process_time() - cpu_before
        connected = sum(1 for c in self.connections if c and c.transport is not None)
        for connection in self.connections:
            if connection is not None and connection.transport is not None:
                connection.transport.close()
        await asyncio.sleep(0)
        summary = self._summary(sent, elapsed, send_s, generate_s)
        summary.update(connected=connected, cpu_seconds=round(cpu, 2))
        return summary

    async def _send_timed(self, started: float) -> int:
        """Each tick writes the packets due by then (cumulative, so a late tick catches up).
        Bounded by the schedule; returns the packets written (dead connections skipped)."""
        schedule, connections = self.schedule, self.connections
        rate, tick, sample_every = self.rate, self.tick, self.sample_every
        perf = time.perf_counter
        position, total, sent = 0, len(schedule), 0
        while position < total:
            await asyncio.sleep(tick)
            due = min(total, int((perf() - started) * rate) + 1)
            for number in range(position, due):
                index, packet, qn = schedule[number]
                connection = connections[index]
                if connection is None or connection.transport is None:
                    continue
                connection.transport.write(packet)
                sent += 1
                if number % sample_every == 0:
                    connection.samples[qn] = perf()
            position = max(position, due)
        return sent

    async def _drain(self, sent: int, wait: float) -> None:
        deadline = time.perf_counter() + wait
        while time.perf_counter() < deadline and self.answered < self.stats.expected_answers:
            await asyncio.sleep(0.02)

    def _summary(self, sent: int, elapsed: float, send_s: float, generate_s: float) -> dict:
        stats = self.stats
        stats.sent, stats.answered = sent, self.answered
        stats.latencies, stats.other_replies = self.latencies, self.other_replies
        summary = stats.summary()
        summary.update(
            latencies_ms=[round(x * 1000, 2) for x in self.latencies]
            if self.keep_latencies
            else None,
            seconds=round(elapsed, 3),
            send_seconds=round(send_s, 3),
            pregenerate_seconds=round(generate_s, 2),
            answered_per_s=round(self.answered / elapsed) if elapsed > 0 else None,
            devices=len(self.devices),
            latency_samples=len(self.latencies),
        )
        return summary


def run_simulation(pregenerate: bool = False, **kwargs: Any) -> dict[str, Any]:
    if pregenerate:
        kwargs.pop("acked_file", None)
        return asyncio.run(PregeneratedSimulator(**kwargs).run())
    kwargs.pop("sample_every", None)
    return asyncio.run(Simulator(**kwargs).run())


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(summary, ensure_ascii=False, sort_keys=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m coact.monitoring.gateway.simulate``: the simulator without the ``coact`` CLI
    (no Django), with the pregenerated mode the benchmark uses."""
    parser = argparse.ArgumentParser(description="HJ 212 device simulator (loopback load)")
    parser.add_argument("--mn-file", required=True, help="MN,PW[,air|water] per line")
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50.0, help="packets/s of all devices")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9212)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=None)
    parser.add_argument("--faults", default="")
    parser.add_argument("--seed", type=int, default=212)
    parser.add_argument("--pregenerate", action="store_true", help="build packets before the run")
    parser.add_argument("--sample-every", type=int, default=16, help="time 1 answer in N")
    parser.add_argument("--latencies", action="store_true", help="print the sampled latencies")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.devices <= 0:
        print("--rate and --devices must be positive", file=sys.stderr)
        return 2
    devices = load_devices(Path(args.mn_file))[: args.devices]
    options: dict[str, Any] = dict(
        devices=devices,
        host=args.host,
        port=args.port,
        rate=args.rate,
        faults=parse_faults(args.faults),
        duration=args.duration,
        count=args.count,
        seed=args.seed,
    )
    if args.pregenerate:
        options.update(sample_every=args.sample_every, keep_latencies=args.latencies)
    print(dumps(run_simulation(pregenerate=args.pregenerate, **options)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
