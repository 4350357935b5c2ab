"""Tests of the O3 forecast engine: MDA8, grades, scores, leakage, missing data, I/O.

All data are tiny and synthetic; the one model fit uses ~150 days and 3 leads (< 2 s).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from coact.engines.forecast.backtest import issue_forecast, prepare
from coact.engines.forecast.baselines import Climatology, blend, fit_blend_weights
from coact.engines.forecast.features import build_design, daily_max_8h, issue_day_features
from coact.engines.forecast.io import (
    ForecastInputError,
    HourlyHistory,
    read_cnemc,
    read_met_csv,
    read_prsa,
    wind_components,
)
from coact.engines.forecast.models import fit_forecaster, load_forecaster, save_forecaster
from coact.engines.forecast.verification import contingency, event_scores, o3_grade, score

DAY = pd.Timestamp("2015-06-01")


def one_day(values: dict[int, float], default: float = np.nan) -> pd.Series:
    hours = pd.date_range(DAY, periods=24, freq="h")
    series = pd.Series(default, index=hours, dtype=float)
    for hour, value in values.items():
        series.iloc[hour] = value
    return series


# ----------------------------------------------------------------------------- MDA8


def test_mda8_is_the_highest_8h_window_inside_the_day() -> None:
    # 50 everywhere, 150 in hours 12..19: the window 12-19 averages exactly 150.
    series = one_day({h: 150.0 for h in range(12, 20)}, default=50.0)
    result = daily_max_8h(series)
    assert result.loc[DAY, "mda8"] == pytest.approx(150.0)
    assert result.loc[DAY, "windows"] == 17  # windows ending 07..23 (hours 0-7 .. 16-23)


def test_window_needs_six_valid_hours() -> None:
    # 100 in hours 13..17, 0 elsewhere, hours 10-12 missing.
    # window 10-17: 5 valid hours -> invalid; window 11-18: hours 13..18 = 6 valid,
    # mean (5 × 100 + 0) / 6 = 83.33; window 12-19: 7 valid, 500 / 7 = 71.4.
    # The 6 windows ending at hours 12..17 hold all 3 gaps (5 valid hours): 17 - 6 = 11
    # valid windows, fewer than 14, so the day itself is invalid under HJ 663.
    values = {h: 0.0 for h in range(24)}
    values.update({h: 100.0 for h in range(13, 18)})
    for h in (10, 11, 12):
        values[h] = np.nan
    result = daily_max_8h(one_day(values))
    assert result.loc[DAY, "windows"] == 11
    assert np.isnan(result.loc[DAY, "mda8"])
    assert result.loc[DAY, "raw_max"] == pytest.approx(500.0 / 6.0)
    relaxed = daily_max_8h(one_day(values), min_windows=11)
    assert relaxed.loc[DAY, "mda8"] == pytest.approx(500.0 / 6.0)


def test_day_with_fewer_than_14_windows_is_invalid_unless_it_exceeds() -> None:
    # Only hours 0..12 reported: windows ending 07..14 have >= 6 hours -> 8 windows < 14.
    low = daily_max_8h(one_day({h: 50.0 for h in range(13)}))
    assert low.loc[DAY, "windows"] == 8
    assert np.isnan(low.loc[DAY, "mda8"])
    # The same coverage at 200 µg/m³ exceeds the limit (grade 3), so the day stays valid.
    high = daily_max_8h(one_day({h: 200.0 for h in range(13)}))
    assert high.loc[DAY, "mda8"] == pytest.approx(200.0)


def test_hours_of_the_next_day_do_not_enter_a_day() -> None:
    hours = pd.date_range(DAY, periods=48, freq="h")
    series = pd.Series(10.0, index=hours)
    series.iloc[24:32] = 300.0  # first 8 hours of the next day
    result = daily_max_8h(series)
    assert result.loc[DAY, "mda8"] == pytest.approx(10.0)
    assert result.loc[DAY + pd.Timedelta(days=1), "mda8"] == pytest.approx(300.0)


# ----------------------------------------------------------------------------- grades


def test_grade_conversion_hj633_2012() -> None:
    # HJ 633-2012 O3 8-h breakpoints 100/160/215/265/800 µg/m³ (IAQI 50/100/150/200/300),
    # IAQI rounded up: 100.4 -> IAQI 50.33 -> 51 -> level 2; 160.6 -> 101 -> level 3.
    values = [0, 100, 100.4, 160, 160.6, 215, 216, 265, 266, 800, np.nan]
    assert o3_grade(values, on=DAY).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0]


def test_grade_edition_follows_the_date() -> None:
    # HJ 633-2026 rounds the concentration first: 100.4 -> 100 -> level 1 (2026-03-01 on).
    days = pd.DatetimeIndex(["2026-02-28", "2026-03-01"])
    assert o3_grade([100.4, 100.4], on=days).tolist() == [2, 1]


# ----------------------------------------------------------------------------- scores


def test_scores_on_a_hand_computed_example() -> None:
    observed = np.array([50, 120, 170, 180, 230, 90, 150, 165.0])
    forecast = np.array([60, 110, 150, 190, 170, 170, 140, 100.0])
    g_obs = o3_grade(observed, on=DAY)  # [1, 2, 3, 3, 4, 1, 2, 3]
    g_fc = o3_grade(forecast, on=DAY)  # [1, 2, 2, 3, 3, 3, 2, 1]
    assert g_obs.tolist() == [1, 2, 3, 3, 4, 1, 2, 3]
    assert g_fc.tolist() == [1, 2, 2, 3, 3, 3, 2, 1]
    result = score(observed, forecast, g_obs, g_fc)
    # exact: cases 1, 2, 4, 7 -> 4/8; within one: all but case 6 (1 vs 3) and 8 (3 vs 1)
    assert result["exact"] == pytest.approx(4 / 8)
    assert result["within_one"] == pytest.approx(6 / 8)
    # exceedance (grade >= 3): observed in cases 3, 4, 5, 8; forecast in 4, 5, 6.
    # hits a = 2 (4, 5); false alarms b = 1 (6); misses c = 2 (3, 8); correct negatives 3.
    table = contingency(g_obs >= 3, g_fc >= 3)
    assert table == {"hits": 2, "false_alarms": 1, "misses": 2, "correct_negatives": 3}
    # POD = 2/4, FAR = 1/3, TS = 2/5
    assert result["pod"] == pytest.approx(0.5)
    assert result["far"] == pytest.approx(1 / 3)
    assert result["ts"] == pytest.approx(0.4)
    # errors: 10, -10, -20, 10, -60, 80, -10, -65 -> bias -65/8;
    # squares 100+100+400+100+3600+6400+100+4225 = 15025
    assert result["bias"] == pytest.approx(-65 / 8)
    assert result["rmse"] == pytest.approx(np.sqrt(15025 / 8))
    assert result["r"] == pytest.approx(np.corrcoef(forecast, observed)[0, 1])


def test_event_scores_undefined_without_events() -> None:
    assert event_scores(contingency(np.zeros(3, bool), np.zeros(3, bool))) == {
        "pod": None,
        "far": None,
        "ts": None,
    }


# ----------------------------------------------------------------------------- baselines


def test_climatology_averages_the_day_of_year_window() -> None:
    days = pd.date_range("2014-01-01", "2014-12-31", freq="D")
    mda8 = pd.Series(np.where(days.day_of_year == 100, 200.0, 100.0), index=days)
    clim = Climatology(half_window=1).fit(mda8)
    # doy 100 ± 1 -> (100 + 200 + 100) / 3; far from it -> 100
    assert clim.predict(pd.DatetimeIndex(["2015-04-10"]))[0] == pytest.approx(400 / 3)
    assert clim.predict(pd.DatetimeIndex(["2015-07-01"]))[0] == pytest.approx(100.0)


def test_blend_weight_least_squares() -> None:
    # obs - clim = [5, 10], persist - clim = [10, 20]: w = (50 + 200) / (100 + 400) = 0.5
    clim = np.array([100.0, 100.0])
    w = fit_blend_weights(np.array([105.0, 110.0]), np.array([110.0, 120.0]), clim)
    assert w == pytest.approx(0.5)
    assert blend(np.array([np.nan, 140.0]), clim, w).tolist() == [100.0, 120.0]


# ----------------------------------------------------------------------------- synthetic data


def synthetic_history(days: int = 160, seed: int = 1, with_met: bool = True) -> HourlyHistory:
    rng = np.random.default_rng(seed)
    hours = pd.date_range("2015-04-01", periods=24 * days, freq="h")
    temp_day = 25 + 6 * np.sin(np.arange(days) / 5.0) + rng.normal(0, 1, days)
    diurnal = np.clip(np.sin((hours.hour - 6) / 24 * 2 * np.pi), 0, None)
    temp = np.repeat(temp_day, 24) + 5 * diurnal
    o3 = 30 + 4 * (np.repeat(temp_day, 24) - 20) * (0.3 + diurnal) + rng.normal(0, 8, len(hours))
    frame = pd.DataFrame({"A": o3, "B": o3 * 0.9 + 5}, index=hours).clip(lower=1)
    met = None
    if with_met:
        met = pd.DataFrame(
            {"temp_c": temp, "dewpoint_c": temp - 8, "wind_speed_ms": 2.0}, index=hours
        )
    no2 = pd.DataFrame({"A": 40 - o3 / 10, "B": 35 - o3 / 10}, index=hours)
    return HourlyHistory(frame, {"NO2": no2}, met, source="synthetic")


@pytest.fixture(scope="module")
def fitted() -> tuple[HourlyHistory, object, pd.Timestamp]:
    history = synthetic_history()
    origin = pd.Timestamp("2015-08-10")
    dataset = prepare(history, "none", leads=(1, 2, 3))
    model = fit_forecaster(dataset.design, dataset.target, dataset.issue["mda8"], origin)
    return history, model, origin


# ----------------------------------------------------------------------------- leakage


def test_features_of_day_d_ignore_later_data() -> None:
    history = synthetic_history(days=60)
    cut = pd.Timestamp("2015-05-10")
    changed = synthetic_history(days=60)
    later = changed.o3.index >= cut + pd.Timedelta(days=1)
    changed.o3.loc[later] = changed.o3.loc[later] * 3 + 50
    changed.pollutants["NO2"].loc[later] = 0.0
    before = issue_day_features(history).loc[:cut]
    after = issue_day_features(changed).loc[:cut]
    pd.testing.assert_frame_equal(before, after)


def test_model_trained_to_d_never_sees_later_days(fitted) -> None:
    history, model, origin = fitted
    changed = synthetic_history()
    later = changed.o3.index >= origin + pd.Timedelta(days=1)
    changed.o3.loc[later] = 500.0  # would dominate any fit that saw it
    dataset = prepare(changed, "none", leads=(1, 2, 3))
    refit = fit_forecaster(dataset.design, dataset.target, dataset.issue["mda8"], origin)
    original = issue_forecast(history, origin, model)
    again = issue_forecast(changed, origin, refit)
    pd.testing.assert_frame_equal(original, again)
    # training rows stop at the origin: the last training target day is the origin
    assert model.train_end == str(origin.date())


def test_forecast_for_d_ignores_data_after_d(fitted) -> None:
    history, model, origin = fitted
    as_of = origin + pd.Timedelta(days=5)
    changed = synthetic_history()
    changed.o3.loc[changed.o3.index >= as_of + pd.Timedelta(days=1)] = np.nan
    pd.testing.assert_frame_equal(
        issue_forecast(history, as_of, model), issue_forecast(changed, as_of, model)
    )


# ----------------------------------------------------------------------------- issue / missing


def test_issue_forecast_shape_and_probabilities(fitted) -> None:
    history, model, origin = fitted
    out = issue_forecast(history, origin, model)
    assert out["lead"].tolist() == list(range(1, 11))
    assert out["date"].iloc[0] == (origin + pd.Timedelta(days=1)).date()
    assert out["kind"].tolist() == ["precise"] * 3 + ["outlook"] * 7
    probabilities = out[[f"p_grade{g}" for g in range(1, 7)]].sum(axis=1)
    assert np.allclose(probabilities, 1.0)
    assert (out["mda8_q05"] <= out["mda8_median"]).all()
    assert (out["mda8_median"] <= out["mda8_q95"]).all()
    assert set(out["grade"]) <= {1, 2, 3, 4, 5, 6}


def test_gaps_in_hours_still_forecast(fitted) -> None:
    _, model, origin = fitted
    gappy = synthetic_history()
    rng = np.random.default_rng(5)
    drop = rng.random(len(gappy.o3)) < 0.2  # 20 % of hours missing at random
    gappy.o3.loc[drop] = np.nan
    out = issue_forecast(gappy, origin, model)
    assert out["mda8_median"].notna().all()


def test_met_model_without_met_needs_a_fallback(fitted) -> None:
    history, fallback, origin = fitted
    dataset = prepare(history, "observed", leads=(1, 2, 3))
    with_met = fit_forecaster(dataset.design, dataset.target, dataset.issue["mda8"], origin)
    assert with_met.uses_met
    with pytest.raises(ValueError, match="needs meteorology"):
        issue_forecast(history, origin, with_met)
    out = issue_forecast(history, origin, with_met, fallback=fallback)
    assert len(out) == 10
    # weather with holes (missing variables and days) still gives a forecast
    holes = history.met.drop(columns="wind_speed_ms").copy()
    holes.loc[holes.index >= origin + pd.Timedelta(days=2)] = np.nan
    out = issue_forecast(history, origin, with_met, met=holes)
    assert out["mda8_median"].notna().all()


def test_design_target_is_the_later_day() -> None:
    history = synthetic_history(days=20, with_met=False)
    issue = issue_day_features(history)
    design, target = build_design(issue, None, leads=(2,))
    day = pd.Timestamp("2015-04-05")
    assert target.loc[(day, 2)] == issue.loc[day + pd.Timedelta(days=2), "mda8"]
    assert design.loc[(day, 2), "persist"] == issue.loc[day, "mda8"]


def test_save_and_load_with_sidecar(fitted, tmp_path) -> None:
    _, model, _ = fitted
    sidecar = save_forecaster(model, tmp_path / "o3.joblib")
    summary = json.loads(sidecar.read_text("utf-8"))
    assert summary["engine_version"].startswith("1.")
    assert summary["training_data"]["last_target_day"] == model.train_end
    assert "persist" in summary["features"]
    assert load_forecaster(tmp_path / "o3.joblib").features == model.features


# ----------------------------------------------------------------------------- readers


def test_cnemc_hour_zero_closes_the_previous_day(tmp_path) -> None:
    rows = ["date,hour,station,O3,NO2,CO"]
    rows += [f"20190601,{h},1170A,{100 if h else 999},10,0.5" for h in range(24)]
    rows += ["20190602,0,1170A,999,10,0.5"]
    path = tmp_path / "cnemc.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    history = read_cnemc(path, ["1170A"])
    # label 2019-06-02 00h covers 23:00-24:00 of 06-01 -> period start 06-01 23:00
    assert history.o3.loc[pd.Timestamp("2019-06-01 23:00"), "1170A"] == 999
    assert history.pollutants["CO"].iloc[0, 0] == pytest.approx(500.0)  # mg/m³ -> µg/m³
    with pytest.raises(ForecastInputError, match="9999A"):
        read_cnemc(path, ["9999A"])


def test_prsa_reader_and_wind(tmp_path) -> None:
    header = '"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3",'
    header += '"TEMP","PRES","DEWP","RAIN","wd","WSPM","station"'
    lines = [header, '1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,"N",2,"X"']
    lines += ['2,2013,3,1,2,NA,8,4,7,300,NA,-1.1,1023.2,-18.2,0,"E",1,"X"']
    (tmp_path / "PRSA_Data_X_20130301-20160229.csv").write_text("\r\n".join(lines) + "\r\n")
    history = read_prsa(tmp_path)
    assert len(history.o3) == 3  # hour 1 is missing in the file -> a NaN row, not skipped
    assert np.isnan(history.o3.iloc[1, 0]) and np.isnan(history.o3.iloc[2, 0])
    # north wind 2 m/s blows southward: v = -2; east wind 1 m/s: u = -1
    assert history.met["wind_v_ms"].iloc[0] == pytest.approx(-2.0)
    assert history.met["wind_u_ms"].iloc[2] == pytest.approx(-1.0)
    with pytest.raises(ForecastInputError, match="no PRSA_Data"):
        read_prsa(tmp_path / "empty")


def test_met_csv_aliases_and_errors(tmp_path) -> None:
    good = tmp_path / "met.csv"
    good.write_text("time,TEMP,rh,issued\n2019-06-01 00:00,25,60,2019-05-31\n", encoding="utf-8")
    frame = read_met_csv(good)
    assert list(frame.columns) == ["temp_c", "rh_pct", "issued"]
    bad = tmp_path / "bad.csv"
    bad.write_text("time,TEMP\nnot-a-date,25\n", encoding="utf-8")
    with pytest.raises(ForecastInputError, match="row 2"):
        read_met_csv(bad)
    speeds = pd.Series([1.0]), pd.Series(["S"])
    u, v = wind_components(*speeds)
    assert v.iloc[0] == pytest.approx(1.0) and u.iloc[0] == pytest.approx(0.0, abs=1e-12)
