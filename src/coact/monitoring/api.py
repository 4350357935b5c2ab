"""JSON API of online monitoring: outlets, values, alarms, quarantine, statistics, and the
scoped sharing API of a receiving plant (its subscribed outlets only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, registry, services
from .models import Alarm, Outlet, QuarantineEntry, Reading

router = Router(tags=["monitoring"])
KINDS = ("rtd", "min", "hour", "day", "state", "runtime", "restart")


class OutletOut(Schema):
    id: int
    code: str
    name: str
    enterprise: str
    medium: str
    permit_number: str
    region: str
    lon: float | None
    lat: float | None
    status: str
    last_seen: dt.datetime | None
    illustrative: bool


class ReadingOut(Schema):
    kind: str
    data_time: dt.datetime
    received_at: dt.datetime
    values: dict[str, Any]


class AlarmOut(Schema):
    id: int
    outlet: int | None
    mn: str
    rule: str
    category: str
    factor: str
    data_time: dt.datetime | None
    value: float | None
    limit: float | None
    message: str
    raised_at: dt.datetime
    case_number: str
    illustrative: bool


class QuarantineOut(Schema):
    mn: str
    reason: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    last_peer: str


class DeviceOut(Schema):
    """A registered data logger; never its password or SM4 key (only whether a key is set)."""

    id: int
    mn: str
    outlet: int
    outlet_code: str
    outlet_name: str
    medium: str
    standard: str
    enterprise: str
    enterprise_uscc: str
    region: str
    edition: str
    tolerances: str
    sm4_key_set: bool
    active: bool
    last_seen: dt.datetime | None
    illustrative: bool


def _outlet_out(row: dict[str, Any]) -> dict[str, Any]:
    o = row["outlet"]
    return {
        "id": o.pk,
        "code": o.code,
        "name": o.name,
        "enterprise": o.enterprise.name,
        "medium": o.medium,
        "permit_number": o.permit_number,
        "region": o.region.code,
        "lon": o.lon,
        "lat": o.lat,
        "status": row["status"],
        "last_seen": o.last_seen,
        "illustrative": o.illustrative,
    }


def _readings(outlet: Outlet, kind: str, since: dt.datetime | None, limit: int) -> Any:
    qs = Reading.objects.filter(outlet=outlet, kind=kind if kind in KINDS else "hour")
    if since is not None:
        qs = qs.filter(data_time__gte=since)
    return qs.order_by("-data_time")[: max(1, min(limit, 5000))]


@router.get("/monitoring/outlets", response=list[OutletOut], auth=WRITE_AUTH)
def list_outlets(request: HttpRequest, region: str = "", medium: str = "") -> list[dict[str, Any]]:
    return [_outlet_out(r) for r in queries.outlet_rows(request.user, region, medium)]


@router.get("/monitoring/outlets/{outlet_id}/readings", response=list[ReadingOut], auth=WRITE_AUTH)
def outlet_readings(
    request: HttpRequest,
    outlet_id: int,
    kind: str = "hour",
    since: dt.datetime | None = None,
    limit: int = 500,
) -> Any:
    outlet = get_object_or_404(Outlet.objects.visible_to(request.user), pk=outlet_id)
    return _readings(outlet, kind, since, limit)


@router.get("/monitoring/alarms", response=list[AlarmOut], auth=WRITE_AUTH)
def list_alarms(request: HttpRequest, rule: str = "", limit: int = 200) -> list[dict[str, Any]]:
    qs = Alarm.objects.visible_to(request.user)
    if rule:
        qs = qs.filter(rule=rule)
    return [
        {
            **{f: getattr(a, f) for f in AlarmOut.model_fields if f != "outlet"},
            "outlet": a.outlet_id,
        }
        for a in qs[: max(1, min(limit, 2000))]
    ]


@router.get("/monitoring/statistics", auth=WRITE_AUTH)
def statistics(request: HttpRequest) -> dict[str, Any]:
    return services.alarm_statistics(request.user)


@router.get("/monitoring/quarantine", response=list[QuarantineOut], auth=WRITE_AUTH)
def list_quarantine(request: HttpRequest) -> Any:
    return QuarantineEntry.objects.visible_to(request.user)[:500]


@router.get("/monitoring/coverage", auth=READ_AUTH)
def coverage(request: HttpRequest) -> dict[str, Any]:
    """Share of enterprises required to have automatic monitoring that report (public: the
    city's figure only)."""
    data = services.automatic_monitoring_coverage()
    city = data.get(None) or {"required": 0, "covered": 0, "percent": None, "illustrative": False}
    if not getattr(request.user, "is_authenticated", False):
        return {"city": city}
    return {"city": city, "counties": {k: v for k, v in data.items() if k is not None}}


# --- sharing: a receiving plant's scoped view of its subscribed outlets ------------------------


@router.get("/monitoring/shared/outlets", response=list[OutletOut], auth=WRITE_AUTH)
def shared_outlets(request: HttpRequest) -> list[dict[str, Any]]:
    outlets = queries.subscribed_outlets(request.user).select_related("enterprise", "region")
    return [
        _outlet_out({"outlet": o, "status": "online" if o.last_seen else "offline"})
        for o in outlets
    ]


@router.get(
    "/monitoring/shared/outlets/{outlet_id}/readings", response=list[ReadingOut], auth=WRITE_AUTH
)
def shared_readings(
    request: HttpRequest,
    outlet_id: int,
    kind: str = "hour",
    since: dt.datetime | None = None,
    limit: int = 500,
) -> Any:
    outlet = get_object_or_404(queries.subscribed_outlets(request.user), pk=outlet_id)
    return _readings(outlet, kind, since, limit)


# --- the outlet and device registry ------------------------------------------------------------


@router.post("/monitoring/registry", auth=WRITE_AUTH)
def import_registry(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """The registry sheet (.xlsx/.csv, one row per data logger): all or nothing. 400 with
    ``errors`` (file, sheet, row, column, message) when any row is wrong; a county imports
    only outlets of its enterprises; enterprises get 403."""
    name = file.name or "upload.csv"
    result = services.import_registry(file.read(), name, request.user)
    return {"file": name, **result.as_dict()}


@router.get("/monitoring/registry/template", auth=WRITE_AUTH)
def registry_template(request: HttpRequest) -> HttpResponse:
    if not services.can_view_registry(request.user):
        raise PermissionDenied("the registry is for bureau and county staff")
    response = HttpResponse(
        registry.template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="monitoring-registry-template.xlsx"'
    return response


@router.get("/monitoring/devices", response=list[DeviceOut], auth=WRITE_AUTH)
def list_devices(request: HttpRequest, q: str = "", limit: int = 500) -> list[dict[str, Any]]:
    if not services.can_view_registry(request.user):
        raise PermissionDenied("the registry is for bureau and county staff")
    return [
        {
            "id": d["id"],
            "mn": d["mn"],
            "outlet": d["outlet_id"],
            "outlet_code": d["outlet__code"],
            "outlet_name": d["outlet__name"],
            "medium": d["outlet__medium"],
            "standard": d["outlet__standard"],
            "enterprise": d["outlet__enterprise__name"],
            "enterprise_uscc": d["outlet__enterprise__uscc"],
            "region": d["outlet__region__name"],
            "edition": d["edition"],
            "tolerances": d["tolerances"],
            "sm4_key_set": d["sm4_key_set"],
            "active": d["active"],
            "last_seen": d["last_seen"],
            "illustrative": d["illustrative"],
        }
        for d in queries.device_rows(request.user, q.strip(), limit)
    ]
