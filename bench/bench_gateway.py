"""Benchmark of the HJ 212 gateway, end to end over loopback (127.0.0.1 only).

Figures printed:
1. codec + handler throughput per core (parse_frame; PacketHandler.feed without storage);
2. sustained packets/s end to end: N simulated devices (one TCP connection each) -> gateway
   process -> rows committed (group commit) -> 9014 answers; answer latency p50/p99;
3. p99 time from receipt of an exceeding hourly packet to its alarm case (Alarm.received_at
   -> Alarm.case_linked_at, the case opened or joined through coact.cases.services);
4. gateway memory (RSS) with 10,000 idle connections.

SQLite by default (a fresh file in a temporary directory); PostgreSQL when DATABASE_URL is set
(`scripts/postgres.sh start 54329` prints one): a fresh database `coact_bench_gateway` is made
next to the one named in the URL.

    .venv/bin/python bench/bench_gateway.py [--devices 2000] [--rate 6000] [--seconds 20]
        [--idle 10000] [--simulator pregenerated|classic] [--sim-processes 1]
        [--gateway-processes 1]

The load comes from ``python -m coact.monitoring.gateway.simulate --pregenerate``: every packet
is built before the clock starts, so the simulator's per-packet cost is a socket write and a
count of the answers; with ``--simulator classic`` each packet is built as it is sent (the
simulator then competes with the gateway for the CPU on a small machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
SETUP = """
import django; django.setup()
from pathlib import Path
from django.core.management import call_command
call_command("migrate", verbosity=0)
from coact.plan import services
services.load_org()
from coact.monitoring.setup import register_fleet
register_fleet({devices}, Path({mn_file!r}))
"""
RESULTS = """
import django, json; django.setup()
from coact.monitoring.models import Alarm, RawPacket, Reading
lat = sorted((a.case_linked_at - a.received_at).total_seconds()
             for a in Alarm.objects.exclude(case_linked_at=None).exclude(received_at=None))
print(json.dumps({"raw": RawPacket.objects.count(), "readings": Reading.objects.count(),
  "alarms": Alarm.objects.count(), "cases": Alarm.objects.exclude(case_id_ref=None).count(),
  "alarm_p50": lat[len(lat) // 2] if lat else None,
  "alarm_p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None,
  "alarm_max": lat[-1] if lat else None}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def codec_throughput(seconds: float = 1.5) -> dict[str, float]:
    sys.path.insert(0, str(REPO / "src"))
    import datetime as dt

    from coact.engines.hj212 import Tolerance, parse_frame
    from coact.monitoring.gateway.handler import DeviceInfo, PacketHandler
    from coact.monitoring.gateway.simulate import PacketFactory, SimDevice

    device = SimDevice("BENCH00000000000000000001", "123456")
    factory = PacketFactory(__import__("random").Random(1))
    frames = [
        factory.build(device, cn, None)[0] for cn in ("2011", "2051", "2061") for _ in range(50)
    ]
    out = {"packet_bytes": round(sum(map(len, frames)) / len(frames))}
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        for frame in frames:
            parse_frame(frame[:-2])
        n += len(frames)
    out["parse_frame_per_s"] = round(n / (time.perf_counter() - start))
    info = DeviceInfo(1, device.mn, "123456", 1, Tolerance())
    handler = PacketHandler("127.0.0.1:1", {device.mn: info}.get)
    handler.packets.rate = handler.packets.burst = 1e12
    handler.bytes.rate = handler.bytes.burst = 1e15
    blob = b"".join(frames)
    now = dt.datetime.now(dt.UTC)
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        n += len(handler.feed(blob, now))
    out["handler_per_s"] = round(n / (time.perf_counter() - start))
    return out


def prepare(env: dict[str, str], devices: int, work: Path) -> Path:
    mn_file = work / "mn.txt"
    subprocess.run(
        [PY, "-c", SETUP.format(devices=devices, mn_file=str(mn_file))],
        env=env,
        check=True,
        timeout=600,
    )
    return mn_file


def start_gateway(env: dict[str, str], port: int, log: Path, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [PY, "-m", "coact.cli", "hj212", "gateway", "--port", str(port), *extra],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):  # bounded: 30 s
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            raise SystemExit(log.read_text())
        time.sleep(0.1)
    process.kill()
    raise SystemExit("gateway did not start")


def wait_for_listeners(port: int, count: int, timeout: float = 60.0) -> None:
    """Until ``count`` sockets listen on ``port`` (/proc/net/tcp lists each SO_REUSEPORT one)."""
    wanted = f":{port:04X} "
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
        listening = [line for line in lines if wanted in line and line.split()[3] == "0A"]
        if len(listening) >= count:
            return
        time.sleep(0.2)
    raise SystemExit(f"{count} gateway processes did not all listen on {port}")


def simulator_command(mn_file: Path, port: int, args: argparse.Namespace, part: int) -> list[str]:
    """One simulator process: its share of the devices (every ``sim_processes``-th line)."""
    devices, rate = args.devices, args.rate
    if args.simulator == "classic":
        return [
            PY, "-m", "coact.cli", "hj212", "simulate", "--mn-file", str(mn_file),
            "--devices", str(devices), "--rate", str(rate), "--port", str(port),
            "--duration", str(args.seconds), "--faults", f"exceed={args.exceed}",
        ]  # fmt: skip
    share = mn_file.with_name(f"mn-{part}.txt")
    lines = mn_file.read_text().splitlines()[:devices]
    share.write_text("\n".join(lines[part :: args.sim_processes]) + "\n")
    return [
        PY, "-m", "coact.monitoring.gateway.simulate", "--pregenerate", "--latencies",
        "--mn-file", str(share), "--devices", str(devices), "--port", str(port),
        "--rate", str(rate / args.sim_processes), "--duration", str(args.seconds),
        "--faults", f"exceed={args.exceed}", "--sample-every", str(args.sample_every),
        "--seed", str(212 + part),
    ]  # fmt: skip


def run_simulators(
    env: dict[str, str], mn_file: Path, port: int, args: argparse.Namespace
) -> list[dict]:
    parts = 1 if args.simulator == "classic" else args.sim_processes
    processes = [
        subprocess.Popen(
            simulator_command(mn_file, port, args, part),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in range(parts)
    ]
    summaries = []
    for process in processes:
        out, err = process.communicate(timeout=args.seconds + 600)
        if process.returncode:
            raise SystemExit(f"simulator failed: {err[-2000:]}")
        summaries.append(json.loads(out.strip().splitlines()[-1]))
    return summaries


def percentile(ordered: list[float], p: float) -> float | None:
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else None


def merge(summaries: list[dict]) -> dict:
    """Sums of the simulators; the run lasts as long as the slowest; latencies pooled."""
    seconds = max(s["seconds"] for s in summaries)
    answered = sum(s["answered"] for s in summaries)
    out = {
        "connected": sum(s["connected"] for s in summaries),
        "sent": sum(s["sent"] for s in summaries),
        "answered": answered,
        "seconds": seconds,
        "answered_per_s": round(answered / seconds),
        "ack_ms_p50": summaries[0]["ack_ms_p50"],
        "ack_ms_p99": summaries[0]["ack_ms_p99"],
    }
    pooled = sorted(x for s in summaries for x in s.get("latencies_ms") or [])
    if pooled:
        out.update(ack_ms_p50=percentile(pooled, 0.5), ack_ms_p99=percentile(pooled, 0.99))
        out["ack_samples"] = len(pooled)
    if "cpu_seconds" in summaries[0]:
        out["simulator_cpu_pct"] = round(100 * sum(s["cpu_seconds"] for s in summaries) / seconds)
    if "pregenerate_seconds" in summaries[0]:
        out["pregenerate_s"] = max(s["pregenerate_seconds"] for s in summaries)
    return out


def end_to_end(env: dict[str, str], mn_file: Path, work: Path, args: argparse.Namespace) -> dict:
    port = free_port()
    # Several processes share the port with SO_REUSEPORT (the kernel spreads connections).
    extra = ("--reuse-port",) if args.gateway_processes > 1 else ()
    gateways = [
        start_gateway(env, port, work / f"gateway-{n}.log", *extra)
        for n in range(args.gateway_processes)
    ]
    wait_for_listeners(port, len(gateways))
    cpu_before = sum(cpu_seconds(g.pid) for g in gateways)
    simulators = merge(run_simulators(env, mn_file, port, args))
    cpu = sum(cpu_seconds(g.pid) for g in gateways) - cpu_before
    peak_rss = sum(rss_mb(g.pid) for g in gateways)
    time.sleep(2.0)  # let the alarm thread finish the last batches
    for gateway in gateways:
        gateway.terminate()
    for gateway in gateways:
        gateway.wait(timeout=60)
    stored = json.loads(
        subprocess.run(
            [PY, "-c", RESULTS], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    seconds = simulators["seconds"]
    processes = 1 if args.simulator == "classic" else args.sim_processes
    return {
        "simulator": f"{args.simulator} x{processes}",
        "gateway_processes": args.gateway_processes,
        "devices": args.devices,
        "offered_rate": args.rate,
        **simulators,
        "stored_raw_rows": stored["raw"],
        "stored_per_s": round(stored["raw"] / seconds),
        "readings": stored["readings"],
        "alarms": stored["alarms"],
        "alarm_cases": stored["cases"],
        "alarm_to_case_s_p50": stored["alarm_p50"],
        "alarm_to_case_s_p99": stored["alarm_p99"],
        "alarm_to_case_s_max": stored["alarm_max"],
        "gateway_cpu_s": round(cpu, 1),
        "gateway_cpu_pct_of_run": round(100 * cpu / seconds),
        "gateway_rss_mb": round(peak_rss, 1),
    }


def idle_memory(env: dict[str, str], work: Path, connections: int) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, connections + 1024)), hard))
    port = free_port()
    gateway = start_gateway(env, port, work / "idle.log", "--no-alarms")
    time.sleep(1.0)
    base = rss_mb(gateway.pid)
    sockets = []
    try:
        for n in range(connections):
            s = socket.socket()
            s.connect(("127.0.0.1", port))
            sockets.append(s)
            if n % 1000 == 999:
                time.sleep(0.05)
        time.sleep(3.0)
        loaded = rss_mb(gateway.pid)
    finally:
        for s in sockets:
            s.close()
        gateway.terminate()
        gateway.wait(timeout=60)
    return {
        "idle_connections": len(sockets),
        "rss_before_mb": round(base, 1),
        "rss_with_idle_mb": round(loaded, 1),
        "kb_per_connection": round((loaded - base) * 1024 / max(1, len(sockets)), 1),
    }


def database_env(work: Path) -> tuple[dict[str, str], str]:
    env = dict(os.environ)
    env.update(COACT_VAR_DIR=str(work), DJANGO_SETTINGS_MODULE="coact.settings.dev")
    url = os.environ.get("DATABASE_URL")
    if not url:
        return env, "sqlite"
    import psycopg

    base, _sep, _name = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS coact_bench_gateway")
        admin.execute("CREATE DATABASE coact_bench_gateway")
    env["DATABASE_URL"] = f"{base}/coact_bench_gateway"
    return env, "postgresql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=6000.0, help="offered packets/s in total")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--exceed", type=float, default=0.0005, help="share of exceeding packets")
    parser.add_argument("--idle", type=int, default=10_000, help="idle connections (0: skip)")
    parser.add_argument(
        "--simulator",
        choices=("pregenerated", "classic"),
        default="pregenerated",
        help="pregenerated: packets built before the clock starts (default); classic: the"
        " `coact hj212 simulate` command, which builds each packet when it sends it",
    )
    parser.add_argument("--sim-processes", type=int, default=1, help="pregenerated simulators")
    parser.add_argument(
        "--gateway-processes", type=int, default=1, help="gateway processes (SO_REUSEPORT)"
    )
    parser.add_argument("--sample-every", type=int, default=16, help="time 1 answer in N")
    parser.add_argument("--no-codec", action="store_true", help="skip the codec figures")
    args = parser.parse_args()
    if not args.no_codec:
        print("codec:", json.dumps(codec_throughput()), flush=True)
    with tempfile.TemporaryDirectory(prefix="coact-bench-gw-") as tmp:
        work = Path(tmp)
        env, backend = database_env(work)
        mn_file = prepare(env, args.devices, work)
        print(
            f"end to end ({backend}):", json.dumps(end_to_end(env, mn_file, work, args)), flush=True
        )
        if args.idle:
            print("idle memory:", json.dumps(idle_memory(env, work, args.idle)), flush=True)


if __name__ == "__main__":
    main()
