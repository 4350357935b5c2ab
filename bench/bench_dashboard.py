"""Dashboard under load: the Nantong plan, 5 years of monthly observations for every
indicator in the city and 10 counties, 20 concurrent clients.

Serves with the embedded default (waitress, SQLite in a temporary folder) or, when
DATABASE_URL is set, against that database. Prints median and 95th-percentile response
times per page. Goal: 95th percentile under 300 ms.

    .venv/bin/python bench/bench_dashboard.py [--clients 20] [--requests 400]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

BIN = Path(sys.executable).parent


def prepare(env: dict[str, str]) -> None:
    subprocess.run([BIN / "coact", "setup", "--no-demo"], env=env, check=True, capture_output=True)
    code = """
import datetime as dt, random
from coact.core.models import Region, User
from coact.plan.models import Indicator, Observation
from coact.plan import services
rng = random.Random(1)
regions = [None] + list(Region.objects.exclude(kind="city"))
rows = []
for ind in Indicator.objects.all():
    target = ind.target or 50.0
    for region in regions:
        for m in range(60):
            year, month = 2021 + m // 12, m % 12 + 1
            end = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
            value = target * rng.uniform(0.6, 1.1)
            rows.append(Observation(indicator=ind, region=region, value=value,
                period_start=dt.date(year, month, 1), period_end=end, as_of=end, source="bench",
                state="approved", illustrative=True))
Observation.objects.bulk_create(rows, batch_size=5000)
services.refresh_all_statuses()
u = User(username="bench", role="supervisor"); u.set_password("bench-pass-1"); u.save()
print(len(rows), "observations")
"""
    out = subprocess.run(
        [BIN / "coact", "manage", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    print(out.stdout.strip())


def session(base: str) -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(base + "/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = f"csrfmiddlewaretoken={token}&username=bench&password=bench-pass-1&next=/plan/".encode()
    opener.open(
        urllib.request.Request(
            base + "/accounts/login/", data=body, headers={"Referer": base + "/accounts/login/"}
        )
    ).read()
    return opener


def timed(opener: urllib.request.OpenerDirector, url: str) -> float:
    start = time.perf_counter()
    with opener.open(url) as response:
        response.read()
        assert response.status == 200, url
    return time.perf_counter() - start


def run_load(base: str, path: str, clients: int, requests: int) -> list[float]:
    openers = [session(base) for _ in range(clients)]
    jobs = [(openers[i % clients], base + path) for i in range(requests)]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(lambda job: timed(*job), jobs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="coact-bench-")
    env = {**os.environ, "COACT_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "coact.settings.dev"}
    database = "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    t0 = time.perf_counter()
    prepare(env)
    print(f"prepared in {time.perf_counter() - t0:.1f} s on {database}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            BIN / "coact",
            "serve",
            "--no-setup",
            "--no-jobs",
            "--port",
            str(port),
            "--threads",
            str(args.threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/plan/public/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        for label, path in [
            ("dashboard page", "/plan/"),
            ("public dashboard", "/plan/public/"),
            ("dashboard API", "/api/plans/nantong-2023-2025/dashboard"),
            ("indicator page", "/plan/indicators/1/"),
        ]:
            run_load(base, path, args.clients, args.clients)  # warm-up
            times = sorted(run_load(base, path, args.clients, args.requests))
            p95 = times[int(0.95 * len(times)) - 1]
            print(
                f"{label:18s} {database}: {args.requests} requests, {args.clients} clients: "
                f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"finished {dt.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
