"""Read models shared by the pages and the API (always through ``visible_to``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from . import rules
from .models import Alarm, Limit, Outlet, Reading, Subscription

ONLINE_WINDOW = dt.timedelta(minutes=30)
STATUS_COLOURS = {"online": "#2e7d32", "alarm": "#c62828", "offline": "#9e9e9e"}


def outlet_rows(user: Any, region: str = "", medium: str = "") -> list[dict[str, Any]]:
    """Outlets in scope with live status: online (a packet in 30 min), offline, or alarm (an
    alarm in the last 24 h)."""
    now = timezone.now()
    outlets = Outlet.objects.visible_to(user).select_related("enterprise", "region")
    if region:
        outlets = outlets.filter(region__code=region)
    if medium:
        outlets = outlets.filter(medium=medium)
    recent = set(
        Alarm.objects.filter(outlet__in=outlets, raised_at__gte=now - dt.timedelta(hours=24))
        .values_list("outlet_id", flat=True)
        .distinct()
    )
    rows = []
    for outlet in outlets:
        online = outlet.last_seen is not None and now - outlet.last_seen <= ONLINE_WINDOW
        status = "alarm" if outlet.pk in recent else ("online" if online else "offline")
        rows.append({"outlet": outlet, "status": status, "online": online})
    return rows


def status_map(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": r["outlet"].code,
            "x": r["outlet"].lon,
            "y": r["outlet"].lat,
            "value": f"{r['outlet'].enterprise.name} · {r['status']}",
            "colour": STATUS_COLOURS[r["status"]],
        }
        for r in rows
        if r["outlet"].lon is not None and r["outlet"].lat is not None
    ]


def series(outlet: Outlet, kind: str = "hour", hours: int = 48) -> dict[str, Any]:
    """Per factor: times, measured values, converted values (when judged converted) and the
    limit of the period, for the outlet's chart."""
    since = timezone.now() - dt.timedelta(hours=hours)
    rows = list(
        Reading.objects.filter(outlet=outlet, kind=kind, data_time__gte=since)
        .order_by("data_time")
        .values_list("data_time", "values")
    )
    limits = {
        (lim.factor.code, lim.period): lim
        for lim in Limit.objects.filter(factor__outlet=outlet).select_related("factor")
    }
    times = [timezone.localtime(t).strftime("%m-%d %H:%M") for t, _v in rows]
    factors = []
    for factor in outlet.factors.all():
        suffix = "Rtd" if kind == "rtd" else "Avg"
        measured = [
            p.value for p in rules.factor_series(rows, factor.code, suffix=suffix, convert=False)
        ]
        if not any(v is not None for v in measured):
            continue
        converted = None
        if factor.convert_o2 and outlet.reference_o2 is not None:
            converted = [
                None if p.value is None else round(p.value, 3)
                for p in rules.factor_series(rows, factor.code, outlet.reference_o2, suffix)
            ]
        limit = limits.get((factor.code, kind))
        factors.append(
            {
                "factor": factor,
                "measured": measured,
                "converted": converted,
                "limit": limit.value if limit else None,
                "limit_source": limit.source if limit else "",
            }
        )
    return {"times": times, "factors": factors, "kind": kind}


def subscribed_outlets(user: Any) -> Any:
    """Outlets shared with the user's enterprise (a sewage plant's feeding outlets)."""
    if not getattr(user, "is_authenticated", False) or not user.enterprise_id:
        return Outlet.objects.none()
    ids = Subscription.objects.filter(subscriber_id=user.enterprise_id, active=True).values(
        "outlet_id"
    )
    return Outlet.objects.filter(pk__in=ids)


def device_rows(user: Any, q: str = "", limit: int = 500) -> list[dict[str, Any]]:
    """Registered data loggers in scope for the registry page and API. The password and the
    SM4 key are never read: only whether a key is set (computed in the database)."""
    from django.db.models import BooleanField, ExpressionWrapper, Q

    from .models import Device

    devices = Device.objects.visible_to(user)
    if q:
        devices = devices.filter(
            Q(mn__icontains=q)
            | Q(outlet__code__icontains=q)
            | Q(outlet__name__icontains=q)
            | Q(outlet__enterprise__name__icontains=q)
            | Q(outlet__enterprise__uscc__icontains=q)
        )
    return list(
        devices.annotate(sm4_key_set=ExpressionWrapper(~Q(sm4_key=""), output_field=BooleanField()))
        .order_by("outlet__region__sort", "outlet__enterprise__name", "outlet__code", "mn")
        .values(
            "id",
            "mn",
            "edition",
            "tolerances",
            "active",
            "last_seen",
            "illustrative",
            "sm4_key_set",
            "outlet_id",
            "outlet__code",
            "outlet__name",
            "outlet__medium",
            "outlet__standard",
            "outlet__region__name",
            "outlet__region__name_en",
            "outlet__enterprise__name",
            "outlet__enterprise__uscc",
        )[: max(1, min(limit, 5000))]
    )
