"""Periodic work, one mechanism: django-q2 schedules stored in the database.

Each app lists its periodic jobs in ``<app>/jobs.py`` as ``SCHEDULES``; this module
creates or updates them. The broker is the ORM (SQLite or PostgreSQL), so the embedded
default needs no other server; production may switch Q_CLUSTER to Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from .hooks import app_modules


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # dotted path
    schedule_type: str  # django_q Schedule type: "D" daily, "H" hourly, "I" minutes
    minutes: int | None = None


def ensure_schedules() -> list[str]:
    from django_q.models import Schedule

    names = []
    for _label, module in app_modules("jobs"):
        for job in getattr(module, "SCHEDULES", []):
            Schedule.objects.update_or_create(
                name=job.name,
                defaults={
                    "func": job.func,
                    "schedule_type": job.schedule_type,
                    "minutes": job.minutes,
                    "repeats": -1,
                    "next_run": timezone.now(),
                },
            )
            names.append(job.name)
    return names
