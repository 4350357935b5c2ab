"""Periodic work of the plan app: statuses refreshed daily, reporting reminders."""

from __future__ import annotations

from django.utils import timezone

from coact.core.jobs import Periodic

from . import assessment, services
from .models import Plan

SCHEDULES = [Periodic("plan.daily", "coact.plan.jobs.daily", "D")]


def daily() -> dict[str, int]:
    today = timezone.localdate()
    refreshed = services.refresh_all_statuses(today)
    reminders = sum(assessment.send_reminders(today, plan) for plan in Plan.objects.all())
    return {"refreshed": refreshed, "reminders": reminders}
