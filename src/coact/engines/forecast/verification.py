"""Verification scores of O3-8h forecasts and the grade conversion they rest on.

Grades are the HJ 633 IAQI levels 1..6 of the daily maximum 8-h O3 (edition chosen by date
through ``coact.engines.editions``). An *exceedance day* is one whose MDA8 is above the
grade-2 limit (GB 3095-2012: 160 µg/m³), i.e. IAQI level >= 3; we test ``grade >= 3``
rather than a number so the limit lives only in the AQI engine's table.

Scores (shared/reference/air-quality.md §4): exact grade accuracy, within-one-grade
accuracy, exceedance POD / FAR / TS from the 2×2 table, RMSE, mean bias (forecast minus
observed), Pearson r, and the ranked probability score of grade probabilities.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from coact.engines.aqi import o3_8h_grade
from coact.engines.editions import edition_for

EXCEEDANCE_GRADE = 3  # IAQI level 3 (轻度污染) and above: MDA8 over the grade-2 limit
N_GRADES = 6


def _editions(on: object, size: int) -> np.ndarray:
    if on is None:
        return np.full(size, edition_for("HJ633", dt.date.today()), dtype=object)
    if isinstance(on, dt.date | pd.Timestamp):
        return np.full(size, edition_for("HJ633", pd.Timestamp(on).date()), dtype=object)
    days = pd.DatetimeIndex(on)
    codes, uniques = pd.factorize(days.normalize())
    editions = np.array([edition_for("HJ633", d.date()) for d in uniques], dtype=object)
    return editions[codes]


def o3_grade(values: Iterable[float] | np.ndarray, on: object = None) -> np.ndarray:
    """IAQI level (1..6) of daily max 8-h O3 values in µg/m³; 0 where the value is NaN.

    ``on``: a date, or one date per value, selecting the HJ 633 edition (default: today).
    """
    array = np.asarray(values, dtype=float)
    flat = array.ravel()
    out = np.zeros(flat.shape, dtype=int)
    finite = np.isfinite(flat)
    if not finite.any():
        return out.reshape(array.shape)
    editions = _editions(on, flat.size)
    for edition in np.unique(editions[finite]):
        mask = finite & (editions == edition)
        out[mask] = np.asarray(o3_8h_grade(flat[mask], edition=str(edition)), dtype=int)
    return out.reshape(array.shape)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def contingency(observed_event: np.ndarray, forecast_event: np.ndarray) -> dict[str, int]:
    """2×2 table: hits, false alarms, misses, correct negatives."""
    obs = np.asarray(observed_event, dtype=bool)
    fc = np.asarray(forecast_event, dtype=bool)
    return {
        "hits": int(np.sum(obs & fc)),
        "false_alarms": int(np.sum(~obs & fc)),
        "misses": int(np.sum(obs & ~fc)),
        "correct_negatives": int(np.sum(~obs & ~fc)),
    }


def event_scores(table: dict[str, int]) -> dict[str, float | None]:
    """POD = a/(a+c), FAR = b/(a+b), TS = a/(a+b+c); None when undefined (no events)."""
    a, b, c = table["hits"], table["false_alarms"], table["misses"]
    return {"pod": _ratio(a, a + c), "far": _ratio(b, a + b), "ts": _ratio(a, a + b + c)}


def ranked_probability_score(probabilities: np.ndarray, observed_grade: np.ndarray) -> float:
    """Mean RPS over cases: sum over grades of (cumulative forecast - cumulative observed)²,
    divided by (number of grades - 1) so that it lies in [0, 1]."""
    probs = np.asarray(probabilities, dtype=float)
    observed = np.zeros_like(probs)
    observed[np.arange(len(probs)), np.asarray(observed_grade) - 1] = 1.0
    diff = np.cumsum(probs, axis=1) - np.cumsum(observed, axis=1)
    return float(np.mean(np.sum(diff**2, axis=1) / (probs.shape[1] - 1)))


def score(
    observed: np.ndarray,
    forecast: np.ndarray,
    observed_grade: np.ndarray,
    forecast_grade: np.ndarray,
    probabilities: np.ndarray | None = None,
) -> dict[str, float | int | None]:
    """All scores of one set of (forecast, observation) pairs. Pairs with a NaN are dropped.

    Accuracies are fractions. ``bias`` = mean(forecast − observed), µg/m³.
    """
    obs = np.asarray(observed, dtype=float)
    fc = np.asarray(forecast, dtype=float)
    keep = np.isfinite(obs) & np.isfinite(fc)
    obs, fc = obs[keep], fc[keep]
    g_obs = np.asarray(observed_grade)[keep]
    g_fc = np.asarray(forecast_grade)[keep]
    n = int(keep.sum())
    if n == 0:
        return {"n": 0}
    diff = np.abs(g_fc - g_obs)
    result: dict[str, float | int | None] = {
        "n": n,
        "exact": float(np.mean(diff == 0)),
        "within_one": float(np.mean(diff <= 1)),
    }
    result.update(event_scores(contingency(g_obs >= EXCEEDANCE_GRADE, g_fc >= EXCEEDANCE_GRADE)))
    result["rmse"] = float(np.sqrt(np.mean((fc - obs) ** 2)))
    result["bias"] = float(np.mean(fc - obs))
    r = np.corrcoef(fc, obs)[0, 1] if n > 1 and fc.std() > 0 and obs.std() > 0 else math.nan
    result["r"] = None if math.isnan(r) else float(r)
    if probabilities is not None:
        result["rps"] = ranked_probability_score(np.asarray(probabilities)[keep], g_obs)
    return result
