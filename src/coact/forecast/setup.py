"""Demo data of the forecast app, called by `coact setup`: one forecast run on the stored air
data (baselines, no training) and a few illustrative emergency measures."""

from __future__ import annotations

import datetime as dt

from coact.core.models import Enterprise

from . import services
from .models import EmergencyMeasure, ForecastRun


def load_demo_data() -> str:
    parts = [_demo_measures()]
    span = services.data_range()
    if span is None:
        parts.append("no air data: no forecast run")
    elif ForecastRun.objects.exists():
        parts.append("forecast runs already present")
    else:
        run = services.run_forecast(span[1], use_model=False)
        parts.append(f"forecast as of {run.as_of} with baselines ({run.seconds:.1f} s)")
    return "; ".join(parts)


def _demo_measures() -> str:
    if EmergencyMeasure.objects.filter(illustrative=True).exists():
        return "illustrative measures already present"
    enterprise = Enterprise.objects.filter(illustrative=True).order_by("pk").first()
    if enterprise is None:
        from coact.core.demo import demo_enterprise

        enterprise = demo_enterprise()
    for row in services.demo_measures():
        services.save_measure(
            services.MeasureInput(
                enterprise=enterprise,
                level=row["level"],
                measure=row["measure"],
                nox_kg_day=float(row["nox_kg_day"]),
                vocs_kg_day=float(row["vocs_kg_day"]),
                valid_from=dt.date(2023, 1, 1),
                source=row["source"],
                illustrative=True,
            ),
            by=None,
        )
    return f"{len(services.demo_measures())} illustrative emergency measures"
