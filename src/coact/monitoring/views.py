"""Thin views over monitoring.queries and services; scope comes from visible_to()."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from coact.core import charts
from coact.core.audit import history_for
from coact.core.importing import ImportRejected
from coact.core.models import Region, RegionKind

from . import queries, registry, services
from .forms import RegistryImportForm
from .models import Alarm, Outlet, QuarantineEntry, RawPacket


@login_required
def outlet_list(request: HttpRequest) -> HttpResponse:
    region, medium = request.GET.get("region", ""), request.GET.get("medium", "")
    rows = queries.outlet_rows(request.user, region, medium)
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in queries.STATUS_COLOURS}
    context = {
        "rows": rows,
        "counts": counts,
        "region": region,
        "medium": medium,
        "regions": Region.objects.exclude(kind=RegionKind.CITY),
        "map": charts.scatter_map(queries.status_map(rows), title=_("Outlets: live status")),
    }
    template = "monitoring/_outlet_rows.html" if request.htmx else "monitoring/outlets.html"
    return render(request, template, context)


@login_required
def outlet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    outlet = get_object_or_404(
        Outlet.objects.visible_to(request.user).select_related("enterprise", "region"), pk=pk
    )
    kind = (
        request.GET.get("kind", "hour")
        if request.GET.get("kind") in ("hour", "min", "rtd", "day")
        else "hour"
    )
    data = queries.series(outlet, kind, hours=int(request.GET.get("hours", 48) or 48))
    panels = []
    for item in data["factors"]:
        factor = item["factor"]
        lines = [{"name": _("Measured"), "data": item["measured"], "colour": "#1565c0"}]
        if item["converted"] is not None:
            lines.append(
                {
                    "name": _("Converted to reference O2"),
                    "data": item["converted"],
                    "colour": "#6a1b9a",
                }
            )
        if item["limit"] is not None:
            lines.append(
                {
                    "name": _("Limit"),
                    "data": [item["limit"]] * len(data["times"]),
                    "dashed": True,
                    "colour": "#c62828",
                }
            )
        panels.append(
            {
                "factor": factor,
                "limit_source": item["limit_source"],
                "chart": charts.line_chart(
                    data["times"], lines, y_name=factor.unit, title=f"{factor.code} {factor.name}"
                ),
            }
        )
    return render(
        request,
        "monitoring/outlet.html",
        {
            "outlet": outlet,
            "panels": panels,
            "kind": kind,
            "devices": outlet.devices.all(),
            "alarms": _worded(Alarm.objects.visible_to(request.user).filter(outlet=outlet)[:20]),
            "packets": RawPacket.objects.visible_to(request.user).filter(outlet=outlet)[:20],
            "history": history_for(outlet)[:20],
        },
    )


@login_required
def alarm_list(request: HttpRequest) -> HttpResponse:
    alarms = Alarm.objects.visible_to(request.user).select_related(
        "outlet__enterprise", "outlet__region"
    )
    rule = request.GET.get("rule", "")
    if rule:
        alarms = alarms.filter(rule=rule)
    stats = services.alarm_statistics(request.user)
    language = get_language() or "zh-hans"
    chart = charts.stacked_bar_chart(
        [services.rule_label(r["rule"], language) for r in stats["by_rule"]],
        {_("Alarms"): [r["n"] for r in stats["by_rule"]]},
        title=_("Alarms by rule"),
    )
    return render(
        request,
        "monitoring/alarms.html",
        {"alarms": _worded(alarms[:200]), "stats": stats, "chart": chart, "rule": rule},
    )


@login_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    if request.user.role == "enterprise":
        raise PermissionDenied
    entries = QuarantineEntry.objects.visible_to(request.user).select_related("device__outlet")
    return render(request, "monitoring/quarantine.html", {"entries": entries[:500]})


@login_required
def registry_page(request: HttpRequest) -> HttpResponse:
    """Registered outlets' data loggers, and the import of the bureau's registry sheet."""
    if not services.can_view_registry(request.user):
        raise PermissionDenied
    can_import = services.can_import_registry(request.user)
    if request.method == "POST" and not can_import:
        raise PermissionDenied
    form = RegistryImportForm(request.POST or None, request.FILES or None)
    result, errors, file_name = None, [], ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_name = upload.name
        try:
            result = services.import_registry(upload.read(), upload.name, request.user)
        except ImportRejected as exc:
            errors = exc.errors
    q = request.GET.get("q", "").strip()
    context = {
        "form": RegistryImportForm() if result else form,
        "can_import": can_import,
        "result": result,
        "errors": errors,
        "file_name": file_name,
        "devices": queries.device_rows(request.user, q),
        "q": q,
    }
    if request.htmx:
        partial = "_registry_panel" if request.method == "POST" else "_device_rows"
        return render(request, f"monitoring/{partial}.html", context)
    return render(request, "monitoring/registry.html", context)


@login_required
def registry_template(request: HttpRequest) -> HttpResponse:
    if not services.can_view_registry(request.user):
        raise PermissionDenied
    response = HttpResponse(registry.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="monitoring-registry-template.xlsx"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _worded(alarms: Iterable[Alarm]) -> list[Alarm]:
    """The alarms with ``rule_label`` and ``found`` in the page language (the stored message
    is the engine's English)."""
    language = get_language() or "zh-hans"
    worded = list(alarms)
    for alarm in worded:
        alarm.rule_label, alarm.found = services.alarm_wording(alarm, language)  # type: ignore[attr-defined]
    return worded
