"""Benchmark of the air engines: 10 stations x 10 years of synthetic hourly data (seeded).

Measures, in one run:
* hourly AQI throughput of coact.engines.aqi.hourly_aqi (AQI values per second), against a
  straightforward per-value implementation of the same HJ 633 rules (on a sample, checked equal);
* the full annual evaluation (coact.engines.evaluation: daily values, city means, rounding,
  daily AQI, 10 annual statistics), against a per-value implementation (on one year).

Run: .venv/bin/python bench/bench_air.py [--stations 10] [--years 10] [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import time
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from coact.engines import aqi, evaluation

SIX = ("SO2", "NO2", "PM10", "CO", "O3", "PM2.5")
KEY_1H = {
    "SO2": "SO2_1h",
    "NO2": "NO2_1h",
    "PM10": "PM10_24h",
    "CO": "CO_1h",
    "O3": "O3_1h",
    "PM2.5": "PM2.5_24h",
}


def synthetic_hourly(stations: int, years: int, seed: int) -> pd.DataFrame:
    """Log-normal hourly series with a daily O3 cycle and 3 % missing values, 2012 editions."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2010-01-01 01:00", f"{2010 + years}-01-01 00:00", freq="h")
    n = len(times)
    frames = []
    hour_of_day = times.hour.to_numpy()
    for index in range(stations):
        o3_cycle = 60 + 50 * np.sin((hour_of_day - 9) / 24 * 2 * np.pi)
        data = {
            "SO2": rng.lognormal(2.3, 0.6, n).round(),
            "NO2": rng.lognormal(3.4, 0.5, n).round(),
            "PM10": rng.lognormal(4.0, 0.6, n).round(),
            "CO": rng.lognormal(-0.5, 0.4, n).round(1),
            "O3": (o3_cycle * rng.lognormal(0, 0.35, n)).round(),
            "PM2.5": rng.lognormal(3.5, 0.6, n).round(),
        }
        for column in data.values():
            column[rng.random(n) < 0.03] = np.nan
        frames.append(pd.DataFrame({"station": f"{1000 + index}A", "time": times, **data}))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- naive baselines

TABLES = {key: aqi.rules("2012").breakpoints[key].tolist() for key in set(KEY_1H.values())}
TABLES |= {
    k: aqi.rules("2012").breakpoints[k].tolist() for k in ("SO2_24h", "NO2_24h", "CO_24h", "O3_8h")
}
LEVELS = [0, 50, 100, 150, 200, 300, 400, 500]


def naive_iaqi(key: str, conc: float) -> float:
    if conc != conc or conc < 0:
        return math.nan
    table = TABLES[key]
    for i in range(1, len(table)):
        if conc <= table[i]:
            value = (LEVELS[i] - LEVELS[i - 1]) / (table[i] - table[i - 1]) * (
                conc - table[i - 1]
            ) + LEVELS[i - 1]
            return float(math.ceil(round(value, 9)))
    return math.nan if key in ("SO2_1h", "O3_8h") else 500.0


def naive_hourly_aqi(rows: list[dict]) -> list[float]:
    result = []
    for row in rows:
        values = [naive_iaqi(KEY_1H[p], row[p]) for p in SIX]
        present = [v for v in values if v == v]
        result.append(max(present) if present else math.nan)
    return result


def naive_round(value: float, digits: int) -> float:
    if value != value:
        return value
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_EVEN))


def naive_evaluate_year(hourly: pd.DataFrame, year: int) -> dict[str, float]:
    """Per-value HJ 663 evaluation of one year (2012 set): loops over stations, days, hours."""
    by_day: dict[tuple[str, dt.date], dict[str, list[float]]] = defaultdict(
        lambda: {p: [math.nan] * 24 for p in SIX}
    )
    for station, stamp, *values in hourly[["station", "time", *SIX]].itertuples(index=False):
        start = stamp - pd.Timedelta(hours=1)
        if start.year != year:
            continue
        slots = by_day[(station, start.date())]
        for pollutant, value in zip(SIX, values, strict=True):
            slots[pollutant][start.hour] = value
    station_days: dict[dt.date, list[dict[str, float]]] = defaultdict(list)
    for (_, day), slots in by_day.items():
        daily = {}
        for pollutant in ("SO2", "NO2", "CO", "PM10", "PM2.5"):
            valid = [v for v in slots[pollutant] if v == v]
            daily[pollutant] = sum(valid) / len(valid) if len(valid) >= 20 else math.nan
        windows = []
        for end in range(8, 25):
            valid = [v for v in slots["O3"][end - 8 : end] if v == v]
            if len(valid) >= 6:
                windows.append(sum(valid) / len(valid))
        best = max(windows) if windows else math.nan
        daily["O3_8h"] = best if len(windows) >= 14 or best > 160 else math.nan
        valid = [v for v in slots["O3"] if v == v]
        daily["O3_1h"] = max(valid) if len(valid) >= 20 else math.nan
        station_days[day].append(daily)
    city = []
    for day in sorted(station_days):
        row = {}
        for key in ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3_8h", "O3_1h"):
            valid = [d[key] for d in station_days[day] if d[key] == d[key]]
            row[key] = (
                naive_round(sum(valid) / len(valid), 1 if key == "CO" else 0) if valid else math.nan
            )
        city.append(row)
    good = valid_days = 0
    for row in city:
        keys = {
            "SO2": "SO2_24h",
            "NO2": "NO2_24h",
            "CO": "CO_24h",
            "PM10": "PM10_24h",
            "PM2.5": "PM2.5_24h",
            "O3_8h": "O3_8h",
            "O3_1h": "O3_1h",
        }
        values = [naive_iaqi(k, row[p]) for p, k in keys.items()]
        present = [v for v in values if v == v]
        if not present:
            continue
        day_aqi = max(present)
        if len(present) == len(values) or day_aqi > 100:
            valid_days += 1
            good += day_aqi <= 100
    pm25 = [r["PM2.5"] for r in city if r["PM2.5"] == r["PM2.5"]]
    return {
        "pm25_annual_mean": naive_round(sum(pm25) / len(pm25), 0),
        "valid_days": valid_days,
        "good_day_ratio": naive_round(100 * good / valid_days, 1),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=10)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    hourly = synthetic_hourly(args.stations, args.years, args.seed)
    rows = len(hourly)
    print(f"data: {args.stations} stations x {args.years} years = {rows:,} station-hours")

    start = time.perf_counter()
    result = aqi.hourly_aqi(hourly, edition="2012")
    fast = time.perf_counter() - start
    sample = hourly.sample(20_000, random_state=args.seed)
    start = time.perf_counter()
    naive = naive_hourly_aqi(sample[list(SIX)].to_dict("records"))
    slow = time.perf_counter() - start
    agree = np.array_equal(
        np.asarray(naive), result.loc[sample.index, "aqi"].to_numpy(), equal_nan=True
    )
    fast_rate, slow_rate = rows / fast, len(sample) / slow
    print(
        f"hourly AQI: {fast:.2f} s for {rows:,} rows = {fast_rate:,.0f} AQI/s "
        f"(naive {slow_rate:,.0f} AQI/s on {len(sample):,} rows; speed-up "
        f"{fast_rate / slow_rate:.0f}x; identical: {agree})"
    )

    stations = sorted(hourly["station"].unique())
    years = sorted(set((hourly["time"] - pd.Timedelta(hours=1)).dt.year))
    start = time.perf_counter()
    daily = evaluation.station_daily(hourly, "2012")
    city = evaluation.round_daily(evaluation.city_daily(daily, stations, "2012"), "2012")
    table = evaluation.daily_city_aqi(city, "2012")
    annual = {y: evaluation.annual_statistics(city, table, y, edition="2012") for y in years}
    fast = time.perf_counter() - start
    first = years[0]
    start = time.perf_counter()
    reference = naive_evaluate_year(hourly, first)
    slow_one = time.perf_counter() - start
    mine = {k: annual[first][k] for k in reference}
    print(
        f"evaluation: {fast:.2f} s for {len(years)} years x {len(stations)} stations "
        f"(naive {slow_one:.2f} s for one year -> ~{slow_one * len(years):.1f} s for all; "
        f"speed-up ~{slow_one * len(years) / fast:.0f}x; year {first} identical: "
        f"{mine == reference}: {mine})"
    )


if __name__ == "__main__":
    main()
