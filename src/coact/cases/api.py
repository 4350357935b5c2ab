"""JSON API of the case engine: list, read, act (with optimistic versions), comment, attach."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import Field

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services
from .models import Case

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: int
    number: str
    case_type: str
    state: str
    state_group: str
    title: str
    category: str
    urgency: str
    source: str
    region: str | None
    responsible_department: str | None
    subject_enterprise: str | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    escalation_level: int
    version: int
    illustrative: bool

    @staticmethod
    def resolve_region(obj: Case) -> str | None:
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_responsible_department(obj: Case) -> str | None:
        return obj.responsible_department.code if obj.responsible_department_id else None

    @staticmethod
    def resolve_subject_enterprise(obj: Case) -> str | None:
        return obj.subject_enterprise.uscc if obj.subject_enterprise_id else None


class CaseDetailOut(CaseOut):
    description: str
    address: str
    lon: float | None
    lat: float | None
    assigned_unit: str
    closed_at: dt.datetime | None
    extensions_granted: int
    pending_extension: dict[str, Any] | None
    master: str | None
    sla_rule: str

    @staticmethod
    def resolve_master(obj: Case) -> str | None:
        return obj.master.number if obj.master_id else None


class CaseListOut(Schema):
    count_on_page: int
    has_next: bool
    items: list[CaseOut]


class ActionOut(Schema):
    name: str
    zh: str
    en: str
    to_state: str | None
    requires: list[str]
    sign_off: bool
    disabled_reason: str


class UpdateOut(Schema):
    id: int
    kind: str
    transition: str
    from_state: str
    to_state: str
    text: str
    payload: dict[str, Any]
    actor: str | None
    actor_role: str
    created: dt.datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class TransitionIn(Schema):
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="the fields the transition requires; evidence = ids of attached files",
    )
    expected_version: int | None = Field(
        None, description="the version you read; 409 if it changed"
    )


class CommentIn(Schema):
    text: str = Field(min_length=1)


class EvidenceOut(Schema):
    id: int
    name: str
    sha256: str


@router.get("/cases", response=CaseListOut, auth=READ_AUTH)
def list_cases(
    request: HttpRequest,
    case_type: str = "",
    group: str = "",
    county: str = "",
    overdue: str = "",
    q: str = "",
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    """Cases in the caller's scope, newest first, 50 a page; filters as on the list page."""
    filters = queries.CaseFilters(
        case_type=case_type, group=group, county=county, overdue=overdue, q=q
    )
    result = queries.page_of(queries.filtered_cases(request.user, filters), page)
    return {
        "count_on_page": len(result["rows"]),
        "has_next": result["has_next"],
        "items": result["rows"],
    }


def _case(request: HttpRequest, case_id: int) -> Case:
    return get_object_or_404(
        Case.objects.visible_to(request.user).select_related(
            "region", "responsible_department", "subject_enterprise", "master"
        ),
        pk=case_id,
    )


@router.get("/cases/{case_id}", response=CaseDetailOut, auth=READ_AUTH)
def get_case(request: HttpRequest, case_id: int) -> Case:
    return _case(request, case_id)


@router.get("/cases/{case_id}/actions", response=list[ActionOut], auth=WRITE_AUTH)
def case_actions(request: HttpRequest, case_id: int) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    return [
        {
            "name": a.transition.name,
            "zh": a.transition.zh,
            "en": a.transition.en,
            "to_state": a.transition.to_state,
            "requires": list(a.transition.requires),
            "sign_off": a.transition.sign_off,
            "disabled_reason": a.disabled_reason,
        }
        for a in services.available_actions(case, request.user)
    ]


@router.get("/cases/{case_id}/updates", response=list[UpdateOut], auth=READ_AUTH)
def case_updates(request: HttpRequest, case_id: int) -> Any:
    return _case(request, case_id).updates.select_related("actor").order_by("created", "pk")


@router.post("/cases/{case_id}/transitions/{name}", response=CaseDetailOut, auth=WRITE_AUTH)
def take_transition(request: HttpRequest, case_id: int, name: str, data: TransitionIn) -> Case:
    """Take a step. 409 when the case changed since ``expected_version``; 403 for role or scope;
    400 naming the missing or wrong fields."""
    case = _case(request, case_id)
    try:
        return services.transition(case, name, request.user, data.payload, data.expected_version)
    except services.Conflict as exc:
        raise HttpError(409, str(exc)) from exc


@router.post("/cases/{case_id}/comments", response=UpdateOut, auth=WRITE_AUTH)
def comment(request: HttpRequest, case_id: int, data: CommentIn) -> Any:
    return services.add_comment(_case(request, case_id), request.user, data.text)


@router.post("/cases/{case_id}/evidence", response=EvidenceOut, auth=WRITE_AUTH)
def upload_evidence(
    request: HttpRequest, case_id: int, file: File[UploadedFile], note: Form[str] = ""
) -> Any:
    return services.attach_evidence(_case(request, case_id), request.user, file, note)


@router.get("/case-types", auth=READ_AUTH)
def case_types(request: HttpRequest) -> dict[str, Any]:
    """States (with group and FixMyStreet status) and transitions of every case type."""
    return {
        name: {
            "zh": ct.zh,
            "en": ct.en,
            "initial_state": ct.initial_state,
            "states": {
                s.name: {"group": s.group, "fms_status": s.fms_status, "zh": s.zh, "en": s.en}
                for s in ct.states.values()
            },
            "transitions": {
                t.name: {
                    "from": sorted(t.from_states),
                    "to": t.to_state,
                    "roles": sorted(t.roles),
                    "requires": list(t.requires),
                    "sign_off": t.sign_off,
                }
                for t in ct.transitions.values()
            },
        }
        for name, ct in services.case_types().items()
    }


@router.get("/case-stats", auth=WRITE_AUTH)
def case_stats(request: HttpRequest, case_type: str = "") -> dict[str, Any]:
    cases = Case.objects.visible_to(request.user)
    if case_type:
        cases = cases.filter(case_type=case_type)
    return {
        "summary": services.summary(cases),
        "by_type": services.counts_by(cases, "case_type"),
        "by_region": {str(k): v for k, v in services.counts_by(cases, "region__code").items()},
    }
