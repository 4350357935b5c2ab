"""Periodic work of the forecast app: the daily O3 forecast run (leads 1-10)."""

from __future__ import annotations

from typing import Any

from coact.core.jobs import Periodic

from . import services

SCHEDULES = [Periodic("forecast.daily", "coact.forecast.jobs.daily", "D")]


def daily() -> dict[str, Any]:
    """Issue the city forecast as of the last day with station data (its warning case too)."""
    span = services.data_range()
    if span is None:
        return {"run": None, "reason": "no station data"}
    run = services.run_forecast(span[1])
    return {"as_of": str(run.as_of), "method": run.method, "warning": run.warning_case_number}
