"""Benchmark of the case engine with 100,000 open cases (seeded, synthetic, not real data).

Measures, in one run:
* the overdue scan (coact.cases.services.scan_overdue): first the one-off catch-up of a fresh
  backlog, then the nightly scan just after midnight, when every case due the day before turns
  overdue (escalation level 1) and those 5 working days past due reach level 2 — the largest
  regular batch. Target: under 2 s;
* the filtered case list (API ``/api/cases`` and the HTMX page ``/cases/``) for the office and
  for a county user, over a mix of filters (type, state group, county, overdue); p50 and p95
  of 60 requests each. Target: p95 under 300 ms.

Run: .venv/bin/python bench/bench_cases.py [--cases 100000] [--seed 7]
On PostgreSQL: DATABASE_URL=postgres://.../<an empty database> .venv/bin/python bench/bench_cases.py
(SQLite by default, in a temporary file.) The database must hold no case: nothing is deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

TMP = Path(tempfile.mkdtemp(prefix="coact-bench-cases-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
os.environ.setdefault("COACT_VAR_DIR", str(TMP))
os.environ["DJANGO_SETTINGS_MODULE"] = "coact.settings.test"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import django  # noqa: E402

django.setup()

from auditlog.models import LogEntry  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from coact.cases import services  # noqa: E402
from coact.cases.models import Case, CaseUpdate  # noqa: E402
from coact.core.models import Notification, Region, User  # noqa: E402
from coact.engines import workdays  # noqa: E402
from coact.plan import services as plan_services  # noqa: E402

SH = workdays.LOCAL_TZ
CATEGORIES = [
    "air.odour",
    "air.dust",
    "noise.construction",
    "water.black_odorous_water",
    "solid_waste.hazardous",
]


def build(n: int, seed: int, midnight: dt.datetime) -> list[Region]:
    """``n`` open 12345 complaints received over the 40 days before ``midnight`` (13 working
    days each), spread over the counties, held by the county, with their SLA clocks."""
    rng = random.Random(seed)
    counties = list(Region.objects.exclude(kind__in=["city", "park"]))
    span = 40 * 86_400
    rows = []
    for i in range(n):
        received = midnight - dt.timedelta(seconds=rng.randrange(span))
        region = counties[i % len(counties)]
        probe = Case(
            case_type="complaint", source="12345", category=rng.choice(CATEGORIES), urgency="normal"
        )
        events = {"received": received.isoformat(), "received_state": received.isoformat()}
        clock = services._scheduled(probe, received, {"received": received.isoformat()})
        rows.append(
            Case(
                number=f"TS-B-{i:07d}",
                case_type="complaint",
                state="investigating",
                state_group="open",
                title=f"合成投诉 {i}",
                source="12345",
                category=probe.category,
                urgency="normal",
                region=region,
                assigned_unit="county",
                received_at=received,
                events=events,
                illustrative=True,
                **clock,
            )
        )
    with transaction.atomic():
        Case.objects.bulk_create(rows, batch_size=2000)
    return counties


def time_scan(now: dt.datetime) -> tuple[float, dict]:
    start = time.perf_counter()
    result = services.scan_overdue(now)
    return time.perf_counter() - start, result.as_dict()


def time_requests(client: Client, urls: list[str]) -> tuple[float, float]:
    client.get(urls[0])  # warm caches (templates, auth)
    times = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def list_urls(counties: list[Region], rng: random.Random, page: bool, count: int = 60) -> list[str]:
    base = "/cases/" if page else "/api/cases"
    urls = []
    for _ in range(count):
        params = {
            "case_type": "complaint",
            "group": rng.choice(["open", "", "open"]),
            "county": rng.choice(counties).code if rng.random() < 0.7 else "",
            "overdue": "1" if rng.random() < 0.5 else "",
            "page": str(rng.choice([1, 1, 2, 5])),
        }
        urls.append(base + "?" + "&".join(f"{k}={v}" for k, v in params.items() if v))
    return urls


def settle() -> None:
    """The state a database is in minutes after a large batch: statistics gathered and, on
    PostgreSQL, dead row versions vacuumed (autovacuum's work, done here at once)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def time_lists(
    when: str, counties: list[Region], rng: random.Random, office: User, county: User
) -> None:
    print(f"filtered case list, {when}:")
    for label, user in (("office", office), ("county", county)):
        client = Client()
        client.force_login(user)
        for kind, page in (("API", False), ("page", True)):
            p50, p95 = time_requests(client, list_urls(counties, rng, page))
            verdict = "ok" if p95 < 300 else "MISSED"
            print(
                f"  {kind} as {label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms "
                f"[target p95 < 300 ms: {verdict}]"
            )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"database: {connection.vendor} ({os.environ['DATABASE_URL'].split('@')[-1]})")
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    plan_services.load_org()
    if Case.objects.exists():
        raise SystemExit("the bench needs an empty database (it creates 100,000 cases)")
    office = User.objects.filter(username="bench-office").first() or User.objects.create_user(
        "bench-office", password="x", role="supervisor"
    )
    rugao = User.objects.filter(username="bench-rugao").first() or User.objects.create_user(
        "bench-rugao", password="x", role="county", region=Region.objects.get(code="320682")
    )
    # Midnight after a working day (Tuesday 2025-11-04 -> Wednesday 11-05 00:30).
    midnight = dt.datetime(2025, 11, 5, 0, 0, tzinfo=SH)
    counties = build(args.cases, args.seed, midnight)
    print(f"setup: {args.cases:,} open cases in {time.perf_counter() - start:.1f} s")

    backlog, result = time_scan(midnight - dt.timedelta(hours=1))
    print(f"overdue scan, one-off catch-up of a fresh backlog: {backlog:.2f} s {result}")
    nightly, result = time_scan(midnight + dt.timedelta(minutes=30))
    open_count = Case.objects.filter(state_group="open").count()
    print(
        f"overdue scan, nightly batch over {open_count:,} open cases: "
        f"{nightly:.2f} s {result}  [target < 2 s: {'ok' if nightly < 2 else 'MISSED'}]"
    )
    quiet, result = time_scan(midnight + dt.timedelta(minutes=45))
    print(f"overdue scan, 15 minutes later (nothing due): {quiet * 1000:.0f} ms {result}")
    print(
        f"rows: {CaseUpdate.objects.count():,} updates, "
        f"{LogEntry.objects.filter(content_type__model='case').count():,} case audit entries, "
        f"{Notification.objects.count():,} notifications"
    )

    rng = random.Random(args.seed)
    time_lists("just after the writes", counties, rng, office, rugao)
    settle()
    time_lists("after VACUUM ANALYZE (what autovacuum does within minutes)", counties, rng,
               office, rugao)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
