"""Reference and demo data of the air app, called by `coact setup`."""

from __future__ import annotations

from pathlib import Path

import coact
from coact.core.importing import ImportRejected

from . import services
from .models import HourlyValue

#: CNEMC 2019 hourly releases of Nantong's 5 national stations, shipped beside the repository.
DEMO_FILE = Path("data") / "air" / "nantong_sites_hourly_2019.csv"


def shared_folder() -> Path:
    """The project's ``shared`` folder: a sibling of the repository root."""
    return Path(coact.__file__).resolve().parents[2].parent / "shared"


def load_reference_data() -> str:
    return f"{services.load_stations()} air stations loaded"


def load_demo_data() -> str:
    """Import the 2019 release file if the shared folder holds it (real data, not invented)."""
    path = shared_folder() / DEMO_FILE
    if not path.exists():
        return f"no demo data ({path} not found)"
    if HourlyValue.objects.exists():
        return "station data already present"
    try:
        batch = services.import_file(path, "cnemc")
    except ImportRejected as exc:
        return f"{path.name} rejected: {exc}"
    return (
        f"{path.name}: {batch.created} station-hours imported in {batch.seconds:.1f} s "
        f"(CNEMC real-time release data, unaudited)"
    )
