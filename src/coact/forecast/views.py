"""Thin views over forecast.services and forecast.queries; scope comes from visible_to()."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.core import charts
from coact.core.audit import history_for
from coact.core.importing import ImportRejected
from coact.engines.forecast.features import LEADS

from . import queries, services
from .forms import MeasureForm, MeasureImportForm
from .models import EmergencyMeasure, Meteorology

METRICS = ("n", "exact", "within_one", "pod", "far", "ts", "rmse", "bias", "r")


def _lead(request: HttpRequest) -> int:
    try:
        lead = int(request.GET.get("lead", "1"))
    except ValueError:
        return 1
    return lead if lead in LEADS else 1


def _history_chart(user: Any, lead: int) -> dict[str, Any] | None:
    data = queries.history(user, lead)
    rows = data["rows"]
    if not rows:
        return None
    return charts.band_line_chart(
        data["dates"],
        [
            {
                "name": _("Observed O3-8h"),
                "data": [r["observed"] for r in rows],
                "colour": "#263238",
            },
            {
                "name": _("Forecast (lead %(k)s d)") % {"k": lead},
                "data": [r["point"] for r in rows],
                "colour": "#1e88e5",
                "dashed": True,
            },
        ],
        {
            "name": _("10–90 % range"),
            "lower": [r["q10"] for r in rows],
            "upper": [r["q90"] for r in rows],
        },
        y_name="µg/m³",
        title=_("Forecast against observed, lead %(k)s day(s)") % {"k": lead},
    )


def forecast_page(request: HttpRequest) -> HttpResponse:
    """The latest city forecast: 10 coloured days with uncertainty; history chart."""
    run = queries.latest_run(request.user)
    lead = _lead(request)
    context = {
        "run": run,
        "strip": queries.strip(run) if run else [],
        "lead": lead,
        "leads": LEADS,
        "history_chart": _history_chart(request.user, lead),
        "levels": [queries.grade_payload(g) for g in range(1, 7)],
        "can_operate": services.can_operate(request.user),
        "meteorology_labels": dict(Meteorology.choices),
    }
    return render(request, "forecast/forecast.html", context)


def _rows(scores: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"lead": lead, **scores[lead]} for lead in sorted(scores)]


def _accuracy_chart(by_source: dict[str, dict[int, dict]], metric: str, title: str) -> dict:
    leads = sorted({lead for per_lead in by_source.values() for lead in per_lead})
    series = [
        {"name": name, "data": [by_source[name].get(k, {}).get(metric) for k in leads]}
        for name in by_source
    ]
    return charts.line_chart([str(k) for k in leads], series, title=title)


def verification_page(request: HttpRequest) -> HttpResponse:
    """Scores per lead day and per baseline, computed from stored forecasts and the air
    app's observed O3-8h; plus the latest backtest (office may start one)."""
    result = queries.verification(request.user)
    sections = []
    for met, by_source in result["by_meteorology"].items():
        sections.append(
            {
                "meteorology": met,
                "label": dict(Meteorology.choices).get(met, met),
                "tables": [(name, _rows(scores)) for name, scores in by_source.items()],
                "exact_chart": _accuracy_chart(by_source, "exact", _("Exact grade accuracy")),
                "rmse_chart": _accuracy_chart(by_source, "rmse", _("RMSE (µg/m³)")),
                "lead3": by_source.get("issued", {}).get(3),
            }
        )
    backtest = queries.latest_backtest(request.user)
    context = {
        "result": result,
        "sections": sections,
        "backtest": backtest,
        "can_operate": services.can_operate(request.user),
        "indicator_code": "NT-AIR-O3-FORECAST-72H",
    }
    return render(request, "forecast/verification.html", context)


@login_required
@require_POST
def start_backtest(request: HttpRequest) -> HttpResponse:
    try:
        backtest = services.request_backtest(request.user)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("Backtest %(n)s queued.") % {"n": backtest.pk})
    return redirect("forecast:verification")


@login_required
def measure_list(request: HttpRequest) -> HttpResponse:
    level = request.GET.get("level", "")
    can_edit = services.can_edit_measures(request.user)
    form = MeasureForm(request.POST or None) if can_edit else None
    upload = MeasureImportForm()
    errors: list[Any] = []
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("only the office and the ecology department edit the lists"))
        if "file" in request.FILES:
            upload = MeasureImportForm(request.POST, request.FILES)
            errors = _import(request, upload)
            if not errors:
                return redirect("forecast:measures")
        elif form is not None and form.is_valid():
            try:
                services.save_measure(services.MeasureInput(**form.cleaned_data), by=request.user)
            except ValidationError as error:
                messages.error(request, "; ".join(error.messages))
            else:
                messages.success(request, _("Measure saved."))
                return redirect("forecast:measures")
    qs = queries.measures(request.user, level)
    context = {
        "measures": qs,
        "summary": queries.measure_summary(queries.measures(request.user)),
        "level": level,
        "levels": services.level_names(),
        "can_edit": can_edit,
        "form": form,
        "upload": upload,
        "errors": errors,
        "columns": services.MEASURE_COLUMNS,
    }
    return render(request, "forecast/measures.html", context)


def _import(request: HttpRequest, upload: MeasureImportForm) -> list[Any]:
    if not upload.is_valid():
        return [{"message": _("choose a file")}]
    handle = upload.cleaned_data["file"]
    try:
        result = services.import_measures(handle.read(), handle.name, by=request.user)
    except ImportRejected as exc:
        return [e.as_dict() for e in exc.errors]
    messages.success(
        request,
        _("%(c)s measures created, %(u)s updated.") % {"c": result.created, "u": result.updated},
    )
    return []


@login_required
def measure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    measure = get_object_or_404(EmergencyMeasure.objects.visible_to(request.user), pk=pk)
    context = {
        "measure": measure,
        "history": history_for(measure),
        "can_edit": services.can_edit_measures(request.user),
    }
    return render(request, "forecast/measure.html", context)


@login_required
@require_POST
def measure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    measure = get_object_or_404(EmergencyMeasure.objects.visible_to(request.user), pk=pk)
    services.delete_measure(measure, by=request.user)
    messages.success(request, _("Measure deleted."))
    return redirect("forecast:measures")
