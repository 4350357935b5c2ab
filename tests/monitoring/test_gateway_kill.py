"""Durability: SIGKILL the gateway process in the middle of simulated load and restart it;
every packet the devices saw acknowledged (9014) is in the database.

Runs the real processes (`coact hj212 gateway`, `coact hj212 simulate`) on loopback against a
fresh SQLite file (WAL, synchronous=FULL for the archive)."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SETUP = """
import django; django.setup()
from pathlib import Path
from django.core.management import call_command
call_command("migrate", verbosity=0)
from coact.plan import services
services.load_org()
from coact.monitoring.setup import register_fleet
register_fleet(20, Path({mn_file!r}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    out = log.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coact.cli",
            "hj212",
            "gateway",
            "--port",
            str(port),
            "--no-alarms",
            "--rate-limit",
            "1000",
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # bounded wait for the listening socket
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("gateway did not start: " + log.read_text())


def test_acknowledged_packets_survive_sigkill(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(COACT_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="coact.settings.dev")
    mn_file, acked, log = tmp_path / "mn.txt", tmp_path / "acked.txt", tmp_path / "gateway.log"
    subprocess.run(
        [sys.executable, "-c", SETUP.format(mn_file=str(mn_file))], env=env, check=True, timeout=120
    )
    port = free_port()
    gateway = start_gateway(env, port, log)
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coact.cli",
            "hj212",
            "simulate",
            "--mn-file",
            str(mn_file),
            "--devices",
            "20",
            "--rate",
            "300",
            "--port",
            str(port),
            "--duration",
            "7",
            "--acked-file",
            str(acked),
            "--faults",
            "split=0.05,bad-crc=0.02",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(2.5)
        gateway.send_signal(signal.SIGKILL)  # no drain, no clean shutdown
        gateway.wait(timeout=10)
        time.sleep(0.3)
        before_restart = len(acked.read_text().splitlines()) if acked.exists() else 0
        time.sleep(0.5)
        gateway = start_gateway(env, port, log)
        output, _ = simulator.communicate(timeout=60)
    finally:
        if simulator.poll() is None:
            simulator.kill()
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(timeout=30)
    lines = [line.split() for line in acked.read_text().splitlines()]
    assert len(lines) > 100, output
    db = sqlite3.connect(tmp_path / "coact.sqlite3")
    stored = set(db.execute("SELECT mn, qn FROM monitoring_rawpacket WHERE status = 'accepted'"))
    missing = [tuple(line) for line in lines if tuple(line) not in stored]
    assert missing == [], f"{len(missing)} acknowledged packets lost, e.g. {missing[:3]}"
    readings = db.execute("SELECT count(*) FROM monitoring_reading").fetchone()[0]
    assert readings >= len(lines) * 0.9  # duplicates (resent periods) are stored once
    summary = json.loads(output.splitlines()[-1])
    assert summary["disconnects"] > 0  # the devices saw the kill and reconnected
    assert len(lines) > before_restart > 0  # acknowledged before the kill and after the restart
