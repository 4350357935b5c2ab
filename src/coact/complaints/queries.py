"""Read models of complaints: monthly statistics, hotspots and the hotline reply sheet."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from coact.core.models import Enterprise
from coact.engines import textsim, workdays

from . import services
from .models import Complaint, FollowUp, Satisfaction

SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)


def month_range(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, month, 1, tzinfo=workdays.LOCAL_TZ)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=workdays.LOCAL_TZ)
    return start, end


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def monthly_statistics(user: Any, year: int, month: int) -> dict[str, Any]:
    """Complaints received in the month, by county and by category group: count, ended,
    ended on time (on-time rate), satisfaction of the visits done in the month, repeat rate."""
    start, end = month_range(year, month)
    received = Complaint.objects.visible_to(user).filter(
        case__received_at__gte=start, case__received_at__lt=end
    )
    visits = (
        FollowUp.objects.visible_to(user)
        .filter(done_at__gte=start, done_at__lt=end)
        .exclude(satisfaction__in=["", Satisfaction.UNREACHABLE])
    )
    return {
        "year": year,
        "month": month,
        "total": _block(received, visits),
        "by_county": _grouped(
            received, visits, "case__region__name", "complaint__case__region__name"
        ),
        "by_category": _grouped(received, visits, None, None),
    }


def _block(received: QuerySet[Complaint], visits: QuerySet[FollowUp]) -> dict[str, Any]:
    row = received.aggregate(
        count=Count("id"),
        ended=Count("id", filter=~Q(case__state_group="open")),
        on_time=Count(
            "id", filter=~Q(case__state_group="open") & Q(case__closed_at__lte=F("case__due_at"))
        ),
        repeats=Count("id", filter=Q(is_repeat=True)),
        overdue=Count("id", filter=Q(case__state_group="open", case__overdue=True)),
    )
    done = visits.count()
    happy = visits.filter(satisfaction__in=SATISFIED).count()
    return {
        **row,
        "on_time_rate": _rate(row["on_time"], row["ended"]),
        "repeat_rate": _rate(row["repeats"], row["count"]),
        "visits": done,
        "satisfaction_rate": _rate(happy, done),
    }


def _grouped(
    received: QuerySet[Complaint],
    visits: QuerySet[FollowUp],
    field: str | None,
    visit_field: str | None,
) -> list[dict[str, Any]]:
    if field is None:  # category group = the part of the code before the dot
        groups = sorted(
            {c.split(".")[0] for c in received.values_list("case__category", flat=True)}
        )
        labels = services.categories()
        return [
            {
                "key": g,
                "label": labels[g].zh if g in labels else g,
                **_block(
                    received.filter(case__category__startswith=f"{g}."),
                    visits.filter(complaint__case__category__startswith=f"{g}."),
                ),
            }
            for g in groups
        ]
    keys = sorted({k for k in received.values_list(field, flat=True)}, key=lambda k: k or "")
    return [
        {
            "key": k,
            "label": k or "—",
            **_block(received.filter(**{field: k}), visits.filter(**{visit_field: k})),
        }
        for k in keys
    ]


def category_trend(user: Any, months: int = 12, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    labels = []
    year, month = today.year, today.month
    for _ in range(months):
        labels.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    labels.reverse()
    start = month_range(*labels[0])[0]
    rows = (
        Complaint.objects.visible_to(user)
        .filter(case__received_at__gte=start)
        .values_list("case__received_at", "case__category")
    )
    counts: dict[str, Counter[tuple[int, int]]] = defaultdict(Counter)
    for received_at, category in rows:
        local = workdays.to_local(received_at)
        counts[category.split(".")[0]][(local.year, local.month)] += 1
    return {
        "months": [f"{y}-{m:02d}" for y, m in labels],
        "series": {group: [c[ym] for ym in labels] for group, c in sorted(counts.items())},
    }


def hotspots(
    user: Any,
    days: int = 90,
    radius_m: float = 500.0,
    min_samples: int = 3,
    site_radius_m: float = 1000.0,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Spatial clusters (DBSCAN, haversine metric, ``radius_m``), repeat complaints about
    the same enterprise or address, and complaints within ``site_radius_m`` of enterprises."""
    now = now or timezone.now()
    recent = list(
        Complaint.objects.visible_to(user)
        .filter(case__received_at__gte=now - dt.timedelta(days=days))
        .select_related("case", "case__subject_enterprise")
    )
    return {
        "clusters": _clusters(recent, radius_m, min_samples),
        "repeats": _repeats(recent),
        "near_sites": _near_sites(recent, site_radius_m),
        "days": days,
        "radius_m": radius_m,
    }


def _clusters(recent: list[Complaint], radius_m: float, min_samples: int) -> list[dict[str, Any]]:
    located = [c for c in recent if c.case.lon is not None and c.case.lat is not None]
    if len(located) < min_samples:
        return []
    from sklearn.cluster import DBSCAN

    points = np.radians([[c.case.lat, c.case.lon] for c in located])
    labels = DBSCAN(
        eps=radius_m / services.EARTH_RADIUS_M,
        min_samples=min_samples,
        metric="haversine",
        algorithm="ball_tree",
    ).fit_predict(points)
    clusters = []
    for label in sorted(set(labels) - {-1}):
        members = [c for c, lab in zip(located, labels, strict=True) if lab == label]
        clusters.append(
            {
                "size": len(members),
                "lon": round(sum(c.case.lon for c in members) / len(members), 5),
                "lat": round(sum(c.case.lat for c in members) / len(members), 5),
                "latest": max(c.case.received_at for c in members),
                "categories": Counter(c.case.category for c in members).most_common(3),
                "numbers": [c.case.number for c in members][:20],
            }
        )
    return sorted(clusters, key=lambda c: (-c["size"], c["latest"]))


def _repeats(recent: list[Complaint]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Complaint]] = defaultdict(list)
    for c in recent:
        if c.case.subject_enterprise_id:
            groups[("enterprise", str(c.case.subject_enterprise))].append(c)
        elif c.case.address:
            groups[("address", textsim.normalise_address(c.case.address))].append(c)
    return sorted(
        (
            {
                "kind": k[0],
                "subject": k[1],
                "count": len(v),
                "numbers": [c.case.number for c in v][:20],
            }
            for k, v in groups.items()
            if len(v) >= 2
        ),
        key=lambda r: -r["count"],
    )


def _near_sites(recent: list[Complaint], radius_m: float) -> list[dict[str, Any]]:
    located = [c for c in recent if c.case.lon is not None]
    sites = Enterprise.objects.exclude(lon=None).exclude(lat=None)
    out = []
    for site in sites:
        near = [
            c
            for c in located
            if services._distance_m(site.lon, site.lat, c.case.lon, c.case.lat) <= radius_m
        ]
        if near:
            out.append(
                {
                    "enterprise": site.name,
                    "uscc": site.uscc,
                    "count": len(near),
                    "numbers": [c.case.number for c in near][:20],
                    "illustrative": site.illustrative,
                }
            )
    return sorted(out, key=lambda r: -r["count"])[:50]


def reply_sheet(user: Any, start: dt.date, end: dt.date) -> bytes:
    """The reply sheet for the 12345 centre (xlsx): one row per work order received in
    [start, end], with the handling unit, the reply, its time, the state and satisfaction."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "回复单"
    sheet.append(
        [
            "工单编号",
            "受理时间",
            "诉求类别",
            "县(市、区)",
            "办理单位",
            "办理结果(答复)",
            "答复时间",
            "当前状态",
            "是否超期",
            "回访满意度",
        ]
    )
    since = dt.datetime.combine(start, dt.time(0), tzinfo=workdays.LOCAL_TZ)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=workdays.LOCAL_TZ)
    complaints = (
        Complaint.objects.visible_to(user)
        .exclude(hotline_order_no=None)
        .filter(case__received_at__gte=since, case__received_at__lt=until)
        .select_related("case", "case__region", "case__responsible_department")
        .prefetch_related("follow_ups", "case__updates")
        .order_by("case__received_at")
    )
    labels = services.categories()
    for c in complaints:
        case = c.case
        reply = next(
            (u for u in reversed(list(case.updates.all())) if u.transition == "reply"), None
        )
        rated = [f.get_satisfaction_display() for f in c.follow_ups.all() if f.satisfaction]
        sheet.append(
            [
                c.hotline_order_no,
                workdays.to_local(case.received_at).strftime("%Y-%m-%d %H:%M"),
                labels[case.category].zh if case.category in labels else case.category,
                str(case.region or ""),
                str(case.responsible_department or ""),
                reply.payload.get("reply", reply.text) if reply else "",
                workdays.to_local(reply.created).strftime("%Y-%m-%d %H:%M") if reply else "",
                _state_zh(case),
                "是" if case.overdue else "否",
                rated[-1] if rated else "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _state_zh(case: Any) -> str:
    from coact.cases import services as cases

    return cases.state_label(case.case_type, case.state, "zh")
