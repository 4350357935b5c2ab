"""Read models shared by the pages and the API, so both show the same numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from coact.core.models import Region, RegionKind

from . import services
from .assessment import current_quarter
from .models import Indicator, Observation, ObservationState, Plan, Status, Task, TaskReport

STATUS_ORDER = [Status.ACHIEVED, Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK, Status.NO_DATA]


def status_counts(indicators: list[Indicator]) -> dict[str, int]:
    counts = Counter(i.status for i in indicators)
    return {s.value: counts.get(s.value, 0) for s in STATUS_ORDER}


def dashboard_data(plan: Plan, user: Any, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    indicators = list(
        Indicator.objects.visible_to(user).filter(plan=plan).select_related("goal").order_by("code")
    )
    goals = []
    for goal in plan.goals.all():
        own = [i for i in indicators if i.goal_id == goal.pk]
        goals.append({"goal": goal, "indicators": own, "counts": status_counts(own)})
    year, quarter = current_quarter(today)
    return {
        "plan": plan,
        "indicators": indicators,
        "counts": status_counts(indicators),
        "goals": goals,
        "off_track": [i for i in indicators if i.status in (Status.OFF_TRACK, Status.AT_RISK)],
        "counties": county_progress(plan, user, year, quarter) if user.is_authenticated else [],
        "year": year,
        "quarter": quarter,
        "pending": Observation.objects.visible_to(user)
        .filter(indicator__plan=plan, state=ObservationState.SUBMITTED)
        .count()
        if user.is_authenticated
        else 0,
    }


def county_progress(plan: Plan, user: Any, year: int, quarter: int) -> list[dict[str, Any]]:
    """Counties side by side: reports delivered this quarter and values reported this year."""
    local_tasks = Task.objects.filter(plan=plan, local_implementation=True).count()
    # Two grouped counts instead of one join over both tables (which multiplies rows).
    reports = dict(
        TaskReport.objects.filter(task__plan=plan, year=year, quarter=quarter, region__isnull=False)
        .values_list("region")
        .annotate(n=Count("id"))
        .values_list("region", "n")
    )
    values = dict(
        Observation.objects.filter(
            indicator__plan=plan,
            state=ObservationState.APPROVED,
            period_end__year=year,
            region__isnull=False,
        )
        .values_list("region")
        .annotate(n=Count("id"))
        .values_list("region", "n")
    )
    visible = set(_visible_region_ids(user))
    rows = []
    for region in Region.objects.exclude(kind__in=[RegionKind.CITY, RegionKind.PROVINCE]):
        if region.pk not in visible:
            continue
        done = reports.get(region.pk, 0)
        rows.append(
            {
                "region": region,
                "reports": done,
                "expected": local_tasks,
                "values": values.get(region.pk, 0),
                "share": round(100 * done / local_tasks) if local_tasks else 0,
            }
        )
    return rows


def _visible_region_ids(user: Any) -> list[int]:
    if user.is_office or user.role == "department":
        return list(Region.objects.values_list("pk", flat=True))
    if user.role == "county" and user.region_id:
        return user.region.subtree_ids()
    return []


def indicator_chart_data(indicator: Indicator) -> dict[str, Any]:
    """Observed values against the target trajectory, on shared dates.

    For targets stated as a change against a base year the chart shows that change (the
    value the target is written in), computed by the progress engine.
    """
    progress = services.progress
    observations = services.approved_series(indicator, include_projections=True)
    spec = services.indicator_spec(indicator)
    points = [
        progress.Observation(date=o.period_end, value=o.value)
        for o in observations
        if not o.projection
    ]
    base = progress.base_value(spec, points) if spec.comparator in progress.VERSUS_BASE else None

    def shown(value: float) -> float | None:
        if spec.comparator not in progress.VERSUS_BASE:
            return value
        return None if base in (None, 0) else round(progress.compared_value(spec, value, base), 4)

    start = (
        dt.date(indicator.baseline_year, 12, 31)
        if indicator.baseline_year
        else indicator.plan.period_start
    )
    dates = sorted({o.period_end for o in observations} | {indicator.deadline, start})
    trajectory = progress.trajectory(spec, dates, base=base)
    measured = {o.period_end: shown(o.value) for o in observations if not o.projection}
    projected = {o.period_end: shown(o.value) for o in observations if o.projection}
    return {
        "dates": [d.isoformat() for d in dates],
        "observed": [measured.get(d) for d in dates],
        "projected": [projected.get(d) for d in dates],
        "trajectory": [None if v is None else round(float(v), 4) for v in trajectory],
        "target": indicator.target,
        "shown_as": "change_vs_base" if spec.comparator in progress.VERSUS_BASE else "value",
    }


def task_board(
    plan: Plan,
    user: Any,
    department: str = "",
    county: str = "",
    status: str = "",
    year: int | None = None,
    quarter: int | None = None,
) -> list[dict[str, Any]]:
    tasks = (
        Task.objects.visible_to(user).filter(plan=plan).prefetch_related("lead", "co", "indicators")
    )
    if department:
        tasks = tasks.filter(Q(lead__code=department) | Q(co__code=department)).distinct()
    if county:
        tasks = tasks.filter(local_implementation=True)
    reports = TaskReport.objects.visible_to(user).filter(task__plan=plan)
    if year and quarter:
        reports = reports.filter(year=year, quarter=quarter)
    if county:
        reports = reports.filter(region__code=county)
    by_task: dict[int, list[TaskReport]] = {}
    for report in reports.select_related("department", "region"):
        by_task.setdefault(report.task_id, []).append(report)
    rows = []
    for task in tasks:
        statuses = [i.status for i in task.indicators.all()]
        worst = next(
            (
                s
                for s in (Status.OFF_TRACK, Status.AT_RISK, Status.ON_TRACK, Status.ACHIEVED)
                if s in statuses
            ),
            Status.NO_DATA,
        )
        own_reports = by_task.get(task.pk, [])
        rows.append(
            {
                "task": task,
                "status": worst,
                "reports": own_reports,
                "percent": round(sum(r.percent_done for r in own_reports) / len(own_reports))
                if own_reports
                else None,
            }
        )
    if status:
        rows = [r for r in rows if r["status"] == status]
    return rows
