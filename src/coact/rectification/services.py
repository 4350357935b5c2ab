"""Every write and rule of rectification: registering a problem (with the recurrence
warning), plans with milestones created by the ``submit_plan`` step and approved by someone
else, and the exports (problem list, rectification ledger).

The steps themselves (assign, plan, progress, verification pass/fail, 销号 sign-off) are
transitions of the ``rectification`` case type in the case engine.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coact.cases import services as cases
from coact.core.models import Department, Enterprise, Notification, Region, Role, User
from coact.engines import sla as sla_engine
from coact.engines import workdays

from .models import (
    CASE_SOURCE,
    Milestone,
    PlanState,
    Problem,
    ProblemSource,
    RectificationPlan,
    Severity,
)

EXTRA_FIELDS = {
    "submit_plan": [
        cases.ExtraField("responsible_person", "text", "responsible person", True),
        cases.ExtraField("plan_deadline", "date", "plan deadline", True),
        cases.ExtraField("milestones", "textarea", "milestones"),
    ],
}


def recurrence_months() -> int:
    """N of "the same enterprise has the same problem again within N months" (setting
    COACT_RECTIFICATION_RECURRENCE_MONTHS, default 12)."""
    return int(getattr(settings, "COACT_RECTIFICATION_RECURRENCE_MONTHS", 12))


def can_register(user: Any) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and (user.is_office or user.role in (Role.COUNTY, Role.DEPARTMENT))
    )


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return dt.date(year, month + 1, min(day.day, 28))


def register_problem(
    *,
    title: str,
    description: str,
    enterprise: Enterprise | None,
    source: str,
    severity: str,
    category: str,
    found_on: dt.date,
    by: User | None,
    legal_basis: str = "",
    found_by: str = "",
    region: Region | None = None,
    responsible_department: Department | None = None,
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    links: tuple[Any, ...] = (),
    illustrative: bool = False,
) -> Problem:
    """Register a problem; warns when the same enterprise had a problem of the same
    category found within the last N months (recurrence)."""
    if by is not None and not can_register(by):
        raise PermissionDenied(f"{by} may not register problems")
    errors = {}
    if source not in ProblemSource.values:
        errors["source"] = f"one of {', '.join(ProblemSource.values)}"
    if severity not in Severity.values:
        errors["severity"] = f"one of {', '.join(Severity.values)}"
    if category.split(".")[0] not in sla_engine.complaint_categories() or (
        "." in category and category not in sla_engine.complaint_categories()
    ):
        errors["category"] = f"unknown category {category!r}"
    if found_on > timezone.localdate():
        errors["found_on"] = "the date found is in the future"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = cases.open_case(
            "rectification",
            title=title,
            description=description,
            subject_enterprise=enterprise,
            source=CASE_SOURCE[source],
            category=category,
            region=region,
            responsible_department=responsible_department,
            address=address or (enterprise.address if enterprise else ""),
            lon=lon if lon is not None else (enterprise.lon if enterprise else None),
            lat=lat if lat is not None else (enterprise.lat if enterprise else None),
            opened_by=by,
            links=links,
            illustrative=illustrative,
        )
        problem = Problem.objects.create(
            case=case,
            source=source,
            severity=severity,
            category=category,
            legal_basis=legal_basis,
            found_by=found_by,
            found_on=found_on,
            illustrative=illustrative,
        )
        _check_recurrence(problem, by)
    return problem


def earlier_same_problems(problem: Problem, months: int | None = None) -> Any:
    """Problems of the same enterprise and category found within ``months`` before this one."""
    enterprise_id = problem.case.subject_enterprise_id
    if enterprise_id is None:
        return Problem.objects.none()
    since = _months_before(problem.found_on, months or recurrence_months())
    group = problem.category.split(".")[0]
    same_category = (
        Q(category=problem.category) | Q(category=group)
        if "." in problem.category
        else Q(category__startswith=f"{group}.") | Q(category=group)
    )
    return (
        Problem.objects.filter(
            same_category,
            case__subject_enterprise_id=enterprise_id,
            found_on__gte=since,
            found_on__lte=problem.found_on,
        )
        .exclude(pk=problem.pk)
        .exclude(case__state__in=["cancelled", "duplicate"])
        .select_related("case")
        .order_by("-found_on")
    )


def _check_recurrence(problem: Problem, by: User | None) -> None:
    earlier = earlier_same_problems(problem).first()
    if earlier is None:
        return
    months = recurrence_months()
    warning = _(
        "Recurrence: %(enterprise)s had the same problem (%(category)s) within %(months)s months: "
        "%(number)s found %(found)s."
    ) % {
        "enterprise": problem.case.subject_enterprise,
        "category": problem.category,
        "months": months,
        "number": earlier.case.number,
        "found": earlier.found_on,
    }
    problem.recurrence_of = earlier.case
    problem.recurrence_warning = warning[:500]
    problem.save(update_fields=["recurrence_of", "recurrence_warning"])
    cases.link(problem.case, earlier.case, kind="recurrence_of")
    cases.add_comment(problem.case, None, warning)
    office = User.objects.filter(
        Q(role__in=[Role.ADMIN, Role.SUPERVISOR]) | Q(is_superuser=True), is_active=True
    )
    Notification.objects.bulk_create(
        [
            Notification(
                user=u,
                text=warning[:500],
                link=f"/cases/{problem.case_id}/",
                key=f"rectification:{problem.pk}:recurrence",
            )
            for u in office
        ],
        ignore_conflicts=True,
    )


# --- plans (hooks of the case engine) ------------------------------------------------------------


def parse_milestones(text: str) -> list[tuple[dt.date, str]]:
    """Lines "YYYY-MM-DD what"; raises ValidationError naming the line."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day, _sep, title = line.partition(" ")
        try:
            due = dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ValidationError(
                {"milestones": f"line {number}: {day!r} is not a date (YYYY-MM-DD)"}
            ) from exc
        if not title.strip():
            raise ValidationError({"milestones": f"line {number}: say what is due on {day}"})
        out.append((due, title.strip()))
    return out


def validate_transition(case: Any, name: str, actor: Any, payload: Mapping[str, Any]) -> None:
    if name != "submit_plan":
        return
    parse_milestones(str(payload.get("milestones", "")))
    deadline = payload.get("plan_deadline")
    if deadline:
        try:
            dt.date.fromisoformat(str(deadline)[:10])
        except ValueError as exc:
            raise ValidationError({"plan_deadline": f"{deadline!r} is not a date"}) from exc


def on_case_transition(
    case: Any, name: str, actor: Any, payload: Mapping[str, Any], old_state: str, update: Any
) -> None:
    problem = Problem.objects.filter(case=case).first()
    if problem is None:
        return
    if name == "submit_plan":
        _create_plan(problem, actor, payload)
    elif name in ("approve_plan", "reject_plan"):
        plan = problem.plans.filter(state=PlanState.SUBMITTED).order_by("-version").first()
        if plan is not None:
            plan.state = PlanState.APPROVED if name == "approve_plan" else PlanState.REJECTED
            plan.reviewed_by = actor
            plan.reviewed_at = timezone.now()
            plan.review_comment = str(payload.get("reason", ""))
            plan.save()


def _create_plan(problem: Problem, actor: Any, payload: Mapping[str, Any]) -> RectificationPlan:
    version = (
        problem.plans.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    deadline = payload.get("plan_deadline")
    plan = RectificationPlan.objects.create(
        problem=problem,
        version=version,
        measures=str(payload.get("plan", "")),
        responsible_person=str(payload.get("responsible_person", "")),
        deadline=dt.date.fromisoformat(str(deadline)[:10]) if deadline else None,
        submitted_by=actor,
    )
    for seq, (due, title) in enumerate(
        parse_milestones(str(payload.get("milestones", ""))), start=1
    ):
        Milestone.objects.create(plan=plan, seq=seq, due=due, title=title)
    return plan


# --- exports ---------------------------------------------------------------------------------


def _local(moment: dt.datetime | None) -> str:
    return workdays.to_local(moment).strftime("%Y-%m-%d") if moment else ""


def _book(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _problems(user: Any) -> Any:
    return (
        Problem.objects.visible_to(user)
        .select_related(
            "case", "case__subject_enterprise", "case__region", "case__responsible_department"
        )
        .prefetch_related("plans", "case__updates")
        .order_by("found_on", "pk")
    )


def problem_list_xlsx(user: Any) -> bytes:
    """问题清单: one row per problem."""
    rows = []
    for p in _problems(user):
        c = p.case
        rows.append(
            [
                c.number,
                c.title,
                str(c.subject_enterprise or ""),
                str(c.region or ""),
                p.get_source_display(),
                p.get_severity_display(),
                p.category,
                p.legal_basis,
                p.found_by,
                p.found_on.isoformat(),
                cases.state_label("rectification", c.state, "zh"),
                _local(c.due_at),
                "是" if c.overdue and c.is_open else "否",
                p.recurrence_warning,
                "示例" if p.illustrative else "",
            ]
        )
    return _book(
        "问题清单",
        [
            "编号",
            "问题",
            "企业",
            "县(市、区)",
            "来源",
            "严重程度",
            "类别",
            "法律依据",
            "发现人",
            "发现日期",
            "状态",
            "整改期限",
            "是否超期",
            "复发预警",
            "示例数据",
        ],
        rows,
    )


def ledger_xlsx(user: Any) -> bytes:
    """整改台账: the plan, its approval, the latest progress, verification and sign-off."""
    rows = []
    for p in _problems(user):
        c = p.case
        plan = next((pl for pl in sorted(p.plans.all(), key=lambda x: -x.version)), None)
        updates = list(c.updates.all())

        def last(name: str, key: str, updates: list[Any] = updates) -> str:
            found = [u for u in updates if u.transition == name]
            return (
                f"{_local(found[-1].created)} {found[-1].payload.get(key, '')}".strip()
                if found
                else ""
            )

        rows.append(
            [
                c.number,
                c.title,
                str(c.subject_enterprise or ""),
                plan.measures if plan else "",
                plan.responsible_person if plan else "",
                plan.deadline.isoformat() if plan and plan.deadline else "",
                plan.get_state_display() if plan else "",
                str(plan.reviewed_by or "") if plan else "",
                last("report_progress", "progress"),
                last("fail_verification", "reason"),
                last("pass_verification", "verification_report"),
                last("sign_off", "document"),
                cases.state_label("rectification", c.state, "zh"),
                _local(c.closed_at),
                "示例" if p.illustrative else "",
            ]
        )
    return _book(
        "整改台账",
        [
            "编号",
            "问题",
            "企业",
            "整改措施",
            "责任人",
            "计划完成",
            "方案状态",
            "方案审批人",
            "最新进展",
            "核查不通过",
            "核查通过",
            "销号文件",
            "状态",
            "销号日期",
            "示例数据",
        ],
        rows,
    )
