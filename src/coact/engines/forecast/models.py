"""The gradient-boosted MDA8 forecaster with grade probabilities and per-lead fallback.

Method (one pooled model for leads 1..10, the lead is a feature):

1. LightGBM regression (L2) of the target day's MDA8 (µg/m³) on issue-day observations,
   calendar, climatology of the target day and — when given — the target day's weather.
2. Out-of-fold predictions inside the training period (blocked K-fold on target days with a
   purge gap, so no validation target is near a training target) give honest errors.
3. Per lead, the better of persistence and climatology by out-of-fold exact grade accuracy
   is the default; the model (or the blend) replaces it only if at least 1 point better
   out of fold. So the met-free forecast falls back to a baseline where the model is no
   better; it is decided on training data only, never on the test period.
4. The predictive distribution of a forecast is point + the out-of-fold residuals of the
   chosen candidate at that lead and predicted level (4 level bins): its median, quantiles
   and the probability of each IAQI grade follow from it (an empirical, conformal-style
   distribution). The grade reported is that of the point forecast.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import lightgbm as lgb
import numpy as np
import pandas as pd

from coact.engines.forecast.baselines import Climatology, blend, fit_blend_weights
from coact.engines.forecast.verification import N_GRADES, o3_grade, score

ENGINE_VERSION = "1.0.0"
CANDIDATES = ("model", "blend", "persistence", "climatology")
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@dataclass(frozen=True)
class ModelConfig:
    """LightGBM settings and whether the model learns MDA8 or its departure from
    climatology."""

    params: dict
    anomaly_target: bool


LGBM_PARAMS = {
    "n_estimators": 300,
    "learning_rate": 0.04,
    "num_leaves": 15,
    "min_child_samples": 30,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "n_jobs": 2,
    "verbose": -1,
    "random_state": 0,
}
# With weather, the model has real signal: more capacity, raw MDA8 target (measured better
# out-of-fold on PRSA 2013-03..2015-02: RMSE 24 vs 26 µg/m³ with the anomaly target).
WITH_MET = ModelConfig(LGBM_PARAMS, anomaly_target=False)
# Without weather the day-to-day signal is weak and trees overfit season and weekday
# noise: small, strongly regularised trees on the departure from climatology.
WITHOUT_MET = ModelConfig(
    {
        **LGBM_PARAMS,
        "num_leaves": 5,
        "min_child_samples": 150,
        "n_estimators": 120,
        "learning_rate": 0.03,
        "reg_lambda": 10.0,
    },
    anomaly_target=True,
)
N_FOLDS = 4
PURGE_DAYS = 10  # gap around a validation block: leads reach 10 days
N_LEVEL_BINS = 4
N_SAMPLES = 101  # quantile levels that stand for each residual distribution
SWITCH_MARGIN = 0.01  # exact-accuracy gain needed to leave the best simple baseline


def model_features(design: pd.DataFrame) -> list[str]:
    return [c for c in design.columns if c != "target_day"]


def _with_climatology(design: pd.DataFrame, climatology: Climatology) -> pd.DataFrame:
    frame = design.drop(columns="target_day").copy()
    frame["clim"] = climatology.predict(design["target_day"])
    # Anomalies against the target day's climatology generalise across years better
    # than raw levels (the model learns departures, the season comes from ``clim``).
    frame["persist_anom"] = frame["persist"] - frame["clim"]
    frame["mean7_anom"] = frame["mda8_mean7"] - frame["clim"]
    return frame


@dataclass
class ResidualTable:
    """Out-of-fold residuals (observed − forecast, µg/m³) per lead and level bin."""

    edges: dict[int, np.ndarray] = field(default_factory=dict)
    residuals: dict[int, list[np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_oof(
        cls, leads: np.ndarray, forecast: np.ndarray, observed: np.ndarray
    ) -> ResidualTable:
        table = cls()
        for lead in np.unique(leads):
            mask = (leads == lead) & np.isfinite(forecast) & np.isfinite(observed)
            fc, obs = forecast[mask], observed[mask]
            edges = np.quantile(fc, np.linspace(0, 1, N_LEVEL_BINS + 1)[1:-1]) if len(fc) else []
            bins = np.searchsorted(edges, fc)
            table.edges[int(lead)] = np.asarray(edges)
            table.residuals[int(lead)] = [
                obs[bins == b] - fc[bins == b] for b in range(N_LEVEL_BINS)
            ]
        return table

    def sample_matrix(self, lead: int, points: np.ndarray) -> np.ndarray:
        """Possible outcomes, one row per point: point + residuals of its (lead, level) bin,
        never below 0. Bins have unequal sizes, so each row is resampled to a common
        length by quantiles of its bin's residuals."""
        key = int(lead) if int(lead) in self.residuals else max(self.residuals)
        residuals, edges = self.residuals[key], self.edges[key]
        levels = np.linspace(0.0, 1.0, N_SAMPLES)
        per_bin = []
        for chosen in residuals:
            pool = chosen if len(chosen) else np.concatenate(residuals)
            per_bin.append(np.quantile(pool, levels))
        bins = np.searchsorted(edges, points)
        matrix = np.asarray(points, float)[:, None] + np.asarray(per_bin)[bins]
        return np.clip(matrix, 0.0, None)


@dataclass
class FittedForecaster:
    """A trained forecaster for one area and one meteorology setting."""

    booster: lgb.LGBMRegressor
    features: list[str]
    climatology: Climatology
    blend_weights: dict[int, float]
    choice: dict[int, str]
    residuals: dict[str, ResidualTable]
    uses_met: bool
    train_start: str
    train_end: str
    oof_scores: dict[str, dict[int, dict]]

    def point_forecasts(self, design: pd.DataFrame) -> pd.DataFrame:
        """Point MDA8 (µg/m³) of every candidate for each row of ``design``."""
        frame = _with_climatology(design, self.climatology)
        leads = frame["lead"].to_numpy().astype(int)
        weights = np.array([self.blend_weights.get(int(k), 0.0) for k in leads])
        persistence = frame["persist"].to_numpy()
        clim = frame["clim"].to_numpy()
        out = pd.DataFrame(index=design.index)
        out["model"] = _predict_booster(self.booster, frame, self.features)
        out["persistence"] = persistence
        out["climatology"] = clim
        out["blend"] = np.where(
            np.isfinite(persistence), clim + weights * (persistence - clim), clim
        )
        return out

    def predict(self, design: pd.DataFrame, source: str = "auto") -> pd.DataFrame:
        """Median, quantiles, grade and grade probabilities for each row.

        ``source``: "auto" (per-lead choice) or one candidate name.
        """
        points = self.point_forecasts(design)
        leads = design["lead"].to_numpy().astype(int)
        names = np.array(
            [self.choice.get(int(k), "model") if source == "auto" else source for k in leads],
            dtype=object,
        )
        point = points.to_numpy()[
            np.arange(len(points)), [points.columns.get_loc(n) for n in names]
        ]
        missing = ~np.isfinite(point.astype(float))
        point = np.where(missing, points["climatology"].to_numpy(), point).astype(float)
        names[missing] = "climatology"
        target_days = pd.DatetimeIndex(design["target_day"])
        quantiles = np.full((len(design), len(QUANTILES)), np.nan)
        probs = np.zeros((len(design), N_GRADES))
        for (lead, name), rows in pd.DataFrame({"lead": leads, "name": names}).groupby(
            ["lead", "name"]
        ):
            idx = rows.index.to_numpy()
            samples = self.residuals[name].sample_matrix(int(lead), point[idx])
            grades = o3_grade(samples, on=np.repeat(target_days[idx], samples.shape[1]))
            for g in range(1, N_GRADES + 1):
                probs[idx, g - 1] = np.mean(grades == g, axis=1)
            quantiles[idx] = np.quantile(samples, QUANTILES, axis=1).T
        out = pd.DataFrame(index=design.index)
        out["point"] = point
        out["source"] = names
        for j, q in enumerate(QUANTILES):
            out[f"q{round(q * 100):02d}"] = quantiles[:, j]
        for g in range(1, N_GRADES + 1):
            out[f"p_grade{g}"] = probs[:, g - 1]
        out["median"] = out["q50"]
        # The grade is that of the point forecast, so a lead that falls back to a baseline
        # reproduces it exactly; the residual distribution only spreads probabilities.
        out["grade"] = o3_grade(point, on=target_days)
        return out


def _fit_booster(
    frame: pd.DataFrame, target: pd.Series, features: list[str], config: ModelConfig
) -> lgb.LGBMRegressor:
    booster = lgb.LGBMRegressor(**config.params)
    offset = frame["clim"].to_numpy() if config.anomaly_target else 0.0
    booster.fit(frame[features], target.to_numpy() - offset)
    booster.coact_anomaly_target = config.anomaly_target
    return booster


def _predict_booster(
    booster: lgb.LGBMRegressor, frame: pd.DataFrame, features: list[str]
) -> np.ndarray:
    """MDA8 (µg/m³): the prediction, plus climatology when the model learnt anomalies."""
    predicted = booster.predict(frame.reindex(columns=features))
    if getattr(booster, "coact_anomaly_target", False):
        predicted = predicted + frame["clim"].to_numpy()
    return predicted


def _blend_weights(frame: pd.DataFrame, target: pd.Series) -> dict[int, float]:
    weights = {}
    leads = frame["lead"].to_numpy()
    for lead in np.unique(leads):
        mask = leads == lead
        rows = frame[mask]
        y = target.to_numpy()[mask]
        weights[int(lead)] = fit_blend_weights(
            y, rows["persist"].to_numpy(), rows["clim"].to_numpy()
        )
    return weights


def _fold_blocks(target_days: pd.Series, n_folds: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    days = np.sort(target_days.unique())
    chunks = np.array_split(days, n_folds)
    return [(pd.Timestamp(c[0]), pd.Timestamp(c[-1])) for c in chunks if len(c)]


def _out_of_fold(
    design: pd.DataFrame,
    target: pd.Series,
    daily_mda8: pd.Series,
    features: list[str],
    config: ModelConfig,
) -> pd.DataFrame:
    """Out-of-fold point forecasts of all candidates on the training rows."""
    pieces = []
    gap = pd.Timedelta(days=PURGE_DAYS)
    for start, end in _fold_blocks(design["target_day"], N_FOLDS):
        in_block = (design["target_day"] >= start) & (design["target_day"] <= end)
        near = (design["target_day"] >= start - gap) & (design["target_day"] <= end + gap)
        issue_days = design.index.get_level_values("issue_day")
        near |= (issue_days >= start - gap) & (issue_days <= end + gap)
        train_days = daily_mda8[(daily_mda8.index < start - gap) | (daily_mda8.index > end + gap)]
        climatology = Climatology().fit(train_days)
        train = _with_climatology(design[~near], climatology)
        valid = _with_climatology(design[in_block], climatology)
        booster = _fit_booster(train, target[~near], features, config)
        weights = _blend_weights(train, target[~near])
        lead_weights = valid["lead"].map(weights).fillna(0.0).to_numpy()
        piece = pd.DataFrame(index=valid.index)
        piece["model"] = _predict_booster(booster, valid, features)
        piece["persistence"] = valid["persist"].to_numpy()
        piece["climatology"] = valid["clim"].to_numpy()
        piece["blend"] = blend(
            piece["persistence"].to_numpy(), piece["climatology"].to_numpy(), lead_weights
        )
        piece["observed"] = target[in_block].to_numpy()
        piece["target_day"] = design.loc[in_block, "target_day"].to_numpy()
        pieces.append(piece)
    return pd.concat(pieces)


def _score_candidates(oof: pd.DataFrame) -> dict[str, dict[int, dict]]:
    scores: dict[str, dict[int, dict]] = {}
    days = pd.DatetimeIndex(oof["target_day"])
    observed_grade = o3_grade(oof["observed"].to_numpy(), on=days)
    leads = oof.index.get_level_values("lead").to_numpy()
    for name in CANDIDATES:
        forecast = oof[name].to_numpy()
        grade = o3_grade(forecast, on=days)
        scores[name] = {}
        for lead in np.unique(leads):
            m = leads == lead
            scores[name][int(lead)] = score(
                oof["observed"].to_numpy()[m], forecast[m], observed_grade[m], grade[m]
            )
    return scores


def _choose(scores: dict[str, dict[int, dict]]) -> dict[int, str]:
    """Per lead: the better of persistence and climatology by out-of-fold exact accuracy,
    replaced by the model or the blend only when it beats that by ``SWITCH_MARGIN``.

    The margin keeps a noisy out-of-fold edge of a few tenths of a point from swapping a
    simple, robust baseline for a complex one (one year of days gives about ±2.5 points).
    """
    choice = {}
    for lead in scores["model"]:
        exact = {name: scores[name][lead].get("exact", 0.0) for name in CANDIDATES}
        best = max(("persistence", "climatology"), key=lambda name: exact[name])
        challenger = max(("model", "blend"), key=lambda name: exact[name])
        choice[lead] = challenger if exact[challenger] >= exact[best] + SWITCH_MARGIN else best
    return choice


def fit_forecaster(
    design: pd.DataFrame,
    target: pd.Series,
    daily_mda8: pd.Series,
    train_end: pd.Timestamp,
    config: ModelConfig | None = None,
) -> FittedForecaster:
    """Train on rows whose target day is on or before ``train_end`` (nothing later is read)."""
    end = pd.Timestamp(train_end)
    rows = (design["target_day"] <= end) & target.notna()
    design, target = design[rows], target[rows]
    daily = daily_mda8[daily_mda8.index <= end]
    if len(design) < 200:
        raise ValueError(f"only {len(design)} training rows up to {end.date()}; need >= 200")
    features = [*model_features(design), "clim", "persist_anom", "mean7_anom"]
    uses_met = any(f.startswith(("met_", "met0_")) for f in features)
    config = config or (WITH_MET if uses_met else WITHOUT_MET)
    oof = _out_of_fold(design, target, daily, features, config)
    scores = _score_candidates(oof)
    choice = _choose(scores)
    leads = oof.index.get_level_values("lead").to_numpy()
    residuals = {
        name: ResidualTable.from_oof(leads, oof[name].to_numpy(), oof["observed"].to_numpy())
        for name in CANDIDATES
    }
    climatology = Climatology().fit(daily)
    frame = _with_climatology(design, climatology)
    booster = _fit_booster(frame, target, features, config)
    return FittedForecaster(
        booster=booster,
        features=features,
        climatology=climatology,
        blend_weights=_blend_weights(frame, target),
        choice=choice,
        residuals=residuals,
        uses_met=uses_met,
        train_start=str(design.index.get_level_values("issue_day").min().date()),
        train_end=str(end.date()),
        oof_scores=scores,
    )


def save_forecaster(model: FittedForecaster, path: str | Path) -> Path:
    """Write ``path`` (joblib) and ``path``.json (engine version, data range, features,
    per-lead choice and out-of-fold metrics). Returns the sidecar path."""
    target = Path(path)
    joblib.dump(model, target)
    sidecar = target.with_suffix(target.suffix + ".json")
    summary = {
        "engine": "coact.engines.forecast",
        "engine_version": ENGINE_VERSION,
        "lightgbm_version": lgb.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "training_data": {"first_issue_day": model.train_start, "last_target_day": model.train_end},
        "uses_meteorology": model.uses_met,
        "features": model.features,
        "choice_per_lead": {str(k): v for k, v in model.choice.items()},
        "blend_weights": {str(k): v for k, v in model.blend_weights.items()},
        "out_of_fold_metrics": {
            name: {str(k): v for k, v in per_lead.items()}
            for name, per_lead in model.oof_scores.items()
        },
    }
    sidecar.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return sidecar


def load_forecaster(path: str | Path) -> FittedForecaster:
    """Load a model written by ``save_forecaster``; refuses another engine major version."""
    target = Path(path)
    sidecar = target.with_suffix(target.suffix + ".json")
    if sidecar.exists():
        version = json.loads(sidecar.read_text("utf-8")).get("engine_version", "")
        if version.split(".")[0] != ENGINE_VERSION.split(".")[0]:
            raise ValueError(
                f"{target}: engine version {version} incompatible with {ENGINE_VERSION}"
            )
    model = joblib.load(target)
    if not isinstance(model, FittedForecaster):
        raise ValueError(f"{target}: not a CoAct O3 forecaster")
    return model
