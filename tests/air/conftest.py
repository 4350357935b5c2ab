"""Air fixtures: the station list, and small slices of the shipped CNEMC 2019 release file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED

RELEASE_2019 = SHARED / "data" / "air" / "nantong_sites_hourly_2019.csv"


def release_slice(folder: Path, first: str, last: str, name: str = "slice.csv") -> Path:
    """Lines of the 2019 file with ``first <= date <= last`` (YYYYMMDD), header kept."""
    if not RELEASE_2019.exists():
        pytest.skip(f"{RELEASE_2019} is not available")
    lines = RELEASE_2019.read_text("utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if first <= line[:8] <= last]
    path = folder / name
    path.write_text("\n".join(kept) + "\n", "utf-8")
    return path


@pytest.fixture
def stations(db: Any) -> int:
    from coact.air import services

    return services.load_stations()


@pytest.fixture
def jan_slice(tmp_path: Path) -> Path:
    """1-3 January 2019 plus the 00:00 hour closing 3 January: three natural days."""
    path = release_slice(tmp_path, "20190101", "20190104")
    text = path.read_text("utf-8").splitlines()
    keep = [line for line in text if not line.startswith("20190104") or line.split(",")[1] == "0"]
    path.write_text("\n".join(keep) + "\n", "utf-8")
    return path
