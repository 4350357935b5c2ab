"""Periodic work of online monitoring: the data-quality scan (offline, flat line, long
flags) every 5 minutes, and the plan's coverage indicator daily."""

from __future__ import annotations

from typing import Any

from coact.core.jobs import Periodic

from . import services

SCHEDULES = [
    Periodic("monitoring.quality", "coact.monitoring.jobs.quality_scan", "I", minutes=5),
    Periodic("monitoring.coverage", "coact.monitoring.jobs.coverage", "D"),
]


def quality_scan() -> dict[str, Any]:
    return services.scan_data_quality()


def coverage() -> dict[str, Any]:
    return {"recorded": services.record_coverage()}
