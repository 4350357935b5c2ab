"""Reference forecasts the model must beat, computed exactly like the model's.

- persistence: the MDA8 of the issue day D for every lead;
- climatology: the mean MDA8 of the training days within ±``half_window`` days of the
  target's day of year (circular, all training years pooled);
- blend: damped anomaly persistence, climatology + w_k × (persistence − climatology), with
  one weight per lead fitted by least squares on training pairs and clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DAYS_IN_YEAR = 366


@dataclass
class Climatology:
    """Day-of-year mean MDA8 (µg/m³) from training days only."""

    half_window: int = 15
    table: np.ndarray = field(default_factory=lambda: np.full(DAYS_IN_YEAR, np.nan))

    def fit(self, mda8: pd.Series) -> Climatology:
        values = mda8.dropna()
        if values.empty:
            raise ValueError("climatology needs at least one valid MDA8 day")
        doy = pd.DatetimeIndex(values.index).day_of_year.to_numpy() - 1
        sums = np.bincount(doy, weights=values.to_numpy(), minlength=DAYS_IN_YEAR)
        counts = np.bincount(doy, minlength=DAYS_IN_YEAR).astype(float)
        offsets = np.arange(-self.half_window, self.half_window + 1)
        window_sum = sum(np.roll(sums, -k) for k in offsets)
        window_count = sum(np.roll(counts, -k) for k in offsets)
        overall = float(values.mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            table = window_sum / window_count
        self.table = np.where(window_count > 0, table, overall)
        return self

    def predict(self, days: pd.DatetimeIndex | pd.Series) -> np.ndarray:
        index = pd.DatetimeIndex(days)
        return self.table[index.day_of_year.to_numpy() - 1]


def fit_blend_weights(
    observed: np.ndarray, persistence: np.ndarray, climatology: np.ndarray
) -> float:
    """Least-squares w in obs − clim ≈ w (persist − clim), clipped to [0, 1]."""
    anomaly = np.asarray(persistence, float) - np.asarray(climatology, float)
    target = np.asarray(observed, float) - np.asarray(climatology, float)
    keep = np.isfinite(anomaly) & np.isfinite(target)
    denominator = float(np.sum(anomaly[keep] ** 2))
    if denominator == 0:
        return 0.0
    return float(np.clip(np.sum(anomaly[keep] * target[keep]) / denominator, 0.0, 1.0))


def blend(
    persistence: np.ndarray, climatology: np.ndarray, weight: float | np.ndarray
) -> np.ndarray:
    """climatology + weight × (persistence − climatology); climatology where persistence is NaN."""
    persist = np.asarray(persistence, float)
    clim = np.asarray(climatology, float)
    return np.where(np.isfinite(persist), clim + weight * (persist - clim), clim)
