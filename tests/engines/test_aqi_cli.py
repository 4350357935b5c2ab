"""`coact air hourly-aqi` and `coact air evaluate` (parser built from the air group only)."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from coact.cli import CliError, air

HEADER = "date,hour,station,AQI,PM2.5,PM2.5_24h,PM10,PM10_24h,SO2,SO2_24h,NO2,NO2_24h,O3,O3_24h,O3_8h,O3_8h_24h,CO,CO_24h\n"  # noqa: E501


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="coact")
    air.register(parser.add_subparsers(dest="group"))
    args = parser.parse_args(["air", *argv])
    return args.handler(args)


def test_hourly_aqi_writes_columns_and_reports_match(tmp_path, capsys):
    path = tmp_path / "in.csv"
    # Row 1: PM2.5 39 -> 50 + 50/40*4 = 55 (published 55, match). Row 2: published 60, we say
    # PM10 151 -> 101: mismatch. Row 3: no PM10 -> not complete, not counted.
    path.write_text(
        HEADER
        + "20190101,9,1168A,55,39,29,40,29,5,5,14,18,60,70,60,60,0.4,0.4\n"
        + "20190101,10,1168A,60,39,29,151,29,5,5,14,18,60,70,60,60,0.4,0.4\n"
        + "20190101,11,1168A,59,42,30,,30,6,5,14,15,65,70,61,61,0.4,0.4\n"
    )
    out = tmp_path / "out.csv"
    assert _run(["hourly-aqi", str(path), "-o", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["complete_rows"], summary["matching_rows"]) == (2, 1)
    assert summary["match_ratio"] == 0.5
    written = pd.read_csv(out, dtype={"computed_primary_pollutant": str})
    assert list(written.columns) == [
        *HEADER.strip().split(","),
        "computed_aqi",
        "computed_primary_pollutant",
    ]
    assert written["computed_aqi"].tolist() == [55, 101, 59]
    assert written["computed_primary_pollutant"].tolist() == ["PM2.5", "PM10", "PM2.5"]


def test_evaluate_prints_required_keys(tmp_path, capsys):
    rows = []
    for day in pd.date_range("2019-01-01", "2019-12-31"):
        for hour in range(24):
            stamp = day + pd.Timedelta(hours=hour)
            rows.append(f"{stamp:%Y%m%d},{hour},1168A,,35,,70,,10,,40,,90,,,,0.5,\n")
    path = tmp_path / "year.csv"
    path.write_text(HEADER + "".join(rows))
    assert _run(["evaluate", str(path), "--stations", "1168A", "--year", "2019", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    expected = {
        "pm25_annual_mean": 35,
        "pm10_annual_mean": 70,
        "no2_annual_mean": 40,
        "so2_annual_mean": 10,
        "co_p95": 0.5,
        "o3_8h_p90": 90,
        "good_day_ratio": 100.0,
    }
    assert {k: stats[k] for k in expected} == expected
    assert stats["valid_days"] == 365  # Dec 31 lacks its closing 00:00 hour: 23 h >= 20, valid
    with pytest.raises(CliError, match="none of the stations"):
        _run(["evaluate", str(path), "--stations", "9999A", "--year", "2019"])
