"""JSON API of the plan app: every capability of its pages, with the same scope rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from coact.core.api import READ_AUTH, WRITE_AUTH
from coact.core.scope import scope_key

from . import assessment, queries, services, workbooks
from .models import Indicator, Observation, Plan, Task, TaskReport

router = Router(tags=["plan"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plan(request: HttpRequest, code: str) -> Plan:
    return get_object_or_404(Plan.objects.visible_to(request.user), code=code)


class PlanOut(Schema):
    code: str
    version: int
    title: str
    title_en: str
    issuer: str
    issued: dt.date | None
    period_start: dt.date
    period_end: dt.date


class GoalOut(Schema):
    code: str
    number: int
    title: str
    title_en: str
    counts: dict[str, int]
    indicators: list[str]


class DashboardOut(Schema):
    plan: PlanOut
    counts: dict[str, int]
    goals: list[GoalOut]
    off_track: list[str]
    counties: list[dict[str, Any]]


class TaskOut(Schema):
    id: int
    number: int
    chapter: str
    title: str
    title_en: str
    text: str
    lead: list[str]
    co: list[str]
    local_implementation: bool
    indicators: list[str]
    status: str | None = None


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    unit: str
    comparator: str
    target: float | None
    tolerance: float | None
    baseline_value: float | None
    baseline_year: int | None
    deadline: dt.date
    reporting: str
    computed_by: str
    status: str
    status_detail: dict[str, Any]
    responsible: list[str]
    tasks: list[int]


class ObservationIn(Schema):
    value: float = Field(description="the indicator's value in its unit")
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date | None = None
    source: str = Field(min_length=1, description="where the value comes from")
    note: str = ""
    region: str | None = Field(None, description="region code; empty for the whole plan area")

    @field_validator("period_end")
    @classmethod
    def end_after_start(cls, value: dt.date, info: Any) -> dt.date:
        start = info.data.get("period_start")
        if start and value < start:
            raise ValueError("period_end is before period_start")
        return value


class ObservationOut(Schema):
    id: int
    indicator: str
    value: float
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    source: str
    state: str
    region: str | None
    computed_by: str
    projection: bool
    illustrative: bool


class ReviewIn(Schema):
    comment: str = ""


class OverrideIn(Schema):
    status: str
    reason: str = Field(min_length=1)


class TaskReportIn(Schema):
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    narrative: str = Field(min_length=1)
    percent_done: int = Field(ge=0, le=100)
    problems: str = ""
    expected_version: int | None = None


class TaskReportOut(Schema):
    id: int
    task: int
    unit: str
    year: int
    quarter: int
    narrative: str
    percent_done: int
    problems: str
    state: str
    version: int


def _task_out(task: Task, status: str | None = None) -> dict[str, Any]:
    return {
        "id": task.pk,
        "number": task.number,
        "chapter": task.chapter,
        "title": task.title,
        "title_en": task.title_en,
        "text": task.text,
        "local_implementation": task.local_implementation,
        "lead": [d.code for d in task.lead.all()],
        "co": [d.code for d in task.co.all()],
        "indicators": [i.code for i in task.indicators.all()],
        "status": status,
    }


def _indicator_out(i: Indicator) -> dict[str, Any]:
    return {
        **{
            f: getattr(i, f)
            for f in (
                "id",
                "code",
                "name",
                "name_en",
                "unit",
                "comparator",
                "target",
                "tolerance",
                "baseline_value",
                "baseline_year",
                "deadline",
                "reporting",
                "computed_by",
                "status",
                "status_detail",
            )
        },
        "responsible": [d.code for d in i.responsible.all()],
        "tasks": [t.number for t in i.tasks.all()],
    }


def _observation_out(o: Observation) -> dict[str, Any]:
    return {
        **{
            f: getattr(o, f)
            for f in (
                "id",
                "value",
                "period_start",
                "period_end",
                "as_of",
                "source",
                "state",
                "computed_by",
                "projection",
                "illustrative",
            )
        },
        "indicator": o.indicator.code,
        "region": o.region.code if o.region else None,
    }


def _report_out(r: TaskReport) -> dict[str, Any]:
    unit = r.department.code if r.department else (r.region.code if r.region else "")
    return {
        **{
            f: getattr(r, f)
            for f in (
                "id",
                "year",
                "quarter",
                "narrative",
                "percent_done",
                "problems",
                "state",
                "version",
            )
        },
        "task": r.task.number,
        "unit": unit,
    }


@router.get("/plans", response=list[PlanOut], auth=READ_AUTH)
def list_plans(request: HttpRequest) -> Any:
    return Plan.objects.visible_to(request.user)


@router.get("/plans/{code}/dashboard", response=DashboardOut, auth=READ_AUTH)
def dashboard(request: HttpRequest, code: str) -> dict[str, Any]:
    plan = _plan(request, code)
    key = f"api-dashboard:{plan.pk}:{plan.data_version}:{scope_key(request.user)}"
    cached = cache.get(key)
    if cached is None:
        cached = _dashboard_payload(plan, request.user)
        cache.set(key, cached, 600)
    return cached


def _dashboard_payload(plan: Plan, user: Any) -> dict[str, Any]:
    data = queries.dashboard_data(plan, user)
    return {
        "plan": PlanOut.from_orm(data["plan"]).model_dump(),
        "counts": data["counts"],
        "goals": [
            {
                "code": g["goal"].code,
                "number": g["goal"].number,
                "title": g["goal"].title,
                "title_en": g["goal"].title_en,
                "counts": g["counts"],
                "indicators": [i.code for i in g["indicators"]],
            }
            for g in data["goals"]
        ],
        "off_track": [i.code for i in data["off_track"]],
        "counties": [
            {
                "region": c["region"].code,
                "reports": c["reports"],
                "expected": c["expected"],
                "values": c["values"],
            }
            for c in data["counties"]
        ],
    }


@router.get("/plans/{code}/tasks", response=list[TaskOut], auth=READ_AUTH)
def list_tasks(
    request: HttpRequest, code: str, department: str = "", county: str = "", status: str = ""
) -> list[dict[str, Any]]:
    rows = queries.task_board(_plan(request, code), request.user, department, county, status)
    return [_task_out(r["task"], r["status"]) for r in rows]


@router.get("/tasks/{task_id}", response=TaskOut, auth=READ_AUTH)
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    return _task_out(get_object_or_404(Task.objects.visible_to(request.user), pk=task_id))


@router.get("/plans/{code}/indicators", response=list[IndicatorOut], auth=READ_AUTH)
def list_indicators(request: HttpRequest, code: str, status: str = "", department: str = "") -> Any:
    qs = Indicator.objects.visible_to(request.user).filter(plan=_plan(request, code))
    if status:
        qs = qs.filter(status=status)
    if department:
        qs = qs.filter(responsible__code=department)
    return [_indicator_out(i) for i in qs.prefetch_related("responsible", "tasks")]


@router.get("/indicators/{indicator_id}", response=IndicatorOut, auth=READ_AUTH)
def get_indicator(request: HttpRequest, indicator_id: int) -> dict[str, Any]:
    return _indicator_out(
        get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    )


@router.get("/indicators/{indicator_id}/chart", auth=READ_AUTH)
def indicator_chart(request: HttpRequest, indicator_id: int) -> dict[str, Any]:
    return queries.indicator_chart_data(
        get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    )


@router.get(
    "/indicators/{indicator_id}/observations", response=list[ObservationOut], auth=READ_AUTH
)
def list_observations(request: HttpRequest, indicator_id: int) -> list[dict[str, Any]]:
    indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    qs = (
        Observation.objects.visible_to(request.user)
        .filter(indicator=indicator)
        .select_related("indicator", "region")
    )
    return [_observation_out(o) for o in qs]


@router.post(
    "/indicators/{indicator_id}/observations", response={201: ObservationOut}, auth=WRITE_AUTH
)
def submit_observation(request: HttpRequest, indicator_id: int, payload: ObservationIn) -> Any:
    indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    obs = services.record_observation(
        indicator,
        services.ObservationInput(
            value=payload.value,
            period_start=payload.period_start,
            period_end=payload.period_end,
            as_of=payload.as_of,
            source=payload.source,
            note=payload.note,
            region_code=payload.region,
        ),
        by=request.user,
    )
    return Status(201, _observation_out(obs))


@router.get("/observations/pending", response=list[ObservationOut], auth=WRITE_AUTH)
def pending_observations(request: HttpRequest) -> list[dict[str, Any]]:
    qs = (
        Observation.objects.visible_to(request.user)
        .filter(state="submitted")
        .select_related("indicator", "region")
    )
    return [_observation_out(o) for o in qs]


def _review(request: HttpRequest, observation_id: int) -> Observation:
    return get_object_or_404(Observation.objects.visible_to(request.user), pk=observation_id)


@router.post(
    "/observations/{observation_id}/approve",
    response={200: ObservationOut, 409: dict},
    auth=WRITE_AUTH,
)
def approve(request: HttpRequest, observation_id: int, payload: ReviewIn) -> Any:
    try:
        obs = services.approve_observation(
            _review(request, observation_id), request.user, payload.comment
        )
    except services.Conflict as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, _observation_out(obs))


@router.post(
    "/observations/{observation_id}/reject",
    response={200: ObservationOut, 409: dict},
    auth=WRITE_AUTH,
)
def reject(request: HttpRequest, observation_id: int, payload: ReviewIn) -> Any:
    try:
        obs = services.reject_observation(
            _review(request, observation_id), request.user, payload.comment
        )
    except services.Conflict as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, _observation_out(obs))


@router.post("/indicators/{indicator_id}/override", response=IndicatorOut, auth=WRITE_AUTH)
def override(request: HttpRequest, indicator_id: int, payload: OverrideIn) -> dict[str, Any]:
    indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    services.set_override(indicator, payload.status, payload.reason, request.user)
    indicator.refresh_from_db()
    return _indicator_out(indicator)


@router.delete("/indicators/{indicator_id}/override", response=IndicatorOut, auth=WRITE_AUTH)
def clear_override(request: HttpRequest, indicator_id: int) -> dict[str, Any]:
    indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=indicator_id)
    services.clear_override(indicator, request.user)
    indicator.refresh_from_db()
    return _indicator_out(indicator)


@router.get("/tasks/{task_id}/reports", response=list[TaskReportOut], auth=WRITE_AUTH)
def list_reports(request: HttpRequest, task_id: int) -> list[dict[str, Any]]:
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=task_id)
    qs = (
        TaskReport.objects.visible_to(request.user)
        .filter(task=task)
        .select_related("task", "department", "region")
    )
    return [_report_out(r) for r in qs]


@router.post("/tasks/{task_id}/reports", response={201: TaskReportOut, 409: dict}, auth=WRITE_AUTH)
def submit_report(request: HttpRequest, task_id: int, payload: TaskReportIn) -> Any:
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=task_id)
    try:
        report = services.submit_task_report(
            task,
            services.TaskReportInput(
                year=payload.year,
                quarter=payload.quarter,
                narrative=payload.narrative,
                percent_done=payload.percent_done,
                problems=payload.problems,
            ),
            by=request.user,
            expected_version=payload.expected_version,
        )
    except services.Conflict as exc:
        return Status(409, {"detail": str(exc)})
    return Status(201, _report_out(report))


class ReportReviewIn(Schema):
    approve: bool
    comment: str = ""


@router.post(
    "/reports/{report_id}/review", response={200: TaskReportOut, 409: dict}, auth=WRITE_AUTH
)
def review_report(request: HttpRequest, report_id: int, payload: ReportReviewIn) -> Any:
    report = get_object_or_404(TaskReport.objects.visible_to(request.user), pk=report_id)
    try:
        report = services.review_task_report(report, request.user, payload.approve, payload.comment)
    except services.Conflict as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, _report_out(report))


@router.get("/plans/{code}/assessment", auth=WRITE_AUTH)
def get_assessment(
    request: HttpRequest, code: str, year: int, quarter: int
) -> list[dict[str, Any]]:
    if not services.can_approve(request.user):
        raise services.PermissionDenied("the assessment is for the supervising office")
    return assessment.assessment(_plan(request, code), year, quarter)


@router.get("/plans/{code}/workbook", auth=WRITE_AUTH, response={200: None})
def download_workbook(request: HttpRequest, code: str, year: int, quarter: int) -> HttpResponse:
    content = workbooks.unit_workbook(request.user, _plan(request, code), year, quarter)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="coact-{code}-{year}Q{quarter}.xlsx"'
    return response


@router.post("/plans/{code}/workbook", auth=WRITE_AUTH)
def upload_workbook(request: HttpRequest, code: str, file: File[UploadedFile]) -> dict[str, Any]:
    result = workbooks.import_unit_workbook(
        file.read(), file.name or "upload.xlsx", request.user, _plan(request, code)
    )
    return {"imported": result.created}


@router.get("/plans/{code}/export", auth=READ_AUTH, response={200: None})
def export_board(request: HttpRequest, code: str) -> HttpResponse:
    content = workbooks.board_workbook(_plan(request, code), request.user)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="coact-{code}-board.xlsx"'
    return response
