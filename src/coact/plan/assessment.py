"""Quarterly reporting calendar, reminders and the assessment score per unit.

The weights and points are data (``coact/data/assessment/default.yaml``) so the office
can follow its own 考核 rules without a code change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from django.db.models import Q

from coact.core.models import Department, Notification, Region, RegionKind, Role, User

from .models import Indicator, Plan, ReportState, Task, TaskReport


@cache
def config() -> dict[str, Any]:
    text = resources.files("coact.data.assessment").joinpath("default.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    weights = data["assessment"]["weights"]
    if abs(sum(weights.values()) - 1) > 1e-9:
        raise ValueError(f"assessment weights must add up to 1, got {weights}")
    return data


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def report_due(year: int, quarter: int) -> dt.date:
    return quarter_end(year, quarter) + dt.timedelta(
        days=config()["reporting"]["due_days_after_quarter_end"]
    )


def current_quarter(today: dt.date) -> tuple[int, int]:
    """The quarter whose report is due next: the one that ended most recently."""
    q = (today.month - 1) // 3  # 0 means the previous year's Q4
    return (today.year - 1, 4) if q == 0 else (today.year, q)


@dataclass(frozen=True)
class Unit:
    kind: str  # "department" or "region"
    obj: Department | Region

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.obj.code}"


def reporting_units(task: Task) -> list[Unit]:
    units = [Unit("department", d) for d in task.lead.all()] + [
        Unit("department", d) for d in task.co.all()
    ]
    if task.local_implementation:
        units += [Unit("region", r) for r in Region.objects.exclude(kind=RegionKind.CITY)]
    return units


def report_state(task: Task, unit: Unit, year: int, quarter: int) -> str:
    """on_time, late, missing or returned, as the assessment counts it."""
    filters = {"department": unit.obj} if unit.kind == "department" else {"region": unit.obj}
    report = TaskReport.objects.filter(task=task, year=year, quarter=quarter, **filters).first()
    if report is None:
        return "missing"
    if report.state == ReportState.RETURNED:
        return "returned"
    due = report_due(year, quarter)
    return "on_time" if report.submitted_at.date() <= due else "late"


def send_reminders(today: dt.date, plan: Plan) -> int:
    """Notify every unit user whose report for the current quarter is due soon or overdue."""
    year, quarter = current_quarter(today)
    due = report_due(year, quarter)
    days = (due - today).days
    cfg = config()["reporting"]
    if days not in cfg["remind_days_before_due"] and -days not in cfg["remind_days_after_due"]:
        return 0
    sent = 0
    for task in plan.tasks.prefetch_related("lead", "co"):
        for unit in reporting_units(task):
            if report_state(task, unit, year, quarter) != "missing":
                continue
            users = User.objects.filter(
                is_active=True,
                **(
                    {"role": Role.DEPARTMENT, "department": unit.obj}
                    if unit.kind == "department"
                    else {"role": Role.COUNTY, "region": unit.obj}
                ),
            )
            text = f"任务{task.number}「{task.title}」{year}年第{quarter}季度进展报告" + (
                f"将于{due}截止" if days >= 0 else f"已逾期{-days}天(截止{due})"
            )
            for user in users:
                _, created = Notification.objects.get_or_create(
                    user=user,
                    key=f"report:{task.pk}:{year}Q{quarter}:{days}",
                    defaults={"text": text, "link": f"/plan/tasks/{task.pk}/"},
                )
                sent += created
    return sent


def assessment(plan: Plan, year: int, quarter: int) -> list[dict[str, Any]]:
    """Score per department and county: weighted indicator status and reporting points."""
    cfg = config()["assessment"]
    tasks = list(plan.tasks.prefetch_related("lead", "co"))
    rows = []
    units = [
        Unit("department", d)
        for d in Department.objects.filter(
            Q(lead_tasks__plan=plan) | Q(co_tasks__plan=plan)
        ).distinct()
    ]
    units += [Unit("region", r) for r in Region.objects.exclude(kind=RegionKind.CITY)]
    for unit in units:
        if unit.kind == "department":
            indicators = Indicator.objects.filter(plan=plan, responsible=unit.obj)
            unit_tasks = [t for t in tasks if unit.obj in t.lead.all() or unit.obj in t.co.all()]
        else:
            indicators = Indicator.objects.none()
            unit_tasks = [t for t in tasks if t.local_implementation]
        statuses = list(indicators.values_list("status", flat=True))
        status_score = (
            (sum(cfg["status_points"][s] for s in statuses) / len(statuses)) if statuses else None
        )
        states = [report_state(t, unit, year, quarter) for t in unit_tasks]
        report_score = (
            (sum(cfg["report_points"][s] for s in states) / len(states)) if states else None
        )
        parts = [
            (cfg["weights"]["indicators"], status_score),
            (cfg["weights"]["reporting"], report_score),
        ]
        known = [(w, s) for w, s in parts if s is not None]
        total = sum(w * s for w, s in known) / sum(w for w, _ in known) if known else None
        rows.append(
            {
                "unit_kind": unit.kind,
                "code": unit.obj.code,
                "name": str(unit.obj),
                "indicators": len(statuses),
                "indicator_score": _r(status_score),
                "tasks": len(states),
                "reports_on_time": states.count("on_time"),
                "reports_late": states.count("late"),
                "reports_missing": states.count("missing"),
                "reporting_score": _r(report_score),
                "score": _r(total),
            }
        )
    return sorted(rows, key=lambda r: (r["unit_kind"], -(r["score"] or 0)))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
