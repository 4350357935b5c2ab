"""Glue between stored station data and the forecast engine (no database access here).

- ``history_from_frame``: the air app's hourly frame (END-of-hour labels, CO in mg/m³) to the
  engine's ``HourlyHistory`` (period-start labels, all µg/m³).
- ``issue_with_model``: the engine's ``issue_forecast`` plus the point forecast and the two
  baselines of every lead (kept for verification).
- ``issue_with_baselines``: the forecast when no trained model may be used (too little
  history, or none trained before the issue day): per lead the better of persistence and
  climatology by exact grade accuracy over the history's own (issue day, target day) pairs,
  with the empirical spread of that baseline's errors as uncertainty (the engine's
  ``ResidualTable``). Climatology is fitted on all days up to the issue day, so the choice
  is made in sample (a mild optimism, stated on the page).

Leakage rule: everything is computed from ``history.until(as_of)``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from coact.engines.forecast.backtest import PRECISE_LEADS, issue_forecast, prepare
from coact.engines.forecast.baselines import Climatology
from coact.engines.forecast.features import LEADS, issue_day_features
from coact.engines.forecast.io import HourlyHistory
from coact.engines.forecast.models import QUANTILES, FittedForecaster, ResidualTable
from coact.engines.forecast.verification import N_GRADES, o3_grade

QUANTILE_COLUMNS = [f"q{round(q * 100):02d}" for q in QUANTILES]
MIN_PAIRS_FOR_SPREAD = 5  # fewer error samples than this: a point forecast without spread
CO_MG_TO_UG = 1000.0  # the engine takes CO in µg/m³; the air app stores mg/m³


def history_from_frame(frame: pd.DataFrame, source: str = "air app") -> HourlyHistory:
    """Wide hourly frames per station, labelled by the START of the hour."""
    if frame.empty:
        raise ValueError("no hourly O3 data for the requested days")
    data = frame.copy()
    data["start"] = pd.DatetimeIndex(data["time"]) - pd.Timedelta(hours=1)
    full = pd.date_range(
        data["start"].min().normalize(),
        data["start"].max().normalize() + pd.Timedelta(hours=23),
        freq="h",
    )

    def wide(column: str, factor: float = 1.0) -> pd.DataFrame:
        table = data.pivot_table(index="start", columns="station", values=column, aggfunc="mean")
        return (table * factor).reindex(full)

    o3 = wide("O3")
    pollutants = {
        name: wide(name, CO_MG_TO_UG if name == "CO" else 1.0)
        for name in ("NO2", "CO", "PM2.5")
        if name in data and data[name].notna().any()
    }
    return HourlyHistory(o3, pollutants, None, source)


def _frame_out(
    as_of: pd.Timestamp,
    point: np.ndarray,
    quantiles: np.ndarray,
    probs: np.ndarray,
    sources: list[str],
    persistence: np.ndarray,
    climatology: np.ndarray,
) -> pd.DataFrame:
    leads = np.array(LEADS)
    dates = [(as_of + pd.Timedelta(days=int(k))).date() for k in leads]
    out = pd.DataFrame({"lead": leads, "date": dates})
    out["kind"] = np.where(np.isin(leads, PRECISE_LEADS), "precise", "outlook")
    out["point"] = point
    for j, column in enumerate(QUANTILE_COLUMNS):
        out[column] = quantiles[:, j]
    out["grade"] = o3_grade(point, on=pd.DatetimeIndex(dates))
    for g in range(1, N_GRADES + 1):
        out[f"p_grade{g}"] = probs[:, g - 1]
    out["source"] = sources
    out["persistence"] = persistence
    out["climatology"] = climatology
    return out


def issue_with_model(
    history: HourlyHistory, as_of: dt.date, model: FittedForecaster
) -> pd.DataFrame:
    """The engine's forecast for leads 1..10 from a met-free model, with point and baselines."""
    day = pd.Timestamp(as_of).normalize()
    known = history.until(day)
    issued = issue_forecast(known, day, model)
    dataset = prepare(known, "none")
    design = dataset.design[dataset.design.index.get_level_values("issue_day") == day]
    points = model.point_forecasts(design)
    predicted = model.predict(design)
    quantiles = issued[[f"mda8_{c}" for c in QUANTILE_COLUMNS]].to_numpy(dtype=float)
    probs = issued[[f"p_grade{g}" for g in range(1, N_GRADES + 1)]].to_numpy(dtype=float)
    return _frame_out(
        day,
        predicted["point"].to_numpy(dtype=float),
        quantiles,
        probs,
        [str(s) for s in issued["source"]],
        points["persistence"].to_numpy(dtype=float),
        points["climatology"].to_numpy(dtype=float),
    )


def _pairs(mda8: pd.Series, climatology: Climatology) -> dict[int, pd.DataFrame]:
    """Per lead: history pairs (issue day d, target d+k) with both baselines and the outcome."""
    days = pd.DatetimeIndex(mda8.index)
    out = {}
    for lead in LEADS:
        targets = days + pd.Timedelta(days=lead)
        frame = pd.DataFrame(
            {
                "persistence": mda8.to_numpy(),
                "climatology": climatology.predict(targets),
                "observed": mda8.reindex(targets).to_numpy(),
                "target_day": targets,
            }
        )
        out[lead] = frame.dropna(subset=["persistence", "observed"])
    return out


def _better_baseline(pairs: pd.DataFrame) -> str:
    """The baseline with the higher exact grade accuracy on the pairs (persistence on ties,
    as the engine's choice does)."""
    if pairs.empty:
        return "climatology"
    days = pd.DatetimeIndex(pairs["target_day"])
    observed = o3_grade(pairs["observed"].to_numpy(), on=days)
    exact = {
        name: float(np.mean(o3_grade(pairs[name].to_numpy(), on=days) == observed))
        for name in ("persistence", "climatology")
    }
    return "persistence" if exact["persistence"] >= exact["climatology"] else "climatology"


def issue_with_baselines(history: HourlyHistory, as_of: dt.date) -> pd.DataFrame:
    """Forecast leads 1..10 with the better simple baseline per lead (see module docstring)."""
    day = pd.Timestamp(as_of).normalize()
    issue = issue_day_features(history.until(day))
    mda8 = issue["mda8"]
    if mda8.dropna().empty:
        raise ValueError(f"no valid daily max 8-h O3 up to {day.date()}")
    climatology = Climatology().fit(mda8)
    pairs = _pairs(mda8, climatology)
    today = mda8.get(day, np.nan)
    target_days = pd.DatetimeIndex([day + pd.Timedelta(days=k) for k in LEADS])
    clim_points = climatology.predict(target_days)
    points, sources = np.zeros(len(LEADS)), []
    quantiles = np.zeros((len(LEADS), len(QUANTILES)))
    probs = np.zeros((len(LEADS), N_GRADES))
    for i, lead in enumerate(LEADS):
        name = _better_baseline(pairs[lead])
        if name == "persistence" and not np.isfinite(today):
            name = "climatology"  # no valid MDA8 on the issue day
        points[i] = today if name == "persistence" else clim_points[i]
        sources.append(name)
        quantiles[i], probs[i] = _spread(pairs[lead], name, lead, points[i], target_days[i])
    persistence = np.full(len(LEADS), today, dtype=float)
    return _frame_out(day, points, quantiles, probs, sources, persistence, clim_points)


def _spread(
    pairs: pd.DataFrame, name: str, lead: int, point: float, target_day: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles and grade probabilities: point + the baseline's past errors at this lead."""
    if len(pairs) < MIN_PAIRS_FOR_SPREAD:
        grade = int(o3_grade([point], on=target_day)[0])
        one_hot = np.zeros(N_GRADES)
        one_hot[grade - 1] = 1.0
        return np.full(len(QUANTILES), point), one_hot
    table = ResidualTable.from_oof(
        np.full(len(pairs), lead), pairs[name].to_numpy(), pairs["observed"].to_numpy()
    )
    samples = table.sample_matrix(lead, np.array([point]))
    grades = o3_grade(samples, on=target_day)
    probs = np.array([np.mean(grades == g) for g in range(1, N_GRADES + 1)])
    return np.quantile(samples[0], QUANTILES), probs
