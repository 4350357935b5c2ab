"""Imports: idempotent, corrections audited, bad rows named by file/row/field, three formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from coact.air import services
from coact.air.models import Correction, DailyValue, HourlyValue, ImportBatch
from coact.core.importing import ImportRejected
from coact.engines import airio, evaluation
from coact.plan.models import Indicator, Observation

pytestmark = pytest.mark.django_db


def test_import_slice_records_the_plan_indicators(stations, jan_slice: Path) -> None:
    batch = services.import_file(jan_slice, "cnemc")
    frame, problems = airio.read_cnemc_long(jan_slice)
    assert problems == [] and batch.created == len(frame) > 300
    # The figures come from the engine over the evaluation stations, as the CLI computes them.
    expected = evaluation.evaluate_year(
        frame, 2019, stations=["1168A", "1169A", "1170A", "1171A", "1172A"]
    )
    pm25 = Indicator.objects.get(computed_by="air.pm25_annual_mean")
    good = Indicator.objects.get(computed_by="air.good_day_ratio")
    for indicator, key in ((pm25, "pm25_annual_mean"), (good, "good_day_ratio")):
        obs = Observation.objects.get(indicator=indicator, state="approved")
        assert obs.value == expected[key]
        assert obs.computed_by == indicator.computed_by and not obs.illustrative
        # Year to date: the period ends on the last day with data (3 January), not 31 December.
        assert (str(obs.period_start), str(obs.period_end)) == ("2019-01-01", "2019-01-03")
        assert "unaudited" in obs.source and "Year to date" in obs.note
        indicator.refresh_from_db()
        assert indicator.status_detail["latest"] == expected[key]
        # ... and the public air dashboard shows it beside the charts.
        page = Client().get("/air/?year=2019").content.decode()
        assert f'data-indicator="{indicator.code}">{expected[key]}<' in page
    # Three natural days x (5 stations + city) x 2 edition sets; the file's first hour (00:00 on
    # 1 January) closes 31 December 2018, a day with one hour: stored, but with no published AQI.
    assert DailyValue.objects.filter(date__year=2019).count() == 3 * 6 * 2
    assert not DailyValue.objects.filter(date__year=2018, published=True).exists()


def test_reimport_changes_nothing(stations, jan_slice: Path) -> None:
    first = services.import_file(jan_slice, "cnemc")
    observations = Observation.objects.count()
    again = services.import_file(jan_slice, "cnemc")
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert HourlyValue.objects.count() == first.created
    assert Observation.objects.count() == observations
    assert not Correction.objects.exists()


def test_a_corrected_value_keeps_before_and_after(stations, jan_slice: Path) -> None:
    services.import_file(jan_slice, "cnemc")
    lines = jan_slice.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    target = next(i for i, line in enumerate(lines) if line.startswith("20190102,12,1170A"))
    cells = lines[target].split(",")
    before = float(cells[header.index("PM2.5")])
    cells[header.index("PM2.5")] = "400"
    lines[target] = ",".join(cells)
    jan_slice.write_text("\n".join(lines) + "\n", "utf-8")
    old_obs = Observation.objects.get(computed_by="air.pm25_annual_mean", state="approved")

    batch = services.import_file(jan_slice, "cnemc")

    assert (batch.created, batch.updated) == (0, 1)
    correction = Correction.objects.get()
    assert correction.changes == {"pm25": [before, 400.0]} and correction.batch == batch
    from coact.core.audit import history_for

    audit = history_for(correction.value).first()  # the one audit trail has it too
    assert audit is not None and audit.changes_dict["pm25"] == [before, 400.0]
    row = correction.value
    assert (row.station.code, row.pm25) == ("1170A", 400.0)
    # PM2.5 1-h 400 is above the 350 breakpoint of the 24-h table used for hourly AQI: IAQI > 400.
    assert row.aqi > 400 and row.primary == "PM2.5"
    # The daily mean rose, so the plan value was recomputed; the earlier one is kept, superseded.
    old_obs.refresh_from_db()
    assert old_obs.state == "superseded"
    new_obs = Observation.objects.get(computed_by="air.pm25_annual_mean", state="approved")
    assert new_obs.value > old_obs.value and new_obs.supersedes == old_obs


BAD_FILE = """date,hour,station,AQI,PM2.5,PM10,SO2,NO2,O3,CO
20190105,1,1168A,50,30,40,5,20,60,0.5
20190105,2,1168A,50,abc,40,5,20,60,0.5
20190105,3,1168A,50,30,40,5,-4,60,0.5
20190105,4,1168A,50,99999,40,5,20,60,0.5
20190105,5,9999A,50,30,40,5,20,60,0.5
20190105,1,1168A,50,31,40,5,20,60,0.5
20190105,6,1168A,50,30,40,5,20,60,0.5
"""


def test_bad_rows_are_named_and_nothing_is_stored(stations, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_FILE, "utf-8")
    with pytest.raises(ImportRejected) as caught:
        services.import_file(path, "cnemc")
    found = {(e.file, e.row, e.column) for e in caught.value.errors}
    assert found == {
        ("bad.csv", 3, "PM2.5"),
        ("bad.csv", 4, "NO2"),
        ("bad.csv", 5, "PM2.5"),
        ("bad.csv", 6, "station"),
        ("bad.csv", 7, "station,time"),
    }
    assert not HourlyValue.objects.exists()
    assert ImportBatch.objects.get().state == "rejected"


def test_skip_bad_rows_imports_only_the_good_rows(stations, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_FILE, "utf-8")
    batch = services.import_file(path, "cnemc", skip_bad_rows=True)
    assert batch.state == "partial" and batch.problem_count == 5
    stored = sorted(v.time.hour for v in HourlyValue.objects.all())
    # Rows 2 (01:00, first of the duplicates) and 7 (06:00) are good; hours 2-4 lost a value,
    # hour 5 is an unknown station: none of them is stored. Times are in UTC (01:00+08 = 17:00).
    assert stored == [17, 22]


def test_china_sites_and_generic_formats(stations, tmp_path: Path) -> None:
    wide = tmp_path / "china_sites_20190105.csv"
    wide.write_text(
        "date,hour,type,1168A,1169A,1001A\n"
        "20190105,1,PM2.5,30,35,80\n20190105,1,PM10,40,45,90\n"
        "20190105,2,PM2.5,31,,80\n",
        "utf-8",
    )
    generic = tmp_path / "generic.csv"
    generic.write_text("station,time,PM2.5,O3\n1171A,2019-01-05 01:00,12,70\n", "utf-8")
    assert (
        services.detect_format(wide) == "china_sites"
        and services.detect_format(generic) == "generic"
    )
    batch = services.import_file(wide)  # a national file's other stations (1001A) are ignored
    assert batch.created == 3
    assert services.import_file(generic).created == 1
    row = HourlyValue.objects.get(station__code="1168A", pm25=30)
    assert (row.pm10, row.o3) == (40, None)


def test_management_command(stations, jan_slice: Path, capsys) -> None:
    call_command("air_import", str(jan_slice), "--format", "cnemc")
    assert "new" in capsys.readouterr().out
    assert HourlyValue.objects.count() > 300
