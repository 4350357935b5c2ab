"""Acceptance: the computed real-time AQI equals CNEMC's published AQI on every Nantong 2019
station-hour that has all six pollutants (shared data, see /work/shared/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coact.engines import airio, aqi

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
NANTONG = SHARED / "data" / "air" / "nantong_sites_hourly_2019.csv"
SIX = ["SO2", "NO2", "PM10", "CO", "O3", "PM2.5"]

pytestmark = pytest.mark.skipif(
    not NANTONG.is_file(), reason=f"shared data file absent: {NANTONG} (CoAct shared folder)"
)


@pytest.fixture(scope="module")
def nantong():
    frame, problems = airio.read_cnemc_long(NANTONG)
    assert problems == []  # the file is clean
    return frame


def test_published_hourly_aqi_reproduced_on_all_complete_rows(nantong):
    result = aqi.hourly_aqi(nantong)  # edition by date: all 2019 rows -> HJ 633-2012
    assert set(result["edition"]) == {"2012"}
    complete = nantong[[*SIX, "AQI"]].notna().all(axis=1).to_numpy()
    assert complete.sum() == 36_279  # station-hours with all six pollutants and an AQI
    computed = result["aqi"].to_numpy()[complete]
    published = nantong["AQI"].to_numpy()[complete]
    mismatches = nantong.loc[complete].loc[computed != published]
    assert mismatches.empty, mismatches.head().to_string()


def test_over_the_top_and_primary_pollutant_sanity(nantong):
    result = aqi.hourly_aqi(nantong)
    complete = nantong[SIX].notna().all(axis=1).to_numpy()
    aqi_values = result["aqi"].to_numpy()[complete]
    primary = result["primary_pollutant"].to_numpy()[complete]
    # No primary pollutant exactly when AQI <= 50 (HJ 633 §3.3 / 2026 §4.3.1).
    assert np.array_equal(primary == "", aqi_values <= 50)
    assert result["level"].to_numpy()[complete].min() >= 1
