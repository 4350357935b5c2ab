"""Forecast fixtures: a small synthetic hourly O3 history stored through the air app."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pytest

START = dt.date(2023, 5, 1)
STATIONS = ("1168A", "1169A")  # two of Nantong's evaluation stations


def daily_peak(day_index: int, high_from: int | None = None) -> float:
    """Afternoon peak O3 (µg/m³) of day ``day_index``: a slow 24-day wave between ~90 and
    ~170, or a flat 230 from ``high_from`` on (a pollution episode)."""
    if high_from is not None and day_index >= high_from:
        return 230.0
    return 130.0 + 40.0 * math.sin(2 * math.pi * day_index / 24.0)


def hourly_o3(peak: float, hour_end: int) -> float:
    """A diurnal shape: low at night, the peak held 12-17 h (end-of-hour labels 13..18)."""
    if 13 <= hour_end <= 18:
        return peak
    return round(0.35 * peak, 1)


def store_days(first: int, last: int, high_from: int | None = None, bump: float = 0.0) -> None:
    """Push hourly values of days START+first .. START+last through the air import."""
    from coact.air import services

    records = []
    for index in range(first, last + 1):
        day = START + dt.timedelta(days=index)
        peak = daily_peak(index, high_from) + bump
        for hour_end in range(1, 25):
            moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=hour_end)
            for code in STATIONS:
                values = {"O3": hourly_o3(peak, hour_end), "NO2": 20.0, "CO": 0.6, "PM2.5": 25.0}
                records.append(services.PushRecord(code, moment, values))
    services.import_records(records, by=None, packet="synthetic")


@pytest.fixture
def air_stations(db: Any) -> None:
    from coact.air import services

    services.load_stations()


@pytest.fixture
def history(air_stations: None) -> Callable[..., None]:
    """Call ``history(days, high_from=None)`` to store days 0..days-1."""

    def make(days: int, high_from: int | None = None) -> None:
        store_days(0, days - 1, high_from)

    return make


def day(index: int) -> dt.date:
    return START + dt.timedelta(days=index)


def enterprise(name: str, region_code: str, serial: str) -> Any:
    from coact.core.models import Enterprise, Region
    from coact.engines.uscc import uscc_check_character

    first17 = f"91{region_code}MA{serial}"[:17]
    return Enterprise.objects.create(
        uscc=first17 + uscc_check_character(first17),
        name=name,
        region=Region.objects.get(code=region_code),
    )
