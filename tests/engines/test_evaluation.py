"""HJ 663 / GB 3095 evaluation engine: validity, percentiles, rounding, city values, ratios."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coact.engines import evaluation as ev

NANTONG = (
    Path(__file__).resolve().parents[2].parent / "shared/data/air/nantong_sites_hourly_2019.csv"
)


def _hours(station, day, hours, **values):
    """Hourly rows for the hours 1..24 of natural day ``day`` (hour 24 = 00:00 next day)."""
    start = pd.Timestamp(day)
    return pd.DataFrame(
        {"station": station, "time": [start + pd.Timedelta(hours=h) for h in hours], **values}
    )


# --------------------------------------------------------------------------- percentile


def test_percentile_formula_hand_example():
    # n = 5, p = 90: k = 1 + 4*0.9 = 4.6, s = 4: X4 + (X5 - X4)*0.6 = 40 + 10*0.6 = 46
    assert ev.percentile_hj663([50, 10, 40, 30, 20], 90) == pytest.approx(46.0)
    # n = 20 (1..20), p = 95: k = 1 + 19*0.95 = 19.05: 19 + 1*0.05 = 19.05
    assert ev.percentile_hj663(range(1, 21), 95) == pytest.approx(19.05)
    # n = 3, p = 98: k = 1 + 2*0.98 = 2.96: 7 + (9 - 7)*0.96 = 8.92 ; NaN ignored
    assert ev.percentile_hj663([9, np.nan, 1, 7], 98) == pytest.approx(8.92)
    assert ev.percentile_hj663([5], 95) == 5 and math.isnan(ev.percentile_hj663([], 95))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=60), st.sampled_from([90, 95, 98]))
def test_percentile_equals_numpy_linear(values, p):
    assert ev.percentile_hj663(values, p) == pytest.approx(np.percentile(values, p))


# --------------------------------------------------------------------------- daily values


def test_daily_mean_needs_20_hours_and_natural_day_is_hours_1_to_24():
    # Day 1: hours 1..24 (24 is 00:00 of day 2) of 10 ug/m3, except hour 24 = 34:
    #   mean = (23*10 + 34)/24 = 11. Day 2: only 19 hours -> invalid (GB 3095 Table 4).
    day1 = _hours("1168A", "2019-01-01", range(1, 25), **{"PM2.5": [10.0] * 23 + [34.0]})
    day2 = _hours("1168A", "2019-01-02", range(1, 20), **{"PM2.5": [10.0] * 19})
    daily = ev.station_daily(pd.concat([day1, day2]))
    values = daily["PM2.5_24h"].droplevel("station")
    assert values[pd.Timestamp("2019-01-01")] == pytest.approx(11.0)
    assert math.isnan(values[pd.Timestamp("2019-01-02")])
    assert daily["hours_PM2.5"].tolist() == [24, 19]


def test_mda8_windows_and_14_window_rule():
    # Day 1: O3 at hours 1..20 only, value = hour*10. Windows end at 8..24 and need 6 hours:
    #   ending 22 covers 15..22 -> 6 valid (15..20) ok; ending 23 -> 5 -> invalid.
    #   15 valid windows (8..22) >= 14 -> valid; the max is the window ending 22, whose valid
    #   hours are 15..20: mean(150, 160, ..., 200) = 175 (a window with >= 6 hours counts).
    day1 = _hours("1168A", "2019-07-01", range(1, 21), O3=[h * 10.0 for h in range(1, 21)])
    # Day 2: hours 1..12 at 120 -> windows ending 8..14 valid = 7 < 14 -> invalid (120 < 160).
    # Day 3: hours 1..12 at 200 -> 7 windows, but max 200 > 160 limit -> valid anyway (§6.1.2).
    day2 = _hours("1168A", "2019-07-02", range(1, 13), O3=[120.0] * 12)
    day3 = _hours("1168A", "2019-07-03", range(1, 13), O3=[200.0] * 12)
    daily = ev.station_daily(pd.concat([day1, day2, day3])).droplevel("station")
    assert daily["windows_O3_8h"].tolist() == [15, 7, 7]
    assert daily["O3_8h"].iloc[0] == pytest.approx(175.0)
    assert math.isnan(daily["O3_8h"].iloc[1])
    assert daily["O3_8h"].iloc[2] == pytest.approx(200.0)
    assert daily["O3_1h"].iloc[0] == 200.0 and math.isnan(daily["O3_1h"].iloc[1])  # 12 < 20 h


def test_city_value_is_station_mean_rounded_once_by_gbt8170():
    # PM2.5 daily: stations 30 and 41 -> 35.5 -> 36 (5 after odd 5: up);
    #              stations 30 and 39 -> 34.5 -> 34 (5 after even 4: kept).
    rows = []
    for day, (a, b) in (("2019-03-01", (30.0, 41.0)), ("2019-03-02", (30.0, 39.0))):
        rows.append(_hours("1168A", day, range(1, 25), **{"PM2.5": [a] * 24}))
        rows.append(_hours("1169A", day, range(1, 25), **{"PM2.5": [b] * 24}))
    daily = ev.station_daily(pd.concat(rows))
    city = ev.round_daily(ev.city_daily(daily, ["1168A", "1169A"]))
    assert city["PM2.5_24h"].tolist() == [36.0, 34.0]
    assert city["stations_PM2.5_24h"].tolist() == [2, 2]


# --------------------------------------------------------------------------- statistics


def _city_days(start, count, **columns):
    index = pd.date_range(start, periods=count, freq="D", name="date")
    base = {
        "SO2_24h": 10.0,
        "NO2_24h": 40.0,
        "CO_24h": 0.5,
        "PM10_24h": 70.0,
        "PM2.5_24h": 35.0,
        "O3_8h": 100.0,
        "O3_1h": 120.0,
    }
    base.update(columns)
    return pd.DataFrame(
        {k: np.broadcast_to(v, count).astype(float) for k, v in base.items()}, index=index
    )


def test_good_day_ratio_with_sand_dust_and_exceptions():
    # 10 days; days 1-3 PM10 400 (2012 IAQI 200 + 100/70*50 = 271.4 -> 272, not good).
    pm10 = [400.0] * 3 + [70.0] * 7
    days = _city_days("2019-04-01", 10, PM10_24h=pm10)
    table = ev.daily_city_aqi(days, "2012")
    sand = [dt.date(2019, 4, 1)]
    stats = ev.period_statistics(
        days, table, dt.date(2019, 4, 1), dt.date(2019, 4, 10), edition="2012", sand_dust_days=sand
    )
    assert (stats["valid_days"], stats["good_days"]) == (10, 7)
    assert stats["good_day_ratio"] == 70.0
    assert stats["good_day_ratio_excl_sand_dust"] == 77.8  # 7/9 = 77.78 -> 77.8
    # Exception events drop days from everything under 2026 only.
    t26 = ev.daily_city_aqi(days, "2026")
    s26 = ev.period_statistics(
        days, t26, dt.date(2019, 4, 1), dt.date(2019, 4, 10), edition="2026", exception_days=sand
    )
    assert (s26["valid_days"], s26["excluded_days"], s26["days_pm10"]) == (9, 1, 9)
    s12 = ev.period_statistics(
        days, table, dt.date(2019, 4, 1), dt.date(2019, 4, 10), edition="2012", exception_days=sand
    )
    assert s12["valid_days"] == 10 and s12["excluded_days"] == 0


def test_incomplete_day_counts_only_when_aqi_above_100():
    days = _city_days(
        "2019-05-01", 3, CO_24h=[np.nan, np.nan, 0.5], **{"PM2.5_24h": [20.0, 80.0, 20.0]}
    )
    table = ev.daily_city_aqi(days, "2012")
    assert table["published"].tolist() == [False, True, True]


def test_annual_means_percentiles_and_composite_index():
    # Constant year: SO2 10, NO2 40, PM10 70, PM2.5 35, CO 0.5, O3-8h 100 (every day).
    # Composite = 10/60 + 40/40 + 70/70 + 35/35 + 0.5/4 + 100/160 = 3.917 -> 3.92
    days = _city_days("2019-01-01", 365)
    table = ev.daily_city_aqi(days, "2012", include_o3_1h=False)
    stats = ev.annual_statistics(days, table, 2019, edition="2012")
    assert stats["pm25_annual_mean"] == 35 and stats["co_p95"] == 0.5
    assert stats["o3_8h_p90"] == 100 and stats["composite_index"] == 3.92
    assert stats["pm25_annual_valid"] and stats["valid_days"] == 365
    assert stats["good_day_ratio"] == 100.0 and stats["pm25_compliant"]
    # The same air fails PM2.5 on the 2026 transition limit? 35 > 30 -> not compliant.
    s26 = ev.annual_statistics(days, ev.daily_city_aqi(days, "2026"), 2019, edition="2026")
    assert not s26["pm25_compliant"] and s26["pm10_compliant"] is False  # 70 > 60


def test_annual_validity_month_rule():
    # 361 days (>= 324) but February has 24 (< 25): invalid (GB 3095 Table 4).
    days = _city_days("2019-01-01", 365)
    days.loc["2019-02-01":"2019-02-04", "PM2.5_24h"] = np.nan
    table = ev.daily_city_aqi(days, "2012")
    stats = ev.annual_statistics(days, table, 2019, edition="2012")
    assert stats["days_pm25"] == 361 and not stats["pm25_annual_valid"]
    assert stats["no2_annual_valid"]


def test_mean_rounding_uses_gbt8170():
    # Daily PM2.5 34 and 35 -> mean 34.5 -> 34 (even); CO 0.5 and 0.6 -> 0.55 -> 0.6.
    days = _city_days("2019-06-01", 2, CO_24h=[0.5, 0.6], **{"PM2.5_24h": [34.0, 35.0]})
    table = ev.daily_city_aqi(days, "2012")
    stats = ev.period_statistics(
        days, table, dt.date(2019, 6, 1), dt.date(2019, 6, 2), edition="2012"
    )
    assert stats["pm25_mean"] == 34 and stats["co_mean"] == 0.6


def test_monthly_and_year_to_date():
    days = _city_days(
        "2019-01-01",
        365,
        **{"PM2.5_24h": np.where(pd.date_range("2019-01-01", periods=365).month == 1, 60.0, 20.0)},
    )
    table = ev.daily_city_aqi(days, "2012")
    months = ev.monthly_statistics(days, table, 2019, edition="2012")
    assert months.loc[1, "pm25_mean"] == 60 and months.loc[2, "pm25_mean"] == 20
    ytd = ev.year_to_date(days, table, dt.date(2019, 2, 28), edition="2012")
    # (31*60 + 28*20)/59 = 41.02 -> 41
    assert ytd["pm25_mean"] == 41 and ytd["valid_days"] == 59


def test_limits_by_edition_and_phase():
    assert ev.gb3095_limits("2012")["PM2.5"]["annual"] == 35
    assert ev.gb3095_limits("2026", on=dt.date(2030, 12, 31))["PM2.5"]["annual"] == 30
    assert ev.gb3095_limits("2026", on=dt.date(2031, 1, 1))["PM2.5"]["annual"] == 25
    assert ev.gb3095_limits("2026", on=dt.date(2031, 1, 1))["NO2"]["day"] == 50
    assert ev.gb3095_limits("2012", grade=1)["SO2"]["annual"] == 20


def test_three_year_rolling_and_reference_state():
    rolled = ev.three_year_rolling({2019: 40, 2020: 35, 2021: 33, 2022: 30})
    assert rolled == {2021: 36.0, 2022: 33.0}  # 108/3 = 36; 98/3 = 32.67 -> 33
    assert ev.reference_state(dt.date(2018, 8, 31)) == "273K"
    assert ev.reference_state(dt.date(2018, 9, 1)) == "298K"
    assert ev.spans_reference_state_change([dt.date(2018, 1, 1), dt.date(2019, 1, 1)])
    assert ev.gas_reference_factor() == pytest.approx(273.15 / 298.15)


@pytest.mark.skipif(not NANTONG.is_file(), reason=f"shared data file absent: {NANTONG}")
def test_nantong_2019_regression_fixture():
    # Regression values of this engine on unaudited release data (not official figures).
    from coact.engines import airio

    hourly, _ = airio.read_cnemc_long(NANTONG)
    stats = ev.evaluate_year(hourly, 2019, stations=["1168A", "1169A", "1170A", "1171A", "1172A"])
    assert stats["edition"] == "2012"
    assert (stats["pm25_annual_mean"], stats["pm10_annual_mean"]) == (38.0, 58.0)
    assert (stats["no2_annual_mean"], stats["so2_annual_mean"]) == (32.0, 11.0)
    assert (stats["co_p95"], stats["o3_8h_p90"]) == (1.1, 157.0)
    assert (stats["valid_days"], stats["good_day_ratio"]) == (339, 78.8)
