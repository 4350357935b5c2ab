"""Read models shared by the air pages and the API, so both show the same numbers.

Every query starts from ``Model.objects.visible_to(user)``. Daily values are stored per
edition set ("2012", "2026"); ``edition=None`` means "the edition in force on each day"
(coact.engines.editions.edition_for, HJ 633 switch on 2026-03-01).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from coact.engines import aqi, evaluation
from coact.engines.editions import edition_for
from coact.plan import services as plan_services

from .models import DailyValue, HourlyValue, Station
from .services import DAILY_FIELDS, EDITIONS, LOCAL_TZ, SERIES_FIELDS

GOOD_DAY_INDICATOR = "air.good_day_ratio"


def level_colours() -> dict[int, str]:
    """HJ 633 Appendix A colour of each level (1..6), 0 = no AQI (grey)."""
    colours = {info.level: info.colour_hex for info in aqi.levels()}
    return {0: "#BDBDBD", **colours}


def level_table() -> list[dict[str, Any]]:
    low = 0
    rows = []
    for info in aqi.levels():
        rows.append(
            {
                "level": info.level,
                "min": low,
                "max": info.aqi_max,
                "colour": info.colour_hex,
                "category_zh": info.category_zh,
                "category_en": info.category_en,
            }
        )
        low = info.aqi_max + 1
    return rows


def _level_payload(level: int) -> dict[str, Any]:
    if not level:
        return {"level": 0, "colour": level_colours()[0], "category_zh": "", "category_en": ""}
    info = aqi.level_info(level)
    return {
        "level": level,
        "colour": info.colour_hex,
        "category_zh": info.category_zh,
        "category_en": info.category_en,
    }


def stations(user: Any) -> list[Station]:
    return list(Station.objects.visible_to(user).select_related("region"))


# --- latest hourly ---------------------------------------------------------------------------


def latest(user: Any) -> dict[str, Any]:
    """Latest hour with data: each station's AQI and the city's (HJ 633 hourly AQI of the
    evaluation stations' mean concentrations, as CNEMC computes city real-time AQI)."""
    qs = HourlyValue.objects.visible_to(user)
    last = qs.order_by("-time").values_list("time", flat=True).first()
    if last is None:
        return {"time": None, "city": None, "stations": []}
    rows = list(qs.filter(time=last).select_related("station"))
    station_rows = [
        {
            "station": r.station.code,
            "name": r.station.name,
            "name_en": r.station.name_en,
            "aqi": r.aqi,
            "primary": r.primary,
            "edition": r.edition,
            **_level_payload(r.level),
            "values": {s: getattr(r, f) for s, f in SERIES_FIELDS.items()},
        }
        for r in rows
    ]
    evaluation_rows = [r for r in rows if r.station.evaluation]
    city = None
    if evaluation_rows:
        means = {
            s: _mean([getattr(r, f) for r in evaluation_rows])
            for s, f in SERIES_FIELDS.items()
            if s not in ("AQI", "SO2_24h")
        }
        local = pd.Timestamp(last).tz_convert(LOCAL_TZ).tz_localize(None)
        frame = pd.DataFrame([{"time": local, **means}])
        result = aqi.hourly_aqi(frame).iloc[0]
        level = int(result["level"])
        city = {
            "aqi": None if np.isnan(result["aqi"]) else float(result["aqi"]),
            "primary": str(result["primary_pollutant"]),
            "edition": str(result["edition"]),
            "stations": len(evaluation_rows),
            **_level_payload(level),
            "values": {k: None if v is None else round(v, 2) for k, v in means.items()},
        }
    return {"time": last, "city": city, "stations": station_rows}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def hourly(user: Any, code: str, start: dt.datetime, end: dt.datetime) -> list[HourlyValue]:
    return list(
        HourlyValue.objects.visible_to(user)
        .filter(station__code=code, time__gte=start, time__lte=end)
        .order_by("time")
    )


# --- daily --------------------------------------------------------------------------------------


def daily(
    user: Any, year: int, station: str | None = None, edition: str | None = None
) -> list[DailyValue]:
    """Daily values of the city (``station`` None) or a station; ``edition`` None = by date."""
    qs = DailyValue.objects.visible_to(user).filter(date__year=year).order_by("date")
    qs = qs.filter(station__code=station) if station else qs.filter(station__isnull=True)
    if edition:
        return list(qs.filter(edition=edition))
    return [d for d in qs if d.edition == _set_on(d.date)]


def _set_on(day: dt.date) -> str:
    return evaluation.edition_set(None, day)["set"]


def frames(
    user: Any, year: int, edition: str, station: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily_rounded, aqi_table) of stored city (or station) values, as the engine expects."""
    rows = daily(user, year, station, edition)
    index = pd.DatetimeIndex([pd.Timestamp(r.date) for r in rows], name="date")
    values = pd.DataFrame(
        {c: [getattr(r, f) for r in rows] for c, f in DAILY_FIELDS.items()},
        index=index,
        dtype=float,
    )
    table = pd.DataFrame(
        {"aqi": [r.aqi for r in rows], "published": [r.published for r in rows]}, index=index
    ).astype({"aqi": float, "published": bool})
    return values, table


def calendar(
    user: Any, year: int, station: str | None = None, edition: str | None = None
) -> list[dict[str, Any]]:
    """One entry per day of ``year`` (365/366): date, AQI, level, primary; no data = level 0."""
    by_date = {d.date: d for d in daily(user, year, station, edition)}
    days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D").date
    out = []
    for day in days:
        row = by_date.get(day)
        out.append(
            {
                "date": day.isoformat(),
                "aqi": row.aqi if row else None,
                "level": row.level if row else 0,
                "primary": row.primary if row else "",
                "edition": row.edition if row else _set_on(day),
            }
        )
    return out


def evaluation_summary(user: Any, year: int, station: str | None = None) -> dict[str, Any]:
    """Annual statistics and monthly good-day ratios under both edition sets, side by side,
    with the set that applies to the year (the one in force on 31 December)."""
    result: dict[str, Any] = {
        "year": year,
        "applies": _set_on(dt.date(year, 12, 31)),
        "editions": {},
    }
    for edition in EDITIONS:
        values, table = frames(user, year, edition, station)
        if values.empty:
            continue
        stats = evaluation.annual_statistics(values, table, year, edition=edition)
        monthly = evaluation.monthly_statistics(values, table, year, edition=edition)
        levels = Counter(int(r.level) for r in daily(user, year, station, edition) if r.published)
        result["editions"][edition] = {
            "annual": _json_clean(stats),
            "monthly_good_day_ratio": [_clean(v) for v in monthly["good_day_ratio"].tolist()],
            "monthly_valid_days": [int(v) for v in monthly["valid_days"].tolist()],
            "level_days": {k: levels.get(k, 0) for k in range(1, 7)},
        }
    return result


def _clean(value: Any) -> Any:
    if isinstance(value, (float, np.floating)) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_clean(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: _clean(v) for k, v in stats.items()}


def primary_composition(
    user: Any, year: int, station: str | None = None, edition: str | None = None
) -> dict[str, int]:
    """Days per primary pollutant (AQI > 50; ties count for each pollutant)."""
    counts: Counter[str] = Counter()
    for row in daily(user, year, station, edition):
        for name in filter(None, row.primary.split(",")):
            counts[name] += 1
    return dict(counts.most_common())


# --- still needed ---------------------------------------------------------------------------------


def good_day_target() -> float | None:
    indicators = plan_services.indicators_computed_by(GOOD_DAY_INDICATOR)
    targets = [i.target for i in indicators if i.target is not None]
    return float(targets[0]) if targets else None


def good_days_needed(
    good: int, valid: int, remaining: int, target_percent: float
) -> dict[str, Any]:
    """Least number x of the ``remaining`` days that must be good so that
    (good + x) / (valid + remaining) >= target, assuming every remaining day gets a published
    AQI. Exact comparison (no credit taken for rounding the ratio to 0.1 %)."""
    total = valid + remaining
    needed = max(0, math.ceil(target_percent * total / 100.0 - good - 1e-9)) if total else 0
    return {
        "good_so_far": good,
        "valid_so_far": valid,
        "remaining_days": remaining,
        "needed_good_days": needed,
        "reachable": needed <= remaining,
        "needed_share_of_remaining": round(100.0 * needed / remaining, 1) if remaining else None,
        "ratio_so_far": round(100.0 * good / valid, 1) if valid else None,
    }


def still_needed(
    user: Any, year: int, as_of: dt.date | None = None, target: float | None = None
) -> dict[str, Any]:
    """How many of the remaining days of ``year`` after ``as_of`` (default: the last day with
    data) must be good to reach the good-day target, under each edition set."""
    target = target if target is not None else good_day_target()
    out: dict[str, Any] = {
        "year": year,
        "target": target,
        "applies": _set_on(dt.date(year, 12, 31)),
        "switch_2026": _first_2026_day(year),
        "editions": {},
    }
    last_day = (
        DailyValue.objects.visible_to(user)
        .filter(station__isnull=True, date__year=year, published=True)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    as_of = min(as_of or last_day or dt.date(year, 1, 1), dt.date(year, 12, 31))
    out["as_of"] = as_of
    remaining = (dt.date(year, 12, 31) - as_of).days
    for edition in EDITIONS:
        rows = [r for r in daily(user, year, None, edition) if r.date <= as_of and r.published]
        good = sum(1 for r in rows if r.aqi is not None and r.aqi <= 100)
        if target is None:
            out["editions"][edition] = {"good_so_far": good, "valid_so_far": len(rows)}
            continue
        out["editions"][edition] = good_days_needed(good, len(rows), remaining, target)
    return out


def _first_2026_day(year: int) -> str | None:
    """The first day of ``year`` on which the 2026 HJ 633 rules apply, if they switch in it."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if edition_for("HJ633", start) == edition_for("HJ633", end):
        return None
    day = start
    while edition_for("HJ633", day) == edition_for("HJ633", start):
        day += dt.timedelta(days=1)
    return day.isoformat()
