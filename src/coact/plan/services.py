"""Every write and business rule of the plan app: loading plans, observations, approvals,
status, overrides, task reports. Views and the API call these; nothing else writes."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from coact.core.audit import log_update
from coact.core.models import Department, Region, Role, User
from coact.engines import planfile, progress

from .models import (
    Goal,
    Indicator,
    Observation,
    ObservationState,
    Plan,
    ReportState,
    Status,
    StatusOverride,
    Task,
    TaskReport,
)


class PlanFileInvalid(Exception):
    def __init__(self, problems: list[Any]):
        self.problems = problems
        super().__init__("; ".join(f"{p.location}: {p.message}" for p in problems[:5]))


class Conflict(Exception):
    """Someone else changed the record first; nothing was stored."""


# --- organisation -------------------------------------------------------------------------


def load_org(folder: Path | None = None) -> tuple[int, int]:
    """Create or update regions and departments from the organisation data files."""
    org = planfile.load_org(Path(folder or settings.COACT_ORG_DIR))
    with transaction.atomic():
        by_code: dict[str, Region] = {}
        for sort, item in enumerate(org.regions):
            region, _ = Region.objects.update_or_create(
                code=item.code,
                defaults={
                    "name": item.name,
                    "name_en": item.name_en or "",
                    "kind": item.kind,
                    "lon": item.lon,
                    "lat": item.lat,
                    "note": item.note or "",
                    "sort": sort,
                    "parent": by_code.get(item.parent) if item.parent else None,
                },
            )
            by_code[item.code] = region
        for item in org.departments:
            Department.objects.update_or_create(
                code=item.code,
                defaults={
                    "name": item.name,
                    "short": item.short or "",
                    "name_en": item.name_en or "",
                    "aliases": list(item.aliases or []),
                },
            )
    return len(org.regions), len(org.departments)


# --- plans ----------------------------------------------------------------------------------


def plan_files(folder: Path | None = None) -> list[Path]:
    return sorted(Path(folder or settings.COACT_PLAN_DIR).glob("*.yaml"))


def load_plan_file(path: Path, org_dir: Path | None = None) -> Plan:
    """Validate a plan file and create or update it (by its code) in one transaction.

    Indicators, tasks and goals are matched by code/number, so observations already
    reported against them survive a reload of a corrected file.
    """
    org = Path(org_dir or settings.COACT_ORG_DIR)
    problems = planfile.check_plan(path, org)
    if problems:
        raise PlanFileInvalid(problems)
    spec = planfile.load_plan(path, org)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    departments = {d.code: d for d in Department.objects.all()}
    with transaction.atomic():
        meta = spec.plan
        plan, _ = Plan.objects.update_or_create(
            code=meta.code,
            defaults={
                "version": meta.version,
                "title": meta.title,
                "title_en": meta.title_en or "",
                "issuer": meta.issuer or "",
                "issued": meta.issued,
                "period_start": meta.period_start,
                "period_end": meta.period_end,
                "region": Region.objects.filter(code=meta.region).first(),
                "source": meta.source or "",
                "file_sha256": digest,
            },
        )
        goals = _load_goals(plan, spec.goals)
        tasks = _load_tasks(plan, spec.tasks, departments)
        _load_indicators(plan, spec.indicators, goals, tasks, departments)
    return plan


def _load_goals(plan: Plan, items: Iterable[Any]) -> dict[str, Goal]:
    goals = {}
    for item in items:
        goal, _ = Goal.objects.update_or_create(
            plan=plan,
            code=item.code,
            defaults={
                "number": item.number,
                "title": item.title,
                "title_en": item.title_en or "",
                "text": item.text or "",
            },
        )
        goals[item.code] = goal
    return goals


def _load_tasks(
    plan: Plan, items: Iterable[Any], departments: dict[str, Department]
) -> dict[int, Task]:
    tasks = {}
    for item in items:
        task, _ = Task.objects.update_or_create(
            plan=plan,
            number=item.number,
            defaults={
                "chapter": item.chapter or "",
                "chapter_title": item.chapter_title or "",
                "title": item.title,
                "title_en": item.title_en or "",
                "text": item.text or "",
                "local_implementation": item.local_implementation,
            },
        )
        task.lead.set([departments[c] for c in item.lead])
        task.co.set([departments[c] for c in item.co or []])
        tasks[item.number] = task
    return tasks


def _load_indicators(
    plan: Plan,
    items: Iterable[Any],
    goals: dict[str, Goal],
    tasks: dict[int, Task],
    departments: dict[str, Department],
) -> None:
    for item in items:
        baseline = item.baseline
        indicator, _ = Indicator.objects.update_or_create(
            plan=plan,
            code=item.code,
            defaults={
                "name": item.name,
                "name_en": item.name_en or "",
                "unit": item.unit or "",
                "comparator": str(item.comparator),
                "target": item.target,
                "tolerance": item.tolerance,
                "strict": item.strict,
                "level": item.level,
                "baseline_value": baseline.value if baseline else None,
                "baseline_year": baseline.year if baseline else None,
                "deadline": item.deadline,
                "annual": bool(item.annual),
                "goal": goals.get(item.goal) if item.goal else None,
                "reporting": item.reporting,
                "computed_by": item.computed_by or "",
                "higher_is_better": item.higher_is_better,
                "quote": item.quote or "",
            },
        )
        indicator.tasks.set([tasks[n] for n in item.tasks or [] if n in tasks])
        indicator.responsible.set([departments[c] for c in item.responsible or []])


def load_all(org_dir: Path | None = None, plan_dir: Path | None = None) -> list[Plan]:
    load_org(org_dir)
    return [load_plan_file(path, org_dir) for path in plan_files(plan_dir)]


# --- permissions ------------------------------------------------------------------------------


def can_report(user: User, indicator: Indicator) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_office:
        return True
    if user.role == Role.COUNTY:
        return True  # counties report their own area's value of every plan indicator
    if user.role == Role.DEPARTMENT:
        return Indicator.objects.visible_to(user).filter(pk=indicator.pk).exists()
    return False


def can_approve(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_office


# --- observations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationInput:
    value: float
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date | None = None
    source: str = ""
    note: str = ""
    region_code: str | None = None


def _validate_input(indicator: Indicator, data: ObservationInput) -> None:
    errors: dict[str, str] = {}
    if data.period_end < data.period_start:
        errors["period_end"] = "period_end is before period_start"
    if data.value != data.value or data.value in (float("inf"), float("-inf")):
        errors["value"] = "value must be a finite number"
    if indicator.unit.strip() == "%" and not (-1000 <= data.value <= 1000):
        errors["value"] = f"{data.value} is not a plausible percentage"
    if not data.source.strip():
        errors["source"] = "say where the value comes from"
    if errors:
        raise ValidationError(errors)


def record_observation(
    indicator: Indicator,
    data: ObservationInput,
    *,
    by: User | None = None,
    evidence: File | None = None,
    computed_by: str = "",
    projection: bool = False,
    illustrative: bool = False,
    auto_approve: bool = False,
) -> Observation:
    """The one path by which a value enters: a department's report or a module's result.

    Values computed by a module (``computed_by``) are approved on arrival; people's reports
    wait for the office. A person may only report for indicators and regions in scope.
    """
    if by is not None and not can_report(by, indicator):
        raise PermissionDenied(f"{by} may not report on indicator {indicator.code}")
    _validate_input(indicator, data)
    region = _region_for(by, data.region_code)
    with transaction.atomic():
        obs = Observation.objects.create(
            indicator=indicator,
            region=region,
            department=by.department if by is not None and by.role == Role.DEPARTMENT else None,
            value=data.value,
            period_start=data.period_start,
            period_end=data.period_end,
            as_of=data.as_of or data.period_end,
            source=data.source,
            note=data.note,
            computed_by=computed_by,
            projection=projection,
            illustrative=illustrative,
            reported_by=by,
        )
        if evidence is not None:
            obs.evidence.save(Path(evidence.name).name, evidence, save=True)
        if auto_approve or (computed_by and by is None):
            _approve(obs, reviewer=None, comment="computed by " + (computed_by or "module"))
        bump_data_version(indicator.plan_id)
    return obs


def _region_for(by: User | None, region_code: str | None) -> Region | None:
    if by is not None and by.role == Role.COUNTY:
        if region_code and region_code != by.region.code:
            raise PermissionDenied(f"{by} may only report for {by.region.code}")
        return by.region
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise ValidationError({"region": f"unknown region code {region_code!r}"})
        return region
    return None


def approve_observation(obs: Observation, by: User, comment: str = "") -> Observation:
    if not can_approve(by):
        raise PermissionDenied(f"{by} may not approve observations")
    with transaction.atomic():
        return _approve(obs, reviewer=by, comment=comment)


def reject_observation(obs: Observation, by: User, comment: str) -> Observation:
    if not can_approve(by):
        raise PermissionDenied(f"{by} may not review observations")
    if not comment.strip():
        raise ValidationError({"comment": "say why the value is rejected"})
    with transaction.atomic():
        _claim(obs, ObservationState.REJECTED, by, comment)
    return obs


def _claim(obs: Observation, new_state: str, reviewer: User | None, comment: str) -> None:
    """Move a submitted observation on; a concurrent reviewer who came first wins."""
    changed = Observation.objects.filter(pk=obs.pk, state=ObservationState.SUBMITTED).update(
        state=new_state, reviewed_by=reviewer, reviewed_at=timezone.now(), review_comment=comment
    )
    if not changed:
        obs.refresh_from_db()
        raise Conflict(f"observation {obs.pk} is already {obs.state}; nothing was changed")
    old_state = obs.state
    obs.refresh_from_db()
    _log_state_change(obs, old_state)


def _log_state_change(obs: Observation, old_state: str) -> None:
    log_update(obs, {"state": [old_state, obs.state]})


def _approve(obs: Observation, reviewer: User | None, comment: str) -> Observation:
    _claim(obs, ObservationState.APPROVED, reviewer, comment)
    # An approved value is never overwritten: an earlier approved value for the same
    # indicator, area and period is kept, marked as superseded, and linked.
    earlier = Observation.objects.filter(
        indicator=obs.indicator,
        region=obs.region,
        period_start=obs.period_start,
        period_end=obs.period_end,
        state=ObservationState.APPROVED,
        projection=obs.projection,
    ).exclude(pk=obs.pk)
    for old in earlier:
        old.state = ObservationState.SUPERSEDED
        old.save(update_fields=["state"])
        if obs.supersedes_id is None:
            obs.supersedes = old
            obs.save(update_fields=["supersedes"])
    refresh_status(obs.indicator)
    return obs


# --- status -------------------------------------------------------------------------------------


def bump_data_version(plan_id: int) -> None:
    """Dashboards are cached per data version: any change that shows on them bumps it."""
    Plan.objects.filter(pk=plan_id).update(data_version=F("data_version") + 1)


def indicator_spec(indicator: Indicator) -> progress.IndicatorSpec:
    return progress.IndicatorSpec(
        code=indicator.code,
        comparator=progress.Comparator(indicator.comparator),
        target=indicator.target,
        deadline=indicator.deadline,
        higher_is_better=indicator.higher_is_better,
        tolerance=indicator.tolerance,
        strict=indicator.strict,
        baseline_value=indicator.baseline_value,
        baseline_date=dt.date(indicator.baseline_year, 12, 31) if indicator.baseline_year else None,
        annual=indicator.annual,
    )


def approved_series(
    indicator: Indicator, region: Region | None = None, include_projections: bool = False
) -> list[Observation]:
    qs = Observation.objects.filter(indicator=indicator, state=ObservationState.APPROVED)
    qs = (
        qs.filter(region=region)
        if region
        else qs.filter(Q(region__isnull=True) | Q(region=indicator.plan.region))
    )
    if not include_projections:
        qs = qs.filter(projection=False)
    return list(qs.order_by("period_end", "reported_at"))


def compute_status(
    indicator: Indicator, as_of: dt.date | None = None, region: Region | None = None
) -> progress.StatusResult:
    as_of = as_of or timezone.localdate()
    points = [
        progress.Observation(date=o.period_end, value=o.value)
        for o in approved_series(indicator, region)
    ]
    return progress.indicator_status(indicator_spec(indicator), points, as_of)


def refresh_status(indicator: Indicator, as_of: dt.date | None = None) -> str:
    result = compute_status(indicator, as_of)
    override = indicator.overrides.filter(active=True).order_by("-set_at").first()
    series = approved_series(indicator)
    detail = {
        "computed": result.status,
        "expected": result.expected_value,
        "latest": result.latest_value,
        "gap": result.gap,
        "reason": result.reason,
        "code": result.code,
        "params": result.params,
        # Shown beside the value wherever it appears: invented demo data is always labelled.
        "latest_illustrative": bool(series and series[-1].illustrative),
        "override": {
            "status": override.status,
            "reason": override.reason,
            "by": str(override.set_by),
            "at": override.set_at.isoformat(),
        }
        if override
        else None,
    }
    status = override.status if override else result.status
    Indicator.objects.filter(pk=indicator.pk).update(
        status=status, status_detail=detail, status_updated=timezone.now()
    )
    indicator.status, indicator.status_detail = status, detail
    bump_data_version(indicator.plan_id)
    return status


def set_override(indicator: Indicator, status: str, reason: str, by: User) -> StatusOverride:
    if not can_approve(by):
        raise PermissionDenied(f"{by} may not override statuses")
    if status not in Status.values:
        raise ValidationError({"status": f"unknown status {status!r}; one of {Status.values}"})
    if not reason.strip():
        raise ValidationError({"reason": "an override needs a reason"})
    with transaction.atomic():
        indicator.overrides.filter(active=True).update(active=False)
        override = StatusOverride.objects.create(
            indicator=indicator, status=status, reason=reason, set_by=by
        )
        refresh_status(indicator)
    return override


def clear_override(indicator: Indicator, by: User) -> None:
    if not can_approve(by):
        raise PermissionDenied(f"{by} may not clear overrides")
    with transaction.atomic():
        for override in indicator.overrides.filter(active=True):
            override.active = False
            override.save(update_fields=["active"])
        refresh_status(indicator)


def refresh_all_statuses(as_of: dt.date | None = None) -> int:
    count = 0
    for indicator in Indicator.objects.select_related("plan"):
        refresh_status(indicator, as_of)
        count += 1
    return count


# --- task reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskReportInput:
    year: int
    quarter: int
    narrative: str
    percent_done: int
    problems: str = ""


def submit_task_report(
    task: Task,
    data: TaskReportInput,
    by: User,
    evidence: File | None = None,
    expected_version: int | None = None,
) -> TaskReport:
    """Create or revise the reporting unit's report for a quarter (optimistic locking)."""
    if not Task.objects.visible_to(by).filter(pk=task.pk).exists() or by.role not in (
        Role.DEPARTMENT,
        Role.COUNTY,
    ):
        raise PermissionDenied(f"{by} does not report on task {task.number}")
    errors = {}
    if not 1 <= data.quarter <= 4:
        errors["quarter"] = "quarter must be 1 to 4"
    if not 0 <= data.percent_done <= 100:
        errors["percent_done"] = "percent_done must be 0 to 100"
    if not data.narrative.strip():
        errors["narrative"] = "describe the progress"
    if errors:
        raise ValidationError(errors)
    unit = (
        {"department": by.department, "region": None}
        if by.role == Role.DEPARTMENT
        else {"department": None, "region": by.region}
    )
    with transaction.atomic():
        report = (
            TaskReport.objects.select_for_update()
            .filter(task=task, year=data.year, quarter=data.quarter, **unit)
            .first()
        )
        fields = {
            "narrative": data.narrative,
            "percent_done": data.percent_done,
            "problems": data.problems,
            "state": ReportState.SUBMITTED,
            "submitted_by": by,
        }
        if report is None:
            report = TaskReport.objects.create(
                task=task, year=data.year, quarter=data.quarter, **unit, **fields
            )
        else:
            if report.state == ReportState.APPROVED:
                raise Conflict(
                    "this report is approved; ask the office to return it before revising"
                )
            if expected_version is not None and expected_version != report.version:
                raise Conflict(
                    "someone else revised this report since you opened it; reload and try again"
                )
            for key, value in fields.items():
                setattr(report, key, value)
            report.version += 1
            report.save()
        if evidence is not None:
            report.evidence.save(Path(evidence.name).name, evidence, save=True)
        bump_data_version(task.plan_id)
    return report


def review_task_report(
    report: TaskReport, by: User, approve: bool, comment: str = ""
) -> TaskReport:
    if not can_approve(by):
        raise PermissionDenied(f"{by} may not review reports")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "say what needs revising"})
    with transaction.atomic():
        changed = TaskReport.objects.filter(pk=report.pk, state=ReportState.SUBMITTED).update(
            state=ReportState.APPROVED if approve else ReportState.RETURNED,
            reviewed_by=by,
            review_comment=comment,
        )
        if not changed:
            raise Conflict("this report was already reviewed")
        old = report.state
        report.refresh_from_db()
        log_update(report, {"state": [old, report.state]})
        bump_data_version(report.task.plan_id)
    return report


# --- read helpers for computing modules ----------------------------------------------------------


def indicators_computed_by(name: str) -> list[Indicator]:
    """Every plan's indicators whose values the module ``name`` computes (``computed_by``)."""
    return list(
        Indicator.objects.filter(computed_by=name).select_related("plan").order_by("plan", "code")
    )
