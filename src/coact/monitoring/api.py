"""JSON API of online monitoring: outlets, values, alarms, quarantine, statistics, and the
scoped sharing API of a receiving plant (its subscribed outlets only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services
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
