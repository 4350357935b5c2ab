"""Air API and pages: public reads, office-only imports, push errors named by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from coact.air import queries, services
from coact.air.models import HourlyValue
from coact.engines import aqi

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _push(client: Client, values: list[dict], **extra) -> object:
    return client.post(
        "/api/air/push",
        data=json.dumps({"packet": "p-1", "values": values, **extra}),
        content_type="application/json",
    )


def test_imports_are_for_the_office_only(stations, jan_slice: Path, eco, rugao, office) -> None:
    for user in (eco, rugao):
        client = _client(user)
        with jan_slice.open("rb") as handle:
            assert client.post("/api/air/imports", {"file": handle}).status_code == 403
        assert client.get("/air/import/").status_code == 403
        assert (
            _push(
                client, [{"station": "1168A", "time": "2019-01-05T01:00", "PM2.5": 3}]
            ).status_code
            == 403
        )
    assert Client().get("/air/import/").status_code == 302  # to the login page
    with jan_slice.open("rb") as handle:
        assert Client().post("/api/air/imports", {"file": handle}).status_code == 401
    assert not HourlyValue.objects.exists()
    with jan_slice.open("rb") as handle:
        created = _client(office).post("/api/air/imports", {"file": handle, "format": "cnemc"})
    assert created.status_code == 201 and created.json()["created"] > 300


def test_public_reads_the_dashboard_and_the_api(stations, jan_slice: Path) -> None:
    services.import_file(jan_slice, "cnemc")
    public = Client()
    page = public.get("/air/?year=2019")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="air-calendar"' in html and "data-echart" in html
    assert public.get("/air/stations/1168A/?year=2019").status_code == 200
    assert public.get("/air/stations/0000A/").status_code == 404
    calendar = public.get("/api/air/calendar?year=2019").json()
    assert len(calendar["days"]) == 365
    day = next(d for d in calendar["days"] if d["date"] == "2019-01-02")
    assert day["level"] == int(aqi.aqi_level([day["aqi"]])[0]) > 0
    stations = public.get("/api/air/stations").json()
    assert {s["code"] for s in stations} >= {"1168A", "1172A"}
    assert public.get("/api/air/latest").json()["city"]["aqi"] is not None
    hourly = public.get(
        "/api/air/stations/1168A/hourly?start=2019-01-02T00:00&end=2019-01-02T23:00"
    ).json()
    assert len(hourly) == 24 and hourly[0]["values"]["PM2.5"] is not None
    evaluation = public.get("/api/air/evaluation?year=2019").json()
    assert set(evaluation["editions"]) == {"2012", "2026"} and evaluation["applies"] == "2012"
    for summary in evaluation["editions"].values():  # every day with an AQI has one level
        assert sum(summary["level_days"].values()) == summary["annual"]["valid_days"] == 3
    assert 'class="num">None<' not in html
    needed = public.get("/api/air/still-needed?year=2019").json()
    assert needed["target"] == 88 and needed["editions"]["2012"]["remaining_days"] == 362
    assert public.get("/api/air/imports").status_code == 401


def test_push_errors_name_the_field(stations, office) -> None:
    client = _client(office)
    schema_error = _push(client, [{"time": "2019-01-05T01:00", "PM2.5": -3}])
    assert schema_error.status_code == 422
    locations = {tuple(e["loc"]) for e in schema_error.json()["detail"]}
    assert ("body", "payload", "values", 0, "station") in locations
    assert ("body", "payload", "values", 0, "PM2.5") in locations
    rejected = _push(
        client,
        [
            {"station": "9999A", "time": "2019-01-05T01:00", "PM2.5": 3},
            {"station": "1168A", "time": "2019-01-05T01:00", "PM2.5": 3000},
        ],
    )
    assert rejected.status_code == 400
    errors = {(e["file"], e["row"], e["column"]) for e in rejected.json()["errors"]}
    assert errors == {("p-1", 1, "station"), ("p-1", 2, "PM2.5")}
    assert not HourlyValue.objects.exists()
    good = _push(client, [{"station": "1168A", "time": "2019-01-05T01:00", "PM2.5": 30, "O3": 60}])
    assert good.status_code == 201 and good.json()["created"] == 1
    row = HourlyValue.objects.get()
    # PM2.5 30 on the 24-h table: IAQI = 50/35*30 = 42.86 -> 43; O3 1-h 60: 50/160*60 = 18.75 -> 19.
    assert (row.pm25, row.aqi, row.primary) == (30, 43, "")


def test_openapi_lists_every_air_capability() -> None:
    paths = set(Client().get("/api/openapi.json").json()["paths"])
    for name in (
        "stations",
        "latest",
        "stations/{code}/hourly",
        "daily",
        "calendar",
        "evaluation",
        "still-needed",
        "imports",
        "push",
    ):
        assert f"/api/air/{name}" in paths


def test_good_days_needed_arithmetic() -> None:
    # 127 good of 171 so far, 184 days left, target 88 %: 0.88 x 355 = 312.4 -> 313 good days,
    # 313 - 127 = 186 > 184 left: out of reach.
    result = queries.good_days_needed(127, 171, 184, 88)
    assert (result["needed_good_days"], result["reachable"]) == (186, False)
    # 300 of 330, 35 left: 0.88 x 365 = 321.2 -> 322; 22 of the 35 must be good.
    result = queries.good_days_needed(300, 330, 35, 88)
    assert (result["needed_good_days"], result["reachable"]) == (22, True)
    # Already safe: 0.88 x 100 = 88 <= 95.
    assert queries.good_days_needed(95, 90, 10, 88)["needed_good_days"] == 0


def test_the_2026_rules_switch_inside_2026() -> None:
    assert queries._first_2026_day(2026) == "2026-03-01"
    assert queries._first_2026_day(2019) is None


def test_upload_page_lists_every_bad_row(stations, office, tmp_path: Path) -> None:
    from tests.air.test_import import BAD_FILE

    path = tmp_path / "upload.csv"
    path.write_text(BAD_FILE, "utf-8")
    client = _client(office)
    with path.open("rb") as handle:
        page = client.post("/air/import/", {"file": handle, "format": "cnemc"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="air-import-errors"' in html
    assert (
        html.count('<td>upload.csv</td><td class="num">') == 5 and not HourlyValue.objects.exists()
    )
    with path.open("rb") as handle:
        done = client.post(
            "/air/import/", {"file": handle, "format": "cnemc", "skip_bad_rows": "on"}
        )
    assert done.status_code == 302 and HourlyValue.objects.count() == 2
