"""JSON API of the forecast app: the same reads as the pages, with the same scope rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services
from .models import CITY, ForecastRun

router = Router(tags=["forecast"])


class DayOut(Schema):
    lead: int
    date: dt.date
    kind: str
    point: float
    median: float
    q05: float | None
    q10: float | None
    q25: float | None
    q75: float | None
    q90: float | None
    q95: float | None
    grade: int
    probabilities: list[float]
    source: str
    persistence: float | None
    climatology: float | None


class RunOut(Schema):
    id: int
    area: str
    as_of: dt.date
    model_version: str
    method: str
    meteorology: str
    data_start: dt.date | None
    data_end: dt.date | None
    note: str
    warning_case_number: str
    created: dt.datetime
    days: list[DayOut]


def _run_out(run: ForecastRun) -> dict[str, Any]:
    return {
        **{f: getattr(run, f) for f in RunOut.model_fields if f != "days"},
        "days": list(run.days.order_by("lead").values(*DayOut.model_fields)),
    }


@router.get("/forecast/latest", response=RunOut, auth=READ_AUTH)
def latest(request: HttpRequest, area: str = CITY) -> dict[str, Any]:
    """The newest stored forecast run (leads 1-10) of the city or a station."""
    run = queries.latest_run(request.user, area)
    if run is None:
        raise Http404(f"no forecast stored for {area}")
    return _run_out(run)


@router.get("/forecast/runs/{as_of}", response=RunOut, auth=READ_AUTH)
def run_of_day(request: HttpRequest, as_of: dt.date, area: str = CITY) -> dict[str, Any]:
    run = get_object_or_404(ForecastRun.objects.visible_to(request.user), area=area, as_of=as_of)
    return _run_out(run)


@router.get("/forecast/verification", auth=READ_AUTH)
def verification(request: HttpRequest) -> dict[str, Any]:
    """Scores per meteorology label, per source (issued, persistence, climatology), per lead."""
    result = queries.verification(request.user)
    return {k: str(v) if isinstance(v, dt.date) else v for k, v in result.items()}


class MeasureOut(Schema):
    id: int
    enterprise: str
    uscc: str
    level: str
    measure: str
    nox_kg_day: float
    vocs_kg_day: float
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    illustrative: bool


@router.get("/forecast/measures", response=list[MeasureOut], auth=WRITE_AUTH)
def measure_list(request: HttpRequest, level: str = "") -> list[dict[str, Any]]:
    """Emergency measures visible to the caller (enterprise: own; county: its enterprises)."""
    return [
        {
            "id": m.pk,
            "enterprise": m.enterprise.name,
            "uscc": m.enterprise.uscc,
            "level": m.level,
            "measure": m.measure,
            "nox_kg_day": m.nox_kg_day,
            "vocs_kg_day": m.vocs_kg_day,
            "valid_from": m.valid_from,
            "valid_to": m.valid_to,
            "source": m.source,
            "illustrative": m.illustrative,
        }
        for m in queries.measures(request.user, level)
    ]


@router.post("/forecast/measures/import", auth=WRITE_AUTH)
def measure_import(request: HttpRequest, file: File[UploadedFile]) -> dict[str, int]:
    """Excel import (office and ecology department): all rows or none (400 lists every row)."""
    result = services.import_measures(file.read(), file.name or "upload.xlsx", by=request.user)
    return {"created": result.created, "updated": result.updated}
