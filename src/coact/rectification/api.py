"""JSON API of rectification: register and read problems, plans, exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from pydantic import Field

from coact.core.api import READ_AUTH, WRITE_AUTH
from coact.core.models import Department, Enterprise, Region

from . import services
from .models import Problem

router = Router(tags=["rectification"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MilestoneOut(Schema):
    seq: int
    due: dt.date
    title: str


class PlanOut(Schema):
    version: int
    measures: str
    responsible_person: str
    deadline: dt.date | None
    state: str
    milestones: list[MilestoneOut]


class ProblemOut(Schema):
    case_id: int
    number: str
    title: str
    state: str
    enterprise: str | None
    source: str
    severity: str
    category: str
    legal_basis: str
    found_by: str
    found_on: dt.date
    recurrence_warning: str
    illustrative: bool
    plans: list[PlanOut]


class ProblemIn(Schema):
    title: str = Field(min_length=1)
    description: str = ""
    enterprise: str | None = Field(None, description="unified social credit code")
    region: str | None = Field(None, description="region code")
    department: str | None = Field(None, description="department code")
    source: str
    severity: str = "general"
    category: str
    legal_basis: str = ""
    found_by: str = ""
    found_on: dt.date


def _out(p: Problem) -> dict[str, Any]:
    c = p.case
    return {
        "case_id": c.pk,
        "number": c.number,
        "title": c.title,
        "state": c.state,
        "enterprise": c.subject_enterprise.uscc if c.subject_enterprise_id else None,
        "source": p.source,
        "severity": p.severity,
        "category": p.category,
        "legal_basis": p.legal_basis,
        "found_by": p.found_by,
        "found_on": p.found_on,
        "recurrence_warning": p.recurrence_warning,
        "illustrative": p.illustrative,
        "plans": [
            {
                "version": pl.version,
                "measures": pl.measures,
                "responsible_person": pl.responsible_person,
                "deadline": pl.deadline,
                "state": pl.state,
                "milestones": list(pl.milestones.all()),
            }
            for pl in p.plans.all()
        ],
    }


@router.get("/problems", response=list[ProblemOut], auth=READ_AUTH)
def list_problems(request: HttpRequest, group: str = "") -> list[dict[str, Any]]:
    problems = Problem.objects.visible_to(request.user).select_related(
        "case", "case__subject_enterprise"
    )
    if group:
        problems = problems.filter(case__state_group=group)
    return [_out(p) for p in problems.prefetch_related("plans__milestones")[:1000]]


@router.get("/problems/{case_id}", response=ProblemOut, auth=READ_AUTH)
def get_problem(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _out(
        get_object_or_404(
            Problem.objects.visible_to(request.user).select_related("case"), case_id=case_id
        )
    )


@router.post("/problems", response=ProblemOut, auth=WRITE_AUTH)
def register(request: HttpRequest, data: ProblemIn) -> dict[str, Any]:
    enterprise = (
        get_object_or_404(Enterprise.objects.visible_to(request.user), uscc=data.enterprise)
        if data.enterprise
        else None
    )
    problem = services.register_problem(
        title=data.title,
        description=data.description,
        enterprise=enterprise,
        source=data.source,
        severity=data.severity,
        category=data.category,
        legal_basis=data.legal_basis,
        found_by=data.found_by,
        found_on=data.found_on,
        by=request.user,
        region=get_object_or_404(Region, code=data.region) if data.region else None,
        responsible_department=get_object_or_404(Department, code=data.department)
        if data.department
        else None,
    )
    return _out(problem)


@router.get("/problems-export/{kind}", auth=WRITE_AUTH)
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """``list`` (问题清单) or ``ledger`` (整改台账), xlsx."""
    content = (
        services.ledger_xlsx(request.user)
        if kind == "ledger"
        else services.problem_list_xlsx(request.user)
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rectification-{kind}.xlsx"'
    return response
