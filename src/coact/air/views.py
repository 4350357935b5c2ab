"""Thin views over air.queries and air.services. Dashboards are public; imports office-only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coact.core import charts
from coact.core.importing import ImportRejected
from coact.plan import services as plan_services

from . import queries, services
from .api import _import_upload
from .forms import ImportForm
from .models import Correction, ImportBatch, Station

EDITION_CHOICES = ("", "2012", "2026")


def _year(request: HttpRequest) -> int:
    years = services.years_with_data()
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return years[-1] if years else timezone.localdate().year


def _edition(request: HttpRequest) -> str | None:
    edition = request.GET.get("edition", "")
    return edition if edition in EDITION_CHOICES[1:] else None


def _category(level: dict[str, Any]) -> str:
    return level["category_en"] if (get_language() or "").startswith("en") else level["category_zh"]


def calendar_chart(days: list[dict[str, Any]], year: int, title: str) -> dict[str, Any]:
    """Daily AQI calendar coloured by HJ 633 level (Appendix A colours)."""
    pieces = [
        {
            "value": row["level"],
            "color": row["colour"],
            "label": f"{row['min']}–{row['max']} {_category(row)}",
        }
        for row in queries.level_table()
    ]
    pieces.append({"value": 0, "color": queries.level_colours()[0], "label": _("no data")})
    data = [[d["date"], d["aqi"], d["level"], d["primary"]] for d in days]
    return charts.calendar_heatmap(
        year, data, pieces, dimension=2, title=title, empty_colour=queries.level_colours()[0]
    )


def _monthly_chart(summary: dict[str, Any], target: float | None) -> dict[str, Any] | None:
    editions = summary["editions"]
    if not editions:
        return None
    months = [f"{m:02d}" for m in range(1, 13)]
    series = [
        {
            "name": _("Good-day ratio, %(e)s rules") % {"e": e},
            "data": editions[e]["monthly_good_day_ratio"],
            "dashed": e != summary["applies"],
            "colour": "#00A0E0" if e == "2012" else "#7e57c2",
        }
        for e in editions
    ]
    if target is not None:
        series.append(
            {"name": _("Plan target"), "data": [target] * 12, "dashed": True, "colour": "#f57c00"}
        )
    return charts.line_chart(months, series, y_name="%", title=_("Monthly good-day ratio"))


def _pie(user: Any, year: int, station: str | None, edition: str | None) -> dict[str, Any] | None:
    composition = queries.primary_composition(user, year, station, edition)
    if not composition:
        return None
    return charts.pie_chart(composition, title=_("Primary pollutant (days with AQI > 50)"))


def _map(user: Any, latest: dict[str, Any]) -> dict[str, Any]:
    by_code = {s["station"]: s for s in latest["stations"]}
    points = []
    for station in queries.stations(user):
        if station.lon is None or station.lat is None:
            continue
        now = by_code.get(station.code)
        points.append(
            {
                "name": f"{station.code} {station.name}",
                "x": station.lon,
                "y": station.lat,
                "value": now["aqi"] if now else None,
                "colour": now["colour"] if now else queries.level_colours()[0],
            }
        )
    return charts.scatter_map(
        points,
        title=_("Stations (coloured by the latest hourly AQI)"),
        x_name=_("longitude"),
        y_name=_("latitude"),
    )


def _context(request: HttpRequest, station: Station | None) -> dict[str, Any]:
    user = request.user
    year, edition = _year(request), _edition(request)
    code = station.code if station else None
    days = queries.calendar(user, year, code, edition)
    summary = queries.evaluation_summary(user, year, code)
    target = queries.good_day_target()
    latest = queries.latest(user)
    title = _("Daily AQI %(year)s") % {"year": year}
    return {
        "year": year,
        "years": services.years_with_data(),
        "edition": edition or "",
        "editions": EDITION_CHOICES[1:],
        "station": station,
        "latest": latest,
        "latest_station": next(
            (s for s in latest["stations"] if station and s["station"] == station.code), None
        ),
        "calendar_chart": calendar_chart(days, year, title),
        "days_with_aqi": sum(1 for d in days if d["level"]),
        "summary": summary,
        "monthly_chart": _monthly_chart(summary, target),
        "target": target,
        "pie_chart": _pie(user, year, code, edition),
        "levels": queries.level_table(),
        "still_needed": None if station else queries.still_needed(user, year),
        "map_chart": None if station else _map(user, latest),
        "stations": queries.stations(user),
        "can_import": services.can_import(user),
        "plan_indicators": [
            i for name in services.INDICATORS for i in plan_services.indicators_computed_by(name)
        ],
    }


def city_dashboard(request: HttpRequest) -> HttpResponse:
    """Public: air quality is public information."""
    return render(request, "air/dashboard.html", _context(request, None))


def station_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    station = get_object_or_404(Station.objects.visible_to(request.user), code=code)
    return render(request, "air/dashboard.html", _context(request, station))


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not services.can_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            batch = _import_upload(
                data["file"], data["format"] or None, request.user, data["skip_bad_rows"]
            )
            messages.success(
                request,
                _(
                    "%(name)s: %(new)s new, %(upd)s corrected, %(same)s unchanged, "
                    "%(bad)s bad rows skipped."
                )
                % {
                    "name": batch.file_name,
                    "new": batch.created,
                    "upd": batch.updated,
                    "same": batch.unchanged,
                    "bad": batch.skipped,
                },
            )
            return redirect("air:import")
        except ImportRejected as exc:
            errors = exc.errors
    batches = ImportBatch.objects.visible_to(request.user).select_related("imported_by")[:30]
    corrections = Correction.objects.visible_to(request.user).select_related(
        "value__station", "batch"
    )[:50]
    return render(
        request,
        "air/import.html",
        {
            "form": form,
            "errors": errors[:500],
            "error_count": len(errors),
            "batches": batches,
            "corrections": corrections,
        },
    )
