"""Ambient air quality evaluation (HJ 663 with GB 3095 limits), both editions: pure, vectorised.

Pipeline: hourly station data -> :func:`station_daily` (daily means, O3 daily max 8-h and 1-h,
with the GB 3095 Table 4 / HJ 663 validity rules) -> :func:`city_daily` (arithmetic mean of the
evaluation stations) -> :func:`round_daily` (GB/T 8170) -> :func:`daily_city_aqi` (HJ 633 daily
AQI) -> :func:`period_statistics` / :func:`annual_statistics` / :func:`monthly_statistics` /
:func:`year_to_date` (means, HJ 663 percentiles, good-day ratio, composite index).

Editions: an "edition" here names a set of standards (``hj663.yaml`` ``edition_sets``):
"2012" = HJ 633-2012 + HJ 663-2013 + GB 3095-2012, "2026" = HJ 633/HJ 663/GB 3095-2026.
Default: the set in force at the end of the period (``edition_for("HJ633", date)``).
Units: ug/m3, CO mg/m3. Hourly labels mark the END of the hour; natural day D = hours 01..24
(the 00:00 value of D+1 closes D), as CNEMC releases are labelled.

What HJ 663-2026 changes beyond the headlines (exception events, 3-year rolling mean, finer
rounding) is not known; see docs/air-quality.md. The data files hold every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import ArrayLike

from coact.engines import aqi as aqi_engine
from coact.engines.aqi import round_gbt8170
from coact.engines.editions import edition_for

__all__ = [
    "annual_statistics",
    "city_daily",
    "composite_index",
    "daily_city_aqi",
    "evaluate_year",
    "gas_reference_factor",
    "gb3095_limits",
    "monthly_statistics",
    "percentile_hj663",
    "period_statistics",
    "reference_state",
    "round_daily",
    "round_gbt8170",
    "spans_reference_state_change",
    "station_daily",
    "three_year_rolling",
    "year_to_date",
]

POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3")
DAILY_MEAN_POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "CO", "PM10", "PM2.5")
#: Daily value columns produced by :func:`station_daily` (the HJ 633 daily indicator keys).
DAILY_COLUMNS: tuple[str, ...] = (
    *(f"{p}_24h" for p in DAILY_MEAN_POLLUTANTS),
    "O3_8h",
    "O3_1h",
)
# Output key stem per daily column (``pm25`` for PM2.5 keeps keys identifier-like).
_KEY = {
    "SO2_24h": "so2",
    "NO2_24h": "no2",
    "CO_24h": "co",
    "PM10_24h": "pm10",
    "PM2.5_24h": "pm25",
    "O3_8h": "o3_8h",
    "O3_1h": "o3_1h",
}
_STAT_POLLUTANT = {"SO2_24h": "SO2", "NO2_24h": "NO2", "CO_24h": "CO", "PM10_24h": "PM10"}
_STAT_POLLUTANT |= {"PM2.5_24h": "PM2.5", "O3_8h": "O3_8h"}


# --------------------------------------------------------------------------- data files


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load(resources.files("coact.data.standards").joinpath(name).read_text("utf-8"))


@cache
def _hj663() -> dict[str, Any]:
    return _load("hj663.yaml")


@cache
def _gb3095() -> dict[str, Any]:
    return _load("gb3095.yaml")


def edition_set(edition: str | int | None, on: dt.date | None = None) -> dict[str, str]:
    """Editions of HJ 633, HJ 663 and GB 3095 for a CoAct edition "2012" / "2026" (or by date)."""
    sets = _hj663()["edition_sets"]
    if edition is None:
        if on is None:
            raise ValueError("give edition= or a date to choose the editions")
        edition = edition_for("HJ633", on)
    key = {"2013": "2012"}.get(str(edition), str(edition))
    if key not in sets:
        raise ValueError(f"unknown edition {edition!r}; known: {sorted(sets)}")
    return {"set": key, **sets[key]}


def hj663_rules(edition: str | int) -> dict[str, Any]:
    """HJ 663 rules of the CoAct edition ``edition`` (see ``hj663.yaml``)."""
    return _hj663()["editions"][edition_set(edition)["HJ663"]]


def validity_rules() -> dict[str, Any]:
    """GB 3095 Table 4 data-validity thresholds (same in 2012 and 2026)."""
    return _gb3095()["validity"]


def gb3095_limits(
    edition: str | int, on: dt.date | None = None, grade: int = 2
) -> dict[str, dict[str, float]]:
    """GB 3095 limits ``{pollutant: {annual|day|hour|mda8: value}}`` for ``grade`` (1 or 2).

    GB 3095-2026 has a transition phase to 2030-12-31 and final limits from 2031-01-01: the
    phase is chosen by ``on`` (default: the first phase of the edition).
    """
    gb_edition = edition_set(edition)["GB3095"]
    phases = _gb3095()["editions"][gb_edition]["phases"]
    chosen = phases[0]
    if on is not None:
        for phase in phases:
            chosen = phase
            if phase["until"] is None or on <= phase["until"]:
                break
    return {
        pollutant: {period: float(pair[grade - 1]) for period, pair in periods.items()}
        for pollutant, periods in chosen["limits"].items()
    }


# --------------------------------------------------------------------------- reference state


def reference_state(on: dt.date) -> str:
    """Basis of gas concentrations on ``on``: "273K" before the 2018 amendment, else "298K"."""
    change = _gb3095()["reference_state"]["change_date"]
    return "273K" if on < change else "298K"


def spans_reference_state_change(dates: Iterable[dt.date]) -> bool:
    """True if a series covers dates on both sides of the 2018-09-01 change of gas basis."""
    states = {reference_state(pd.Timestamp(day).date()) for day in dates}
    return len(states) > 1


def gas_reference_factor() -> float:
    """Multiply a gas concentration at 273.15 K by this to express it at 298.15 K (~0.916)."""
    ref = _gb3095()["reference_state"]
    return float(ref["before"]["temperature_k"]) / float(ref["after"]["temperature_k"])


# --------------------------------------------------------------------------- percentile


def percentile_hj663(values: ArrayLike, p: float) -> float:
    """Percentile ``p`` (0-100) of the valid values by the HJ 663 formula.

    Sort ascending X(1..n); k = 1 + (n - 1) * p / 100; s = integer part of k;
    m_p = X(s) + (X(s+1) - X(s)) * (k - s). NaN values are ignored; NaN if none.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return float("nan")
    k = 1.0 + (n - 1) * p / 100.0
    s = int(np.floor(k))
    if s >= n:
        return float(x[n - 1])
    return float(x[s - 1] + (x[s] - x[s - 1]) * (k - s))


# --------------------------------------------------------------------------- daily values


def _hour_grid(hourly: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    """Station, day and hour-slot indices of every row (slot 0 = the hour ending 01:00)."""
    start = pd.to_datetime(hourly["time"]) - pd.Timedelta(hours=1)
    day = start.dt.normalize()
    stations, station_codes = pd.factorize(hourly["station"], sort=True)
    first = day.min()
    day_index = ((day - first) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    slot = start.dt.hour.to_numpy(dtype=np.int64)
    days = pd.date_range(first, periods=int(day_index.max()) + 1, freq="D")
    return stations, day_index, slot, pd.MultiIndex.from_product([station_codes, days])


def _cube(values: np.ndarray, stations: np.ndarray, days: np.ndarray, slot: np.ndarray, shape):
    cube = np.full(shape, np.nan)
    cube[stations, days, slot] = values
    return cube


def _mda8(cube: np.ndarray, rules: Mapping[str, Any], limit: float, min_hours: int):
    """O3 daily max of the 8-h means ending at hours 8..24 (HJ 663), validity rule applied."""
    present = ~np.isnan(cube)
    sums = np.concatenate([np.zeros((*cube.shape[:2], 1)), np.nancumsum(cube, axis=2)], axis=2)
    counts = np.concatenate([np.zeros((*cube.shape[:2], 1)), np.cumsum(present, axis=2)], axis=2)
    first = int(rules["mda8_first_window_end_hour"])  # 8: window hours 1..8 is the first
    window_sum = sums[:, :, first:] - sums[:, :, : 25 - first]
    window_count = counts[:, :, first:] - counts[:, :, : 25 - first]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(window_count >= min_hours, window_sum / window_count, np.nan)
    valid_windows = (~np.isnan(means)).sum(axis=2)
    best = np.fmax.reduce(means, axis=2)  # NaN only when no window is valid
    with np.errstate(invalid="ignore"):
        # §6.1.2: fewer than 14 windows is still valid when the maximum exceeds the limit.
        valid = (valid_windows >= int(rules["mda8_min_windows"])) | (best > limit)
    return np.where(valid, best, np.nan), valid_windows


def station_daily(hourly: pd.DataFrame, edition: str | int = "2012") -> pd.DataFrame:
    """Daily values per station and natural day from hourly data (unrounded).

    ``hourly``: columns ``station``, ``time`` (end of the hour) and the 1-h means ``SO2``,
    ``NO2``, ``CO``, ``PM10``, ``PM2.5``, ``O3`` (missing columns count as no data).
    Returns a frame indexed by (station, date) with ``SO2_24h`` ... ``PM2.5_24h`` (daily mean,
    valid with >= 20 hours, GB 3095 Table 4), ``O3_8h`` (daily max 8-h mean: windows with
    >= 6 hours, >= 14 windows or above the 8-h limit, HJ 663 §6.1.2), ``O3_1h`` (daily max
    1-h mean, CoAct rule: >= 20 hours), and counts ``hours_<pollutant>``, ``windows_O3_8h``.
    """
    rules = hj663_rules(edition)
    validity = validity_rules()
    if hourly.empty:
        return pd.DataFrame(columns=list(DAILY_COLUMNS))
    stations, days, slot, index = _hour_grid(hourly)
    shape = (int(stations.max()) + 1, int(days.max()) + 1, 24)
    out: dict[str, np.ndarray] = {}
    for pollutant in POLLUTANTS:
        values = aqi_engine._column(hourly, pollutant)
        cube = _cube(values, stations, days, slot, shape)
        hours = (~np.isnan(cube)).sum(axis=2)
        out[f"hours_{pollutant}"] = hours.ravel()
        if pollutant in DAILY_MEAN_POLLUTANTS:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nansum(cube, axis=2) / hours
            out[f"{pollutant}_24h"] = np.where(
                hours >= int(validity["daily_min_hours"]), mean, np.nan
            ).ravel()
            continue
        limit = gb3095_limits(edition)["O3"]["mda8"]
        mda8, windows = _mda8(cube, rules, limit, int(validity["o3_8h_min_hours"]))
        out["O3_8h"] = mda8.ravel()
        out["windows_O3_8h"] = windows.ravel()
        filled = np.where(np.isnan(cube), -np.inf, cube).max(axis=2)
        ok = hours >= int(rules["o3_1h_max_min_hours"])
        out["O3_1h"] = np.where(ok, filled, np.nan).ravel()
    frame = pd.DataFrame(out, index=index.set_names(["station", "date"]))
    return frame[list(DAILY_COLUMNS) + [c for c in frame.columns if c not in DAILY_COLUMNS]]


def city_daily(
    daily: pd.DataFrame, stations: Collection[str] | None = None, edition: str | int = "2012"
) -> pd.DataFrame:
    """City daily values: arithmetic mean over the evaluation ``stations`` (HJ 663).

    ``daily`` is :func:`station_daily` output. A city value needs at least one valid station
    and the share ``city_min_station_fraction`` of ``hj663.yaml`` (CoAct default 0). Adds
    ``stations_<column>``, the count of stations with a valid value. Index: date.
    """
    if stations is not None:
        wanted = list(stations)
        daily = daily[daily.index.get_level_values("station").isin(wanted)]
        station_count = len(wanted)
    else:
        station_count = daily.index.get_level_values("station").nunique()
    columns = [c for c in DAILY_COLUMNS if c in daily.columns]
    grouped = daily[columns].groupby(level="date")
    means = grouped.mean()
    counts = grouped.count()
    fraction = float(hj663_rules(edition)["city_min_station_fraction"])
    enough = (counts >= 1) & (counts >= fraction * max(station_count, 1))
    result = means.where(enough)
    for column in columns:
        result[f"stations_{column}"] = counts[column]
    return result


def round_daily(daily: pd.DataFrame, edition: str | int = "2012") -> pd.DataFrame:
    """Daily concentrations rounded once by GB/T 8170 (integers, CO 1 decimal)."""
    digits = hj663_rules(edition)["concentration_digits"]
    rounded = daily.copy()
    for column in DAILY_COLUMNS:
        if column in rounded.columns:
            pollutant = column.split("_")[0]
            places = int(digits.get(pollutant, digits["default"]))
            rounded[column] = round_gbt8170(rounded[column].to_numpy(dtype=float), places)
    return rounded


def daily_city_aqi(
    daily_rounded: pd.DataFrame, edition: str | int, *, include_o3_1h: bool | None = None
) -> pd.DataFrame:
    """HJ 633 daily AQI of rounded daily values (index: date), plus a ``published`` flag.

    ``published``: the day has an AQI that counts for the good-day ratio: all indicators valid,
    or AQI > 100 (HJ 633-2026 §5.3.1; applied to 2012 too as CoAct's choice, see docs).
    """
    hj633 = edition_set(edition)["HJ633"]
    table = aqi_engine.daily_aqi(daily_rounded, hj633, include_o3_1h=include_o3_1h)
    table["published"] = table["complete"] | (table["aqi"] > 100)
    return table


# --------------------------------------------------------------------------- statistics


def _flagged(index: pd.Index, days: Collection[dt.date] | None) -> np.ndarray:
    if not days:
        return np.zeros(len(index), dtype=bool)
    wanted = pd.DatetimeIndex(pd.to_datetime(list(days))).normalize()
    return pd.DatetimeIndex(index).normalize().isin(wanted)


def composite_index(
    stats: Mapping[str, float], limits: Mapping[str, Mapping[str, float]], *, weighted: bool = False
) -> float:
    """综合指数 = sum of C_i / S_i (grade-2 limits); ``weighted`` uses the ranking weights.

    ``stats`` needs ``so2_mean``, ``no2_mean``, ``pm10_mean``, ``pm25_mean``, ``co_p95`` and
    ``o3_8h_p90`` (keys as :func:`period_statistics`). NaN if any term is missing.
    """
    config = _hj663()["composite_index"]
    weights = config["weights_ranking" if weighted else "weights_plain"]
    total = 0.0
    for pollutant, term in config["terms"].items():
        column = next(c for c, p in _STAT_POLLUTANT.items() if p == pollutant)
        if term["statistic"] == "annual_mean":
            value = stats[f"{_KEY[column]}_mean"]
        else:
            value = stats[f"{_KEY[column]}_p{int(_hj663_percentiles()[pollutant])}"]
        limit = limits["O3" if pollutant == "O3_8h" else pollutant][term["limit"]]
        total += float(weights[pollutant]) * float(value) / limit
    return total


def _hj663_percentiles() -> dict[str, float]:
    return _hj663()["editions"]["2013"]["percentiles"]


def period_statistics(
    daily_rounded: pd.DataFrame,
    aqi_table: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    *,
    edition: str | int,
    sand_dust_days: Collection[dt.date] | None = None,
    exception_days: Collection[dt.date] | None = None,
) -> dict[str, Any]:
    """Statistics of city daily values over [start, end] (HJ 663, GB/T 8170 rounding).

    Keys: ``<p>_mean`` (so2, no2, pm10, pm25, co, o3_8h), ``<p>_p<q>`` (HJ 663 percentiles:
    so2/no2 P98, pm10/pm25/co P95, o3_8h P90), ``days_<p>`` (valid days), ``valid_days``
    (days with a published AQI), ``good_days``, ``good_day_ratio`` (%),
    ``good_day_ratio_excl_sand_dust`` (%, sand-dust days with AQI > 100 removed from the
    denominator), ``composite_index``, ``composite_index_weighted``, ``excluded_days``.
    Exception-event days are dropped from everything under an edition that has them (2026).
    """
    rules = hj663_rules(edition)
    window = (daily_rounded.index >= pd.Timestamp(start)) & (
        daily_rounded.index <= pd.Timestamp(end)
    )
    excluded = _flagged(daily_rounded.index, exception_days) & bool(rules["exception_events"])
    keep = window & ~excluded
    days = daily_rounded.loc[keep]
    table = aqi_table.reindex(days.index)
    digits = rules["concentration_digits"]
    stats: dict[str, Any] = {
        "start": str(start),
        "end": str(end),
        "excluded_days": int((window & excluded).sum()),
    }
    for column, pollutant in _STAT_POLLUTANT.items():
        values = days[column].to_numpy(dtype=float) if column in days else np.array([])
        places = int(digits.get(pollutant.split("_")[0], digits["default"]))
        stats[f"days_{_KEY[column]}"] = int(np.sum(~np.isnan(values)))
        mean = float(np.nanmean(values)) if stats[f"days_{_KEY[column]}"] else float("nan")
        stats[f"{_KEY[column]}_mean"] = float(round_gbt8170(mean, places))
        q = rules["percentiles"][pollutant]
        stats[f"{_KEY[column]}_p{int(q)}"] = float(
            round_gbt8170(percentile_hj663(values, q), places)
        )
    published = table["published"].to_numpy(dtype=bool)
    good = published & (table["aqi"].to_numpy(dtype=float) <= float(rules["good_day_aqi_max"]))
    sand = _flagged(days.index, sand_dust_days) & published & ~good
    stats["valid_days"] = int(published.sum())
    stats["good_days"] = int(good.sum())
    stats["good_day_ratio"] = _ratio(good.sum(), published.sum(), rules)
    stats["sand_dust_days"] = int(sand.sum())
    stats["good_day_ratio_excl_sand_dust"] = _ratio(good.sum(), published.sum() - sand.sum(), rules)
    limits = gb3095_limits(edition, on=end)
    stats["composite_index"] = _round_index(composite_index(stats, limits), rules)
    stats["composite_index_weighted"] = _round_index(
        composite_index(stats, limits, weighted=True), rules
    )
    return stats


def _ratio(part: int, whole: int, rules: Mapping[str, Any]) -> float:
    if whole <= 0:
        return float("nan")
    return float(round_gbt8170(100.0 * part / whole, int(rules["ratio_digits"])))


def _round_index(value: float, rules: Mapping[str, Any]) -> float:
    return float(round_gbt8170(value, int(rules["composite_index_digits"])))


def _annual_validity(daily_rounded: pd.DataFrame, year: int) -> dict[str, Any]:
    """GB 3095 Table 4: >= 324 days a year and >= 27 a month (February 25), per pollutant."""
    rules = validity_rules()
    in_year = daily_rounded[daily_rounded.index.year == year]
    result: dict[str, Any] = {}
    for column in ("SO2_24h", "NO2_24h", "PM10_24h", "PM2.5_24h"):
        if column not in in_year:
            result[f"{_KEY[column]}_annual_valid"] = False
            continue
        per_month = in_year[column].notna().groupby(in_year.index.month).sum()
        per_month = per_month.reindex(range(1, 13), fill_value=0)
        needed = np.where(per_month.index == 2, rules["february_min_days"], rules["month_min_days"])
        enough_months = bool((per_month.to_numpy() >= needed).all())
        enough_year = int(per_month.sum()) >= int(rules["annual_min_days"])
        result[f"{_KEY[column]}_annual_valid"] = enough_months and enough_year
    return result


def annual_statistics(
    daily_rounded: pd.DataFrame,
    aqi_table: pd.DataFrame,
    year: int,
    *,
    edition: str | int | None = None,
    sand_dust_days: Collection[dt.date] | None = None,
    exception_days: Collection[dt.date] | None = None,
) -> dict[str, Any]:
    """Annual statistics of ``year`` (see :func:`period_statistics`), plus ``*_annual_mean``
    aliases, ``co_p95``/``o3_8h_p90``, the GB 3095 annual validity flags and 达标 flags."""
    chosen = edition_set(edition, dt.date(year, 12, 31))["set"]
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    stats = period_statistics(
        daily_rounded,
        aqi_table,
        start,
        end,
        edition=chosen,
        sand_dust_days=sand_dust_days,
        exception_days=exception_days,
    )
    stats.update({"year": year, "edition": chosen})
    for key in ("so2", "no2", "pm10", "pm25"):
        stats[f"{key}_annual_mean"] = stats[f"{key}_mean"]
    stats.update(_annual_validity(daily_rounded, year))
    stats.update(_compliance(stats, gb3095_limits(chosen, on=end)))
    return stats


def _compliance(stats: Mapping[str, Any], limits: Mapping[str, Mapping[str, float]]) -> dict:
    """达标: annual means <= annual limits, percentiles <= 24-h (8-h for O3) limits."""
    checks = {
        "so2": (stats["so2_mean"], limits["SO2"]["annual"], stats["so2_p98"], limits["SO2"]["day"]),
        "no2": (stats["no2_mean"], limits["NO2"]["annual"], stats["no2_p98"], limits["NO2"]["day"]),
        "pm10": (
            stats["pm10_mean"],
            limits["PM10"]["annual"],
            stats["pm10_p95"],
            limits["PM10"]["day"],
        ),
        "pm25": (
            stats["pm25_mean"],
            limits["PM2.5"]["annual"],
            stats["pm25_p95"],
            limits["PM2.5"]["day"],
        ),
    }
    result = {f"{k}_compliant": bool(m <= lm and p <= lp) for k, (m, lm, p, lp) in checks.items()}
    result["co_compliant"] = bool(stats["co_p95"] <= limits["CO"]["day"])
    result["o3_compliant"] = bool(stats["o3_8h_p90"] <= limits["O3"]["mda8"])
    return result


def monthly_statistics(
    daily_rounded: pd.DataFrame, aqi_table: pd.DataFrame, year: int, *, edition: str | int
) -> pd.DataFrame:
    """One row of :func:`period_statistics` per calendar month of ``year``."""
    rows = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
        stats = period_statistics(daily_rounded, aqi_table, start, end, edition=edition)
        rows.append({"month": month, **stats})
    return pd.DataFrame(rows).set_index("month")


def year_to_date(
    daily_rounded: pd.DataFrame, aqi_table: pd.DataFrame, end: dt.date, *, edition: str | int
) -> dict[str, Any]:
    """Statistics from 1 January of ``end``'s year to ``end`` (累计)."""
    start = dt.date(end.year, 1, 1)
    return period_statistics(daily_rounded, aqi_table, start, end, edition=edition)


def three_year_rolling(values_by_year: Mapping[int, float], digits: int = 0) -> dict[int, float]:
    """Three-year rolling mean of an annual statistic (HJ 663-2026 三年滑动平均).

    Year Y gets the mean of Y-2, Y-1, Y when all three are present, rounded by GB/T 8170 to
    ``digits``. UNCERTAIN: HJ 663-2026's own window, statistics and rounding are not known.
    """
    result: dict[int, float] = {}
    for year in sorted(values_by_year):
        trio = [values_by_year.get(year - lag) for lag in (2, 1, 0)]
        if all(v is not None and not np.isnan(v) for v in trio):
            result[year] = float(round_gbt8170(float(np.mean(trio)), digits))
    return result


def evaluate_year(
    hourly: pd.DataFrame,
    year: int,
    *,
    stations: Collection[str] | None = None,
    edition: str | int | None = None,
    sand_dust_days: Collection[dt.date] | None = None,
    exception_days: Collection[dt.date] | None = None,
    include_o3_1h: bool | None = None,
) -> dict[str, Any]:
    """Annual city evaluation from hourly station data: the whole pipeline in one call."""
    chosen = edition_set(edition, dt.date(year, 12, 31))["set"]
    daily = station_daily(hourly, chosen)
    city = round_daily(city_daily(daily, stations, chosen), chosen)
    city = city[city.index.year == year]
    table = daily_city_aqi(city, chosen, include_o3_1h=include_o3_1h)
    stats = annual_statistics(
        city,
        table,
        year,
        edition=chosen,
        sand_dust_days=sand_dust_days,
        exception_days=exception_days,
    )
    dates = pd.DatetimeIndex(city.index).date
    stats["reference_state_change_in_period"] = spans_reference_state_change(dates)
    return stats
