"""Periodic work of the air app: the plan's air indicators recomputed daily (year to date)."""

from __future__ import annotations

from django.utils import timezone

from coact.core.jobs import Periodic

from . import services

SCHEDULES = [Periodic("air.daily", "coact.air.jobs.daily", "D")]


def daily() -> dict[str, int]:
    """Record this year's and the latest data year's indicator values (idempotent)."""
    years = set(services.years_with_data()[-1:]) | {timezone.localdate().year}
    recorded = sum(services.record_indicators(year) for year in sorted(years))
    return {"years": len(years), "observations": recorded}
