"""JSON API of complaints: read (contact only with the permission), duplicates and merge,
follow-ups, the 12345 import, statistics, hotspots and the reply sheet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from coact.cases import services as cases
from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services
from .models import Complaint, FollowUp

router = Router(tags=["complaints"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FollowUpOut(Schema):
    id: int
    seq: int
    anchor: str
    planned_method: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    method: str
    result: str
    satisfaction: str


class ComplaintOut(Schema):
    case_id: int
    number: str
    state: str
    channel: str
    hotline_order_no: str | None
    anonymous: bool
    is_repeat: bool
    illustrative: bool
    reporter: dict[str, str] | None = Field(
        None, description="only with complaints.view_reporter_contact"
    )
    follow_ups: list[FollowUpOut]


class DuplicateOut(Schema):
    case_id: int
    number: str
    title: str
    score: float
    reasons: list[str]


class MergeIn(Schema):
    into: str = Field(description="number of the master complaint")
    expected_version: int | None = None


class FollowUpIn(Schema):
    method: str
    result: str = Field(min_length=1)
    satisfaction: str
    notes: str = ""


class ImportOut(Schema):
    created: int
    unchanged: int
    numbers: list[str]


def _complaint(request: HttpRequest, case_id: int) -> Complaint:
    return get_object_or_404(
        Complaint.objects.visible_to(request.user).select_related("case"), case_id=case_id
    )


def _out(complaint: Complaint, user: Any) -> dict[str, Any]:
    case = complaint.case
    reporter = None
    if services.can_view_contact(user) and not complaint.anonymous:
        reporter = {
            "name": complaint.reporter_name,
            "phone": complaint.reporter_phone,
            "email": complaint.reporter_email,
        }
    return {
        "case_id": case.pk,
        "number": case.number,
        "state": case.state,
        "channel": complaint.channel,
        "hotline_order_no": complaint.hotline_order_no,
        "anonymous": complaint.anonymous,
        "is_repeat": complaint.is_repeat,
        "illustrative": complaint.illustrative,
        "reporter": reporter,
        "follow_ups": list(complaint.follow_ups.all()),
    }


@router.get("/complaints/{case_id}", response=ComplaintOut, auth=READ_AUTH)
def get_complaint(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _out(_complaint(request, case_id), request.user)


@router.get("/complaints/{case_id}/duplicates", response=list[DuplicateOut], auth=WRITE_AUTH)
def duplicates(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    complaint = _complaint(request, case_id)
    visible = set(Complaint.objects.visible_to(request.user).values_list("pk", flat=True))
    return [
        {
            "case_id": other.case_id,
            "number": other.case.number,
            "title": other.case.title,
            "score": m.score,
            "reasons": list(m.reasons),
        }
        for other, m in services.duplicates_for(complaint)
        if other.pk in visible
    ]


@router.post("/complaints/{case_id}/merge", response=ComplaintOut, auth=WRITE_AUTH)
def merge(request: HttpRequest, case_id: int, data: MergeIn) -> dict[str, Any]:
    complaint = _complaint(request, case_id)
    master = get_object_or_404(Complaint.objects.visible_to(request.user), case__number=data.into)
    try:
        return _out(
            services.merge(complaint, master, request.user, data.expected_version), request.user
        )
    except cases.Conflict as exc:
        raise HttpError(409, str(exc)) from exc


@router.post("/follow-ups/{follow_up_id}", response=FollowUpOut, auth=WRITE_AUTH)
def record_follow_up(request: HttpRequest, follow_up_id: int, data: FollowUpIn) -> FollowUp:
    visit = get_object_or_404(FollowUp.objects.visible_to(request.user), pk=follow_up_id)
    try:
        return services.record_follow_up(
            visit,
            request.user,
            method=data.method,
            result=data.result,
            satisfaction=data.satisfaction,
            notes=data.notes,
        )
    except cases.Conflict as exc:
        raise HttpError(409, str(exc)) from exc


@router.post("/complaint-imports", response=ImportOut, auth=WRITE_AUTH)
def import_hotline(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """A 12345 work-order file (xlsx/csv): all or nothing; already imported orders are skipped."""
    if not request.user.is_office:
        raise PermissionDenied("only the office imports 12345 work orders")
    result = services.import_hotline_file(file.read(), file.name or "upload.csv", request.user)
    return {
        "created": result.created,
        "unchanged": result.unchanged,
        "numbers": [c.case.number for c in result.items or []],
    }


@router.get("/complaint-statistics", auth=WRITE_AUTH)
def statistics(request: HttpRequest, year: int, month: int) -> dict[str, Any]:
    return queries.monthly_statistics(request.user, year, month)


@router.get("/complaint-hotspots", auth=WRITE_AUTH)
def hotspots(
    request: HttpRequest,
    days: int = 90,
    radius_m: float = 500,
    min_samples: int = 3,
    site_radius_m: float = 1000,
) -> dict[str, Any]:
    return queries.hotspots(request.user, days, radius_m, min_samples, site_radius_m)


@router.get("/complaint-reply-sheet", auth=WRITE_AUTH)
def reply_sheet(request: HttpRequest, start: dt.date, end: dt.date) -> HttpResponse:
    response = HttpResponse(queries.reply_sheet(request.user, start, end), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="12345-reply-{start}-{end}.xlsx"'
    return response
