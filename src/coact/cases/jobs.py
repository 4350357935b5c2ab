"""Periodic work of the case engine: the overdue scan (reminders, overdue, escalation)."""

from __future__ import annotations

from typing import Any

from coact.core.jobs import Periodic

from . import services

SCHEDULES = [Periodic("cases.scan_overdue", "coact.cases.jobs.scan", "I", minutes=15)]


def scan() -> dict[str, Any]:
    return services.scan_overdue().as_dict()
