"""Rolling-origin backtest and live issue of the O3 forecast.

Backtest design: the first model is trained on target days <= ``train_end``; it issues the
forecasts of issue days ``train_end`` .. ``train_end + retrain_days − 1``. Then the model
is retrained on an expanding window (all target days <= the new origin) and so on until
``test_end``. A forecast issued on day D uses observations up to the end of D only and a
model whose training targets all lie on or before D, so no score is computed on data the
model saw. Baselines are refitted at the same origins.

Meteorology labels: "observed" — observed weather of the target day stands in for a
perfect weather forecast (an upper bound on skill); "forecast" — a weather-model forecast
issued on or before D; with ``simulate_forecast`` it is observed weather plus
lead-dependent random errors (a *simulated* forecast, see ``FORECAST_ERROR_SD``);
"none" — no meteorology.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coact.engines.forecast.features import (
    LEADS,
    build_design,
    daily_met,
    issue_day_features,
    target_met_from_forecasts,
    target_met_observed,
)
from coact.engines.forecast.io import HourlyHistory
from coact.engines.forecast.models import (
    CANDIDATES,
    QUANTILES,
    FittedForecaster,
    fit_forecaster,
)
from coact.engines.forecast.verification import o3_grade, score

PRECISE_LEADS = (1, 2, 3)
# Simulated weather-forecast error: standard deviation = a + b × lead (days), per daily
# aggregate family. Rough magnitudes of global-model 2-m temperature/humidity/wind/pressure
# errors growing with lead; NOT calibrated against a real model — only to show the drop
# of skill between a perfect and an imperfect weather forecast.
FORECAST_ERROR_SD = {
    "temp_c": (0.8, 0.3),
    "dewpoint_c": (1.0, 0.35),
    "rh_pct": (5.0, 1.5),
    "pressure_hpa": (0.7, 0.5),
    "wind_speed_ms": (0.5, 0.12),
    "wind_u_ms": (0.7, 0.2),
    "wind_v_ms": (0.7, 0.2),
    "radiation_wm2": (15.0, 5.0),
    "cloud_frac": (0.1, 0.03),
    "blh_m": (120.0, 40.0),
}
PRECIP_LOG_SD = (0.5, 0.1)


def _simulated_forecast(met_daily: pd.DataFrame, lead: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1000 * lead)
    noisy = met_daily.copy()
    for column in noisy.columns:
        family = next((f for f in FORECAST_ERROR_SD if column.startswith(f)), None)
        values = noisy[column].to_numpy()
        if column.startswith("precip_mm"):
            sigma = PRECIP_LOG_SD[0] + PRECIP_LOG_SD[1] * lead
            noisy[column] = values * rng.lognormal(0.0, sigma, size=len(values))
        elif family is not None:
            a, b = FORECAST_ERROR_SD[family]
            noisy[column] = values + rng.normal(0.0, a + b * lead, size=len(values))
    for column in noisy.columns:
        if column.startswith(("rh_pct", "cloud_frac")):
            upper = 100.0 if column.startswith("rh_pct") else 1.0
            noisy[column] = noisy[column].clip(0.0, upper)
        elif column.startswith(("wind_speed", "precip", "radiation", "blh")):
            noisy[column] = noisy[column].clip(lower=0.0)
    return noisy


def target_met_tables(
    issue_days: pd.DatetimeIndex,
    met: pd.DataFrame | None,
    mode: str,
    leads: tuple[int, ...] = LEADS,
    seed: int = 0,
) -> dict[int, pd.DataFrame] | None:
    """Daily meteorology of each target day, per lead, as known when issuing on D."""
    if mode == "none" or met is None:
        return None
    if "issued" in met.columns:
        return {k: target_met_from_forecasts(met, issue_days, k) for k in leads}
    daily = daily_met(met)
    if mode == "forecast":  # no issued column: simulate forecasts from observations
        return {
            k: target_met_observed(_simulated_forecast(daily, k, seed), issue_days, k)
            for k in leads
        }
    return {k: target_met_observed(daily, issue_days, k) for k in leads}


@dataclass
class Dataset:
    """Issue-day table, stacked design matrix and target for one meteorology mode."""

    issue: pd.DataFrame
    design: pd.DataFrame
    target: pd.Series
    meteorology: str


def prepare(
    history: HourlyHistory,
    meteorology: str,
    station: str | None = None,
    met: pd.DataFrame | None = None,
    leads: tuple[int, ...] = LEADS,
) -> Dataset:
    """Features for ``meteorology`` in {"observed", "forecast", "none"}.

    ``met`` overrides ``history.met`` as the source of target-day weather.
    """
    issue = issue_day_features(history, station)
    if meteorology == "none":
        issue = issue.drop(columns=[c for c in issue.columns if c.startswith("met0_")])
    source = met if met is not None else history.met
    tables = target_met_tables(pd.DatetimeIndex(issue.index), source, meteorology, leads)
    design, target = build_design(issue, tables, leads)
    return Dataset(issue, design, target, meteorology)


@dataclass
class BacktestResult:
    forecasts: pd.DataFrame  # one row per (issue_day, lead, model)
    seconds: dict[str, float] = field(default_factory=dict)
    choices: list[dict] = field(default_factory=list)


def _origins(train_end: pd.Timestamp, test_end: pd.Timestamp, every: int) -> list[pd.Timestamp]:
    origins, origin = [], train_end
    while origin < test_end:
        origins.append(origin)
        origin = origin + pd.Timedelta(days=every)
    return origins


def rolling_backtest(
    dataset: Dataset, train_end: pd.Timestamp, test_end: pd.Timestamp, retrain_days: int = 30
) -> BacktestResult:
    """Forecast every issue day in [train_end, test_end) with models retrained every
    ``retrain_days`` on an expanding window; targets after ``test_end`` are dropped."""
    frames, choices, seconds = [], [], 0.0
    origins = _origins(train_end, test_end, retrain_days)
    issue_days = dataset.design.index.get_level_values("issue_day")
    for i, origin in enumerate(origins):
        started = time.perf_counter()
        model = fit_forecaster(dataset.design, dataset.target, dataset.issue["mda8"], origin)
        seconds += time.perf_counter() - started
        choices.append({"origin": str(origin.date()), "choice": dict(model.choice)})
        until = origins[i + 1] if i + 1 < len(origins) else test_end
        rows = (issue_days >= origin) & (issue_days < until)
        rows &= dataset.design["target_day"].to_numpy() <= test_end
        frames.append(_forecast_rows(model, dataset, rows))
    forecasts = pd.concat(frames)
    return BacktestResult(forecasts, {"training": seconds}, choices)


def _forecast_rows(model: FittedForecaster, dataset: Dataset, rows: np.ndarray) -> pd.DataFrame:
    design = dataset.design[rows]
    observed = dataset.target[rows]
    parts = []
    runs = [("lgbm", "model"), ("lgbm+fallback", "auto")]
    if dataset.meteorology == "none":  # baselines need no weather: score them once
        runs += [(name, name) for name in CANDIDATES if name != "model"]
    for name, source in runs:
        predicted = model.predict(design, source=source)
        predicted["model"] = name
        predicted["observed"] = observed.to_numpy()
        predicted["target_day"] = design["target_day"].to_numpy()
        parts.append(predicted)
    return pd.concat(parts)


def score_runs(forecasts: pd.DataFrame, meteorology: str) -> list[dict]:
    """One run per model: scores per lead day (accuracies as fractions)."""
    runs = []
    for name, group in forecasts.groupby("model", sort=False):
        met_label = "none" if name in CANDIDATES else meteorology
        run = {"model": name, "meteorology": met_label, "lead_days": {}}
        leads = group.index.get_level_values("lead")
        for lead in sorted(set(leads)):
            part = group[leads == lead]
            days = pd.DatetimeIndex(part["target_day"])
            observed = part["observed"].to_numpy()
            probs = part[[f"p_grade{g}" for g in range(1, 7)]].to_numpy()
            run["lead_days"][str(int(lead))] = score(
                observed,
                part["point"].to_numpy(),
                o3_grade(observed, on=days),
                part["grade"].to_numpy(),
                probabilities=probs,
            )
        runs.append(run)
    return runs


def add_skill(runs: list[dict]) -> None:
    """Skill over persistence: 1 − RMSE/RMSE_persistence and exact − exact_persistence."""
    reference = next((r for r in runs if r["model"] == "persistence"), None)
    if reference is None:
        return
    for run in runs:
        for lead, scores in run["lead_days"].items():
            ref = reference["lead_days"].get(lead)
            if not ref or not scores.get("n") or not ref.get("rmse"):
                continue
            scores["skill_rmse_vs_persistence"] = 1.0 - scores["rmse"] / ref["rmse"]
            scores["exact_minus_persistence"] = scores["exact"] - ref["exact"]


def run_backtest(
    history: HourlyHistory,
    train_end: str | pd.Timestamp,
    test_end: str | pd.Timestamp | None = None,
    retrain_days: int = 30,
    meteorology: tuple[str, ...] = ("observed", "none"),
    station: str | None = None,
) -> dict:
    """Backtest the model in each meteorology mode plus the baselines; JSON-ready dict."""
    start = pd.Timestamp(train_end)
    last_day = history.o3.index.max().normalize()
    end = pd.Timestamp(test_end) if test_end is not None else last_day
    if end <= start:
        raise ValueError(f"test end {end.date()} must be after train end {start.date()}")
    modes = [m for m in meteorology if m == "none" or history.met is not None]
    runs, timing, choices = [], {}, {}
    for mode in modes:
        started = time.perf_counter()
        dataset = prepare(history, mode, station)
        result = rolling_backtest(dataset, start, end, retrain_days)
        runs += score_runs(result.forecasts, mode)
        timing[mode] = round(time.perf_counter() - started, 1)
        choices[mode] = result.choices
    order = {"persistence": 0, "climatology": 1, "blend": 2}
    runs.sort(key=lambda r: (order.get(r["model"], 3), r["meteorology"] != "none", r["model"]))
    add_skill(runs)
    return {
        "runs": runs,
        "setup": {
            "train_end": str(start.date()),
            "test_end": str(end.date()),
            "retrain_every_days": retrain_days,
            "station": station or "city mean",
            "seconds_per_meteorology": timing,
            "per_lead_choice": choices,
        },
    }


def issue_forecast(
    history: HourlyHistory,
    as_of: str | pd.Timestamp,
    model: FittedForecaster,
    met: pd.DataFrame | None = None,
    fallback: FittedForecaster | None = None,
    station: str | None = None,
) -> pd.DataFrame:
    """Forecast leads 1..10 from observations up to the end of ``as_of``.

    ``model`` is used when it needs no weather, or when ``met`` (hourly, forecasts with an
    ``issued`` column or values for the target days) is given; otherwise ``fallback`` (a
    met-free model) is used, or a clear error is raised. Columns: lead, date, kind
    ("precise" for leads 1-3, "outlook" after), mda8_median and quantiles (µg/m³), grade
    (IAQI level of the median) and the probability of each grade.
    """
    day = pd.Timestamp(as_of).normalize()
    known = history.until(day)
    chosen, mode = model, "observed"
    if model.uses_met and met is None:
        if fallback is None or fallback.uses_met:
            raise ValueError("this model needs meteorology; pass met or a met-free fallback model")
        chosen, mode = fallback, "none"
    if not chosen.uses_met:
        mode = "none"
    dataset = prepare(known, mode, station, met=met)
    design = dataset.design[dataset.design.index.get_level_values("issue_day") == day]
    if design.empty:
        raise ValueError(f"no observations for issue day {day.date()}")
    predicted = chosen.predict(design)
    out = pd.DataFrame(
        {
            "lead": design.index.get_level_values("lead").astype(int),
            "date": pd.DatetimeIndex(design["target_day"]).date,
        }
    )
    out["kind"] = np.where(out["lead"].isin(PRECISE_LEADS), "precise", "outlook")
    out["mda8_median"] = predicted["median"].to_numpy()
    for q in QUANTILES:
        column = f"q{round(q * 100):02d}"
        out[f"mda8_{column}"] = predicted[column].to_numpy()
    out["grade"] = predicted["grade"].to_numpy()
    for g in range(1, 7):
        out[f"p_grade{g}"] = predicted[f"p_grade{g}"].to_numpy()
    out["source"] = predicted["source"].to_numpy()
    return out
