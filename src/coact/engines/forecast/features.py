"""Target (MDA8) and features of the ozone forecast.

Target: the daily maximum 8-hour mean of O3 (MDA8, µg/m³) following HJ 663-2013 and
GB 3095-2012 Table 4 [R, shared/reference/air-quality.md §2.2]: 8-h moving means of hourly
values, a window valid with at least 6 valid hours; the 17 windows ending at 08:00..24:00
of the natural day (hours 1-8 .. 17-24, i.e. period starts 0-7 .. 16-23); the day valid with
at least 14 valid windows, or with fewer if the maximum still exceeds the limit (grade > 2).

Leakage rule: every feature of an issue day D is built from hours < D+1 only; the only
inputs about days after D are meteorology for the target day (a weather forecast, or
observed weather standing in for a perfect forecast) and the calendar.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coact.engines.forecast.io import HourlyHistory
from coact.engines.forecast.verification import o3_grade

WINDOW_HOURS = 8
MIN_HOURS_PER_WINDOW = 6  # HJ 663-2013 / GB 3095-2012 Table 4 [R]
MIN_WINDOWS_PER_DAY = 14  # HJ 663-2013 [R]
FIRST_WINDOW_END = 7  # period-start hour of the last hour of the first window (hours 0..7)
LEADS = tuple(range(1, 11))


def _full_days(series: pd.Series) -> pd.Series:
    """Reindex an hourly series to whole days so windows and day groups line up."""
    start = series.index.min().normalize()
    end = series.index.max().normalize() + pd.Timedelta(hours=23)
    return series.reindex(pd.date_range(start, end, freq="h"))


def daily_max_8h(
    o3_hourly: pd.Series,
    min_hours: int = MIN_HOURS_PER_WINDOW,
    min_windows: int = MIN_WINDOWS_PER_DAY,
) -> pd.DataFrame:
    """MDA8 per natural day from hourly O3 (µg/m³, period-start index).

    Returns columns ``mda8`` (NaN when the day is invalid), ``windows`` (valid 8-h windows)
    and ``raw_max`` (maximum over the valid windows whatever their number).
    """
    if o3_hourly.dropna().empty:
        return pd.DataFrame(columns=["mda8", "windows", "raw_max"], dtype=float)
    hourly = _full_days(o3_hourly.astype(float))
    means = hourly.rolling(WINDOW_HOURS, min_periods=min_hours).mean()
    # A window belongs to the day of its last hour; only windows wholly inside the day count.
    inside = means[means.index.hour >= FIRST_WINDOW_END]
    grouped = inside.groupby(inside.index.normalize())
    out = pd.DataFrame({"windows": grouped.count().astype(float), "raw_max": grouped.max()})
    exceeds = o3_grade(out["raw_max"].to_numpy(), on=out.index) >= 3
    valid = (out["windows"] >= min_windows) | ((out["windows"] > 0) & exceeds)
    out["mda8"] = out["raw_max"].where(valid)
    out.index = pd.DatetimeIndex(out.index, name="day")
    return out[["mda8", "windows", "raw_max"]]


def area_hourly(frame: pd.DataFrame, station: str | None = None) -> pd.Series:
    """Hourly O3 of the area: one station, or the mean of the available stations.

    The city value is the arithmetic mean of its stations (HJ 663-2013 §5 [R]); here it is
    taken hour by hour over the stations that reported, then MDA8 is computed on it.
    """
    if station is not None:
        if station not in frame.columns:
            raise KeyError(f"station {station!r} not in data; known: {list(frame.columns)}")
        return frame[station].astype(float)
    return frame.mean(axis=1, skipna=True)


def _daily(series: pd.Series, how: str, hours: tuple[int, int] | None = None) -> pd.Series:
    selected = series
    if hours is not None:
        selected = series[(series.index.hour >= hours[0]) & (series.index.hour <= hours[1])]
    return selected.groupby(selected.index.normalize()).agg(how)


def magnus_rh(temp_c: pd.Series, dewpoint_c: pd.Series) -> pd.Series:
    """Relative humidity (%) from temperature and dew point, Magnus formula with the
    Alduchov & Eskridge (1996) constants a=17.625, b=243.04 °C."""
    a, b = 17.625, 243.04
    return 100.0 * np.exp(a * dewpoint_c / (b + dewpoint_c) - a * temp_c / (b + temp_c))


def daily_met(met: pd.DataFrame) -> pd.DataFrame:
    """Daily aggregates of hourly (or coarser) meteorology with canonical column names."""
    frame = met.drop(columns=["issued"], errors="ignore").astype(float)
    if "rh_pct" not in frame and {"temp_c", "dewpoint_c"} <= set(frame.columns):
        frame["rh_pct"] = magnus_rh(frame["temp_c"], frame["dewpoint_c"])
    recipes = {
        "temp_c": [("max", None), ("mean", None), ("min", None), ("mean", (12, 17))],
        "dewpoint_c": [("mean", None)],
        "rh_pct": [("mean", None), ("min", None), ("mean", (12, 17))],
        "pressure_hpa": [("mean", None)],
        "precip_mm": [("sum", None)],
        "wind_speed_ms": [("mean", None), ("mean", (12, 17))],
        "wind_u_ms": [("mean", None)],
        "wind_v_ms": [("mean", None)],
        "radiation_wm2": [("mean", None)],
        "cloud_frac": [("mean", None)],
        "blh_m": [("max", None)],
    }
    columns = {}
    for variable, aggs in recipes.items():
        if variable not in frame:
            continue
        for how, hours in aggs:
            suffix = how if hours is None else f"{how}_{hours[0]}_{hours[1]}h"
            columns[f"{variable}_{suffix}"] = _daily(frame[variable], how, hours)
    out = pd.DataFrame(columns)
    out.index = pd.DatetimeIndex(out.index, name="day")
    return out


def issue_day_features(history: HourlyHistory, station: str | None = None) -> pd.DataFrame:
    """One row per day D with the observed target ``mda8`` and features known at end of D.

    Uses hours of D and earlier only. Missing hours give NaN features (LightGBM copes).
    """
    o3 = area_hourly(history.o3, station)
    target = daily_max_8h(o3)
    days = pd.date_range(target.index.min(), target.index.max(), freq="D", name="day")
    out = pd.DataFrame(index=days)
    out["mda8"] = target["mda8"].reindex(days)
    out["o3_max1h"] = _daily(o3, "max").reindex(days)
    out["o3_mean"] = _daily(o3, "mean").reindex(days)
    out["o3_evening"] = _daily(o3, "mean", (18, 23)).reindex(days)
    out["o3_hours"] = _daily(o3, "count").reindex(days)
    for lag in (1, 2, 3):
        out[f"mda8_lag{lag}"] = out["mda8"].shift(lag)
    out["mda8_mean7"] = out["mda8"].rolling(7, min_periods=3).mean()
    out["mda8_max7"] = out["mda8"].rolling(7, min_periods=3).max()
    out["mda8_mean30"] = out["mda8"].rolling(30, min_periods=10).mean()
    for name, frame in history.pollutants.items():
        if name not in ("NO2", "CO", "PM2.5"):
            continue
        series = area_hourly(frame, station if station in frame.columns else None)
        out[f"{name}_mean"] = _daily(series, "mean").reindex(days)
    if history.met is not None:
        met = daily_met(history.met).reindex(days)
        out = out.join(met.add_prefix("met0_"))
    return out


def calendar_features(target_days: pd.DatetimeIndex) -> pd.DataFrame:
    """Season and week of the target day (ozone follows sun and weekday emissions)."""
    doy = target_days.day_of_year.to_numpy()
    angle = 2 * np.pi * (doy - 1) / 365.25
    return pd.DataFrame(
        {
            "doy_sin": np.sin(angle),
            "doy_cos": np.cos(angle),
            "weekday": target_days.day_of_week.to_numpy(),
        },
        index=target_days,
    )


def target_met_observed(
    met_daily: pd.DataFrame, issue_days: pd.DatetimeIndex, lead: int
) -> pd.DataFrame:
    """Met of day D+lead for each issue day D, from observations (a perfect forecast)."""
    values = met_daily.reindex(issue_days + pd.Timedelta(days=lead))
    values.index = issue_days
    return values


def target_met_from_forecasts(
    met: pd.DataFrame, issue_days: pd.DatetimeIndex, lead: int
) -> pd.DataFrame:
    """Met of day D+lead from the latest forecast issued on or before day D.

    ``met`` has an ``issued`` column (issue time) and a valid-time index.
    """
    frames = []
    for issued, group in met.groupby(met["issued"].dt.normalize()):
        daily = daily_met(group.drop(columns="issued"))
        daily["issued_day"] = issued
        frames.append(daily)
    table = pd.concat(frames).reset_index().rename(columns={"day": "valid_day"})
    table = table.sort_values("issued_day")
    left = pd.DataFrame(
        {"issue_day": issue_days, "valid_day": issue_days + pd.Timedelta(days=lead)}
    )
    merged = pd.merge_asof(
        left.sort_values("issue_day"),
        table,
        left_on="issue_day",
        right_on="issued_day",
        by="valid_day",
        direction="backward",
    )
    merged = merged.set_index("issue_day").reindex(issue_days)
    return merged.drop(columns=["valid_day", "issued_day"])


def design_for_lead(
    issue: pd.DataFrame, lead: int, target_met: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.Series]:
    """Rows (issue day D, lead) with features and the observed MDA8 of D+lead (may be NaN)."""
    days = pd.DatetimeIndex(issue.index)
    target_days = days + pd.Timedelta(days=lead)
    features = issue.drop(columns=["mda8"]).copy()
    features.insert(0, "persist", issue["mda8"])
    calendar = calendar_features(target_days)
    calendar.index = days
    features = features.join(calendar)
    features["lead"] = float(lead)
    if target_met is not None:
        met = target_met.reindex(days)
        features = features.join(met.add_prefix("met_"))
        if "met_temp_c_max" in features and "met0_temp_c_max" in features:
            features["met_temp_change"] = features["met_temp_c_max"] - features["met0_temp_c_max"]
    target = issue["mda8"].reindex(target_days)
    target.index = days
    features["target_day"] = target_days
    return features, target.rename("y")


def build_design(
    issue: pd.DataFrame,
    target_met: dict[int, pd.DataFrame] | None,
    leads: tuple[int, ...] = LEADS,
) -> tuple[pd.DataFrame, pd.Series]:
    """Stack the rows of all leads: a frame indexed by (issue_day, lead) and the target."""
    parts, targets = [], []
    for lead in leads:
        met = None if target_met is None else target_met.get(lead)
        features, target = design_for_lead(issue, lead, met)
        index = pd.MultiIndex.from_arrays(
            [features.index, np.full(len(features), lead)], names=["issue_day", "lead"]
        )
        features.index = index
        target.index = index
        parts.append(features)
        targets.append(target)
    return pd.concat(parts), pd.concat(targets)
