"""JSON API of the air app: stations, hourly, daily, evaluation, still-needed, imports.

Reads are public (air quality is public information); imports (file upload and JSON push)
are for the supervising office only, checked in coact.air.services.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, field_validator

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services
from .models import SERIES_FIELDS, ImportBatch, Station

router = Router(tags=["air"])
MAX_HOURLY_DAYS = 366


class StationOut(Schema):
    code: str
    name: str
    name_en: str
    lon: float | None
    lat: float | None
    evaluation: bool
    source: str
    note: str


class HourlyOut(Schema):
    time: dt.datetime
    values: dict[str, float | None]
    aqi: float | None
    level: int
    primary: str
    edition: str


class DailyOut(Schema):
    date: dt.date
    station: str | None
    edition: str
    aqi: float | None
    level: int
    primary: str
    published: bool
    values: dict[str, float | None]


class BatchOut(Schema):
    id: int
    file_name: str
    format: str
    state: str
    source: str
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    problem_count: int
    problems: list[dict[str, Any]]
    seconds: float
    imported_at: dt.datetime


class PushValue(Schema):
    station: str = Field(min_length=1, description="station code, e.g. 1168A")
    time: dt.datetime = Field(
        description="END of the hour; local time (Asia/Shanghai) if no offset"
    )
    SO2: float | None = Field(None, ge=0, description="ug/m3, 1-h mean")
    NO2: float | None = Field(None, ge=0)
    PM10: float | None = Field(None, ge=0)
    CO: float | None = Field(None, ge=0, description="mg/m3")
    O3: float | None = Field(None, ge=0)
    PM25: float | None = Field(None, ge=0, alias="PM2.5")
    SO2_24h: float | None = Field(None, ge=0)
    AQI: float | None = Field(None, ge=0, description="AQI as published by the source, if any")

    model_config = {"populate_by_name": True}

    @field_validator("time")
    @classmethod
    def whole_hour(cls, value: dt.datetime) -> dt.datetime:
        if value.minute or value.second or value.microsecond:
            raise ValueError("time must be a whole hour (the end of the hour)")
        return value


class PushIn(Schema):
    packet: str = Field(
        "push", max_length=100, description="client's name for this packet, echoed in errors"
    )
    source: str = Field("", max_length=300)
    skip_bad_rows: bool = False
    values: list[PushValue] = Field(min_length=1, max_length=20000)


def _batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        f: getattr(batch, f)
        for f in (
            "id",
            "file_name",
            "format",
            "state",
            "source",
            "rows_read",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "problem_count",
            "problems",
            "seconds",
            "imported_at",
        )
    }


def _station(request: HttpRequest, code: str) -> Station:
    return get_object_or_404(Station.objects.visible_to(request.user), code=code)


@router.get("/air/stations", response=list[StationOut], auth=READ_AUTH)
def list_stations(request: HttpRequest) -> Any:
    return queries.stations(request.user)


@router.get("/air/latest", auth=READ_AUTH)
def latest(request: HttpRequest) -> dict[str, Any]:
    """Latest hourly AQI of the city (evaluation-station means) and of each station."""
    return queries.latest(request.user)


@router.get("/air/stations/{code}/hourly", response=list[HourlyOut], auth=READ_AUTH)
def hourly(
    request: HttpRequest, code: str, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Station-hours with ``start <= time <= end`` (end of the hour; at most 366 days)."""
    _station(request, code)
    start, end = (timezone.make_aware(t) if timezone.is_naive(t) else t for t in (start, end))
    if end < start or (end - start).days > MAX_HOURLY_DAYS:
        raise Http404(f"give start <= end, at most {MAX_HOURLY_DAYS} days apart")
    return [
        {
            "time": r.time,
            "aqi": r.aqi,
            "level": r.level,
            "primary": r.primary,
            "edition": r.edition,
            "values": {s: getattr(r, f) for s, f in SERIES_FIELDS.items()},
        }
        for r in queries.hourly(request.user, code, start, end)
    ]


@router.get("/air/daily", response=list[DailyOut], auth=READ_AUTH)
def daily(
    request: HttpRequest, year: int, station: str = "", edition: Literal["", "2012", "2026"] = ""
) -> list[dict[str, Any]]:
    """Daily values and daily AQI of the city (no ``station``) or a station; edition empty =
    the edition set in force on each day."""
    if station:
        _station(request, station)
    rows = queries.daily(request.user, year, station or None, edition or None)
    return [
        {
            "date": r.date,
            "station": station or None,
            "edition": r.edition,
            "aqi": r.aqi,
            "level": r.level,
            "primary": r.primary,
            "published": r.published,
            "values": {c: getattr(r, f) for c, f in services.DAILY_FIELDS.items()},
        }
        for r in rows
    ]


@router.get("/air/calendar", auth=READ_AUTH)
def calendar(
    request: HttpRequest, year: int, station: str = "", edition: Literal["", "2012", "2026"] = ""
) -> dict[str, Any]:
    """One entry per day of the year with AQI, level and its HJ 633 colour."""
    if station:
        _station(request, station)
    return {
        "year": year,
        "levels": queries.level_table(),
        "days": queries.calendar(request.user, year, station or None, edition or None),
    }


@router.get("/air/evaluation", auth=READ_AUTH)
def evaluation(request: HttpRequest, year: int, station: str = "") -> dict[str, Any]:
    """Annual HJ 663 statistics and monthly good-day ratios, 2012 and 2026 sets side by side."""
    if station:
        _station(request, station)
    return queries.evaluation_summary(request.user, year, station or None)


@router.get("/air/still-needed", auth=READ_AUTH)
def still_needed(
    request: HttpRequest, year: int, as_of: dt.date | None = None, target: float | None = None
) -> dict[str, Any]:
    """Good days still needed in the rest of ``year`` to reach the good-day target."""
    return queries.still_needed(request.user, year, as_of, target)


@router.get("/air/imports", response=list[BatchOut], auth=WRITE_AUTH)
def list_imports(request: HttpRequest) -> list[dict[str, Any]]:
    return [_batch_out(b) for b in ImportBatch.objects.visible_to(request.user)[:100]]


@router.post("/air/imports", response={201: BatchOut}, auth=WRITE_AUTH)
def upload(
    request: HttpRequest,
    file: File[UploadedFile],
    format: Form[Literal["", "cnemc", "china_sites", "generic"]] = "",
    skip_bad_rows: Form[bool] = False,
) -> Any:
    """Import a release file (all-or-nothing unless ``skip_bad_rows``)."""
    services._check_import(request.user)
    batch = _import_upload(file, format or None, request.user, skip_bad_rows)
    return Status(201, _batch_out(batch))


def _import_upload(upload: Any, fmt: str | None, user: Any, skip_bad_rows: bool) -> ImportBatch:
    name = Path(upload.name or "upload.csv").name
    with tempfile.TemporaryDirectory(prefix="coact-air-") as folder:
        path = Path(folder) / name
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return services.import_file(path, fmt, by=user, skip_bad_rows=skip_bad_rows, file_name=name)


@router.post("/air/push", response={201: BatchOut}, auth=WRITE_AUTH)
def push(request: HttpRequest, payload: PushIn) -> Any:
    """Station-hours as JSON from a machine client; errors name packet, record and field."""
    records = [
        services.PushRecord(
            station=v.station,
            time=v.time,
            values={
                series: getattr(v, "PM25" if series == "PM2.5" else series)
                for series in SERIES_FIELDS
                if getattr(v, "PM25" if series == "PM2.5" else series) is not None
            },
        )
        for v in payload.values
    ]
    batch = services.import_records(
        records,
        by=request.user,
        packet=payload.packet,
        skip_bad_rows=payload.skip_bad_rows,
        source=payload.source,
    )
    return Status(201, _batch_out(batch))
