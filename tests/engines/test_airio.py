"""Readers: bad rows and values are reported by file/row/field and never crash the read."""

from __future__ import annotations

import numpy as np
import pytest

from coact.engines import airio

LONG_HEADER = "date,hour,station,AQI,PM2.5,PM10,SO2,NO2,O3,CO\n"


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def test_cnemc_long_reports_and_survives_bad_rows(tmp_path):
    path = _write(
        tmp_path,
        "long.csv",
        LONG_HEADER
        + "\n".join(
            [
                "20190101,1,1168A,55,39,50,5,14,60,0.4",  # line 2: good
                "20190101,2,1168A,55,abc,50,5,14,60,0.4",  # line 3: PM2.5 not a number
                "20190101,3,1168A,55,39,-4,5,14,60,0.4",  # line 4: PM10 negative
                "20190101,4,1168A,55,39,50,5,14,60,900",  # line 5: CO impossible
                "20190101,25,1168A,55,39,50,5,14,60,0.4",  # line 6: hour out of range
                "2019-13-01,1,1168A,55,39,50,5,14,60,0.4",  # line 7: bad date
                "20190101,5,XYZ,55,39,50,5,14,60,0.4",  # line 8: unknown station
                "20190101,1,1168A,56,40,50,5,14,60,0.4",  # line 9: duplicate of line 2
                "20190101,6,1168A,55,39",  # line 10: too few fields
                "20190101,7,1168A,,NA,,5,14,60,0.4",  # line 11: blanks are just missing
            ]
        )
        + "\n",
    )
    frame, problems = airio.read_cnemc_long(path, known_stations={"1168A"})
    where = {(p.row, p.field) for p in problems}
    assert where == {
        (3, "PM2.5"),
        (4, "PM10"),
        (5, "CO"),
        (6, "hour"),
        (7, "date"),
        (8, "station"),
        (9, "station,time"),
        (10, "*"),
    }
    assert all(p.file == str(path) for p in problems)
    assert "not a number: 'abc'" in next(p.message for p in problems if p.row == 3)
    assert frame["hour"].tolist() == [1, 2, 3, 4, 7]
    assert frame.loc[frame["hour"] == 1, "AQI"].item() == 55  # the first of the duplicates
    assert np.isnan(frame.loc[frame["hour"] == 2, "PM2.5"].item())
    assert np.isnan(frame.loc[frame["hour"] == 4, "CO"].item())
    assert str(frame["time"].iloc[0]) == "2019-01-01 01:00:00"


def test_missing_file_and_missing_columns_are_problems_not_crashes(tmp_path):
    frame, problems = airio.read_cnemc_long(tmp_path / "absent.csv")
    assert frame.empty and "cannot read file" in problems[0].message
    path = _write(tmp_path, "bad.csv", "when,where\n1,2\n")
    frame, problems = airio.read_cnemc_long(path)
    assert frame.empty and problems[0].row == 1 and problems[0].field == "date,hour,station"


def test_china_sites_wide_file(tmp_path):
    text = (
        "\n".join(
            [
                "date,hour,type,1168A,1169A,bad",
                "20190101,0,AQI,55,60,1",
                "20190101,0,PM2.5,39,x,1",  # line 3: PM2.5@1169A not a number
                "20190101,0,PM2.5_24h,32,30,1",
                "20190101,0,CO,0.4,-1,1",  # line 5: CO@1169A negative
                "20190101,0,AQI,56,61,1",  # line 6: duplicate type for the same hour
                "20190101,1,AQI,50,,1",
            ]
        )
        + "\n"
    )
    path = _write(tmp_path, "china_sites_20190101.csv", text)
    frame, problems = airio.read_china_sites(path)
    where = {(p.row, p.field) for p in problems}
    assert where == {(1, "bad"), (3, "PM2.5@1169A"), (5, "CO@1169A"), (6, "type")}
    first = frame[(frame["station"] == "1168A") & (frame["hour"] == 0)].iloc[0]
    assert (first["AQI"], first["PM2.5"], first["PM2.5_24h"], first["CO"]) == (55, 39, 32, 0.4)
    assert frame[(frame["station"] == "1169A") & (frame["hour"] == 1)].empty  # no value at all
    only, _ = airio.read_china_sites(path, stations=["1169A"])
    assert set(only["station"]) == {"1169A"}


def test_generic_csv_and_gb18030(tmp_path):
    text = "station,time,PM2.5,O3\n1170A,2019-05-01 13:00,35,180\n1170A,garbage,1,1\n"
    path = _write(tmp_path, "generic.csv", text, encoding="gb18030")
    frame, problems = airio.read_generic_csv(path)
    assert len(frame) == 1 and frame["O3"].item() == 180 and frame["hour"].item() == 13
    assert [(p.row, p.field) for p in problems] == [(3, "time")]


@pytest.mark.parametrize("value", ["1e400", "inf"])
def test_infinite_values_are_rejected(tmp_path, value):
    path = _write(tmp_path, "inf.csv", LONG_HEADER + f"20190101,1,1168A,55,{value},1,1,1,1,1\n")
    frame, problems = airio.read_cnemc_long(path)
    assert np.isnan(frame["PM2.5"].item()) and problems[0].field == "PM2.5"
