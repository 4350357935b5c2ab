"""Periodic work of complaints: reminders for missed follow-up visits."""

from __future__ import annotations

from coact.core.jobs import Periodic

from . import services

SCHEDULES = [
    Periodic("complaints.missed_follow_ups", "coact.complaints.jobs.missed_follow_ups", "H")
]


def missed_follow_ups() -> int:
    return services.remind_missed_follow_ups()
