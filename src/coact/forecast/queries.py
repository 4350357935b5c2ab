"""Read models shared by the forecast pages and the API (reads via visible_to only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from coact.air import services as air
from coact.engines import aqi
from coact.engines.forecast.backtest import add_skill
from coact.engines.forecast.verification import o3_grade, score

from .models import CITY, Backtest, EmergencyMeasure, ForecastDay, ForecastRun

SOURCES = ("issued", "persistence", "climatology")
GREY = "#BDBDBD"


def grade_payload(grade: int) -> dict[str, Any]:
    """Name and HJ 633 Appendix A colour of an IAQI level (engine aqi.level_info)."""
    if not grade:
        return {"grade": 0, "colour": GREY, "category_zh": "", "category_en": "", "dark": False}
    info = aqi.level_info(grade)
    return {
        "grade": grade,
        "colour": info.colour_hex,
        "category_zh": info.category_zh,
        "category_en": info.category_en,
        "dark": grade >= 4,  # white text on red, purple, maroon
    }


def latest_run(user: Any, area: str = CITY) -> ForecastRun | None:
    return ForecastRun.objects.visible_to(user).filter(area=area).order_by("-as_of").first()


def strip(run: ForecastRun) -> list[dict[str, Any]]:
    """The 10 days of a run, each with its grade colour and grade probabilities."""
    rows = []
    for day in run.days.order_by("lead"):
        probabilities = [
            {**grade_payload(g), "p": p, "percent": round(100 * p)}
            for g, p in enumerate(day.probabilities, start=1)
        ]
        rows.append({"day": day, **grade_payload(day.grade), "probabilities": probabilities})
    return rows


def history(user: Any, lead: int, area: str = CITY, days: int = 120) -> dict[str, Any]:
    """Forecasts of one lead against the observed city O3-8h, last ``days`` target days."""
    qs = (
        ForecastDay.objects.visible_to(user)
        .filter(run__area=area, lead=lead)
        .order_by("-date")
        .values("date", "point", "q10", "q90")[:days]
    )
    rows = sorted(qs, key=lambda r: r["date"])
    if not rows:
        return {"dates": [], "rows": []}
    observed = observed_o3_8h(rows[0]["date"], rows[-1]["date"], area)
    for row in rows:
        row["observed"] = observed.get(row["date"])
    return {"dates": [str(r["date"]) for r in rows], "rows": rows}


def observed_o3_8h(first: dt.date, last: dt.date, area: str = CITY) -> dict[dt.date, float]:
    """Observed daily max 8-h O3 of the city from the air app (stations: not yet offered)."""
    if area != CITY:
        return {}
    return air.city_daily_o3_8h(first, last)


def _pairs(user: Any, area: str) -> pd.DataFrame:
    rows = list(
        ForecastDay.objects.visible_to(user)
        .filter(run__area=area)
        .values(
            "lead",
            "date",
            "point",
            "grade",
            "probabilities",
            "persistence",
            "climatology",
            "run__meteorology",
        )
    )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    observed = observed_o3_8h(frame["date"].min(), frame["date"].max(), area)
    frame["observed"] = frame["date"].map(observed).astype(float)
    return frame.dropna(subset=["observed"])


def scores_from_pairs(frame: pd.DataFrame) -> dict[str, Any]:
    """Per meteorology label, per source (the issued forecast and both baselines), per lead:
    n, exact, within-one, POD/FAR/TS, RMSE, bias, r (+ RPS for the issued forecast) and
    skill over persistence (1 − RMSE/RMSE_persistence, exact − exact_persistence)."""
    result: dict[str, Any] = {"by_meteorology": {}, "n_pairs": len(frame)}
    if frame.empty:
        return result
    result["first_day"], result["last_day"] = frame["date"].min(), frame["date"].max()
    for met, group in frame.groupby("run__meteorology"):
        runs = []
        for source in SOURCES:
            run: dict[str, Any] = {"model": source, "meteorology": met, "lead_days": {}}
            for lead, part in group.groupby("lead"):
                run["lead_days"][str(int(lead))] = _score(part, source)
            runs.append(run)
        add_skill(runs)
        result["by_meteorology"][met] = {
            r["model"]: {int(k): v for k, v in r["lead_days"].items()} for r in runs
        }
    return result


def _score(part: pd.DataFrame, source: str) -> dict[str, Any]:
    days = pd.DatetimeIndex(pd.to_datetime(part["date"]))
    observed = part["observed"].to_numpy(dtype=float)
    observed_grade = o3_grade(observed, on=days)
    if source == "issued":
        forecast = part["point"].to_numpy(dtype=float)
        grade = part["grade"].to_numpy(dtype=int)
        probs = np.array(part["probabilities"].tolist(), dtype=float)
        return score(observed, forecast, observed_grade, grade, probabilities=probs)
    forecast = part[source].to_numpy(dtype=float)
    return score(observed, forecast, observed_grade, o3_grade(forecast, on=days))


def verification(user: Any, area: str = CITY) -> dict[str, Any]:
    return scores_from_pairs(_pairs(user, area))


def latest_backtest(user: Any) -> Backtest | None:
    return Backtest.objects.visible_to(user).first()


def measures(user: Any, level: str = "") -> QuerySet[EmergencyMeasure]:
    qs = EmergencyMeasure.objects.visible_to(user).select_related(
        "enterprise", "enterprise__region"
    )
    return qs.filter(level=level) if level else qs


def measure_summary(qs: QuerySet[EmergencyMeasure]) -> list[dict[str, Any]]:
    """Per level: number of measures and enterprises, total NOx and VOCs kg/day."""
    out = []
    for level, label in EmergencyMeasure._meta.get_field("level").choices:
        items = [m for m in qs if m.level == level]
        out.append(
            {
                "level": level,
                "label": label,
                "count": len(items),
                "enterprises": len({m.enterprise_id for m in items}),
                "nox": round(sum(m.nox_kg_day for m in items), 1),
                "vocs": round(sum(m.vocs_kg_day for m in items), 1),
            }
        )
    return out
