"""Thin views over emissions.services and emissions.queries; scope comes from visible_to()."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.core.audit import history_for
from coact.core.importing import ImportRejected

from . import figures, queries, services, workbooks
from .forms import (
    InventoryUploadForm,
    NewScenarioForm,
    OptimiseForm,
    builder_changes,
    builder_rows,
)
from .models import Inventory, Scenario, is_editor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHART_POLLUTANTS = ("NOx", "VOCs", "SO2", "PM2.5", "CO2", "CO2e")


def _scenario(request: HttpRequest, pk: int) -> Scenario:
    return get_object_or_404(Scenario.objects.visible_to(request.user), pk=pk)


def _messages_of(exc: ValidationError | PermissionDenied | services.Conflict) -> dict[str, str]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return {field: "; ".join(msgs) for field, msgs in exc.message_dict.items()}
    if isinstance(exc, ValidationError):
        return {"__all__": "; ".join(exc.messages)}
    return {"__all__": str(exc)}


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    scenarios = Scenario.objects.visible_to(request.user).select_related(
        "published_plan", "created_by"
    )
    editor = is_editor(request.user)
    inventories = Inventory.objects.visible_to(request.user)
    form = NewScenarioForm(request.POST or None, inventories=inventories)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        inventory = None
        if d["start"].startswith("inventory:"):
            inventory = get_object_or_404(inventories, pk=int(d["start"].split(":")[1]))
        try:
            scenario = services.create_scenario(
                request.user, d["name"], d["description"], inventory
            )
            messages.success(request, _("Scenario created."))
            return redirect("emissions:scenario", pk=scenario.pk)
        except (ValidationError, PermissionDenied) as exc:
            for message in _messages_of(exc).values():
                form.add_error(None, message)
    return render(
        request,
        "emissions/list.html",
        {"scenarios": scenarios, "editor": editor, "form": form},
    )


@login_required
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    return render(
        request,
        "emissions/scenario.html",
        {
            **_builder_context(scenario, request),
            "plans": services.plans_fed(),
            "history": history_for(scenario)[:20],
        },
    )


def _builder_context(
    scenario: Scenario,
    request: HttpRequest,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    document = document or scenario.document
    return {
        "scenario": scenario,
        "document": document,
        "grid": builder_rows(document, errors),
        "errors": errors or {},
        "saved": saved,
        "editor": is_editor(request.user),
    }


@login_required
@require_POST
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The builder form (HTMX): saves the document, or shows every field at fault."""
    scenario = _scenario(request, pk)
    changes, errors = builder_changes(request.POST, scenario.document)
    saved = False
    if not errors:
        try:
            version = request.POST.get("version")
            scenario = services.update_scenario(
                scenario, changes, request.user, int(version) if version else None
            )
            saved = True
        except (ValidationError, PermissionDenied, services.Conflict) as exc:
            errors = _messages_of(exc)
    if request.htmx:
        document = scenario.document if saved else {**scenario.document, **changes}
        return render(
            request,
            "emissions/_builder.html",
            _builder_context(scenario, request, errors, saved, document),
        )
    if errors:
        for field, message in errors.items():
            messages.error(request, f"{field}: {message}")
    return redirect("emissions:scenario", pk=pk)


@login_required
@require_POST
def scenario_run(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        services.run_scenario(scenario, request.user)
    except (ValidationError, PermissionDenied) as exc:
        for field, message in _messages_of(exc).items():
            messages.error(request, f"{field}: {message}")
        return _redirect(request, reverse("emissions:scenario", args=[pk]))
    return _redirect(request, reverse("emissions:results", args=[pk]))


@login_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        services.delete_scenario(scenario, request.user)
        messages.success(request, _("Scenario deleted."))
        return redirect("emissions:list")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "; ".join(_messages_of(exc).values()))
        return redirect("emissions:scenario", pk=pk)


@login_required
@require_POST
def scenario_publish(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    plan_code = request.POST.get("plan", "")
    plan = next((p for p in services.plans_fed() if p.code == plan_code), None)
    try:
        observations = services.publish_scenario(scenario, request.user, plan)
        messages.success(
            request,
            _("Published as the plan's projection: %(n)s projected values recorded.")
            % {"n": len(observations)},
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "; ".join(_messages_of(exc).values()))
    return redirect("emissions:scenario", pk=pk)


@login_required
def scenario_results(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        results = services.ensure_results(scenario, request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(_messages_of(exc).values()))
        return redirect("emissions:scenario", pk=pk)
    pollutant = request.GET.get("pollutant", "NOx")
    if pollutant not in results["totals"]:
        pollutant = "NOx"
    macc_pollutant = request.GET.get("macc", "CO2")
    if macc_pollutant not in results["totals"]:
        macc_pollutant = "CO2"
    curves = queries.macc(scenario, macc_pollutant, steps=8)
    table = [
        {
            "pollutant": p,
            "base": results["totals"][p][0],
            "without": results["reference_totals"][p][-1],
            "with": results["totals"][p][-1],
        }
        for p in results["pollutants"]
    ]
    return render(
        request,
        "emissions/results.html",
        {
            "scenario": scenario,
            "results": results,
            "pollutant": pollutant,
            "macc_pollutant": macc_pollutant,
            "pollutants": [p for p in CHART_POLLUTANTS if p in results["totals"]],
            "table": table,
            "metrics": figures.with_labels(results["metrics"]),
            "stacked": figures.stacked_by_sector(results, pollutant),
            "waterfall": figures.waterfall(results, pollutant),
            "scatter": figures.co_control_scatter(results),
            "cost_curve": figures.cost_curve(curves),
            "curves": curves,
        },
    )


@login_required
def scenario_optimise(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    form = OptimiseForm(request.POST or None)
    result, errors = None, {}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            result = queries.optimise(
                scenario, d["targets"], d["budget"], d["year"], d["granularity"]
            )
        except ValidationError as exc:
            errors = _messages_of(exc)
    elif request.method == "POST":
        errors = {f: "; ".join(e) for f, e in form.errors.items()}
    context = {"scenario": scenario, "form": form, "result": result, "errors": errors}
    if request.htmx and request.method == "POST":
        return render(request, "emissions/_optimise_result.html", context)
    return render(request, "emissions/optimise.html", context)


@login_required
def compare(request: HttpRequest) -> HttpResponse:
    visible = Scenario.objects.visible_to(request.user)
    ids = [int(i) for i in request.GET.getlist("ids") if i.isdigit()]
    records = [get_object_or_404(visible, pk=i) for i in ids]
    data = queries.comparison(records)
    pollutant = request.GET.get("pollutant", "NOx")
    rows = []
    for p in ("SO2", "NOx", "VOCs", "PM2.5", "CO2", "CO2e"):
        rows.append(
            {
                "pollutant": p,
                "values": [(s["totals"].get(p) or [None])[-1] for s in data["scenarios"]],
            }
        )
    return render(
        request,
        "emissions/compare.html",
        {
            "data": data,
            "rows": rows,
            "ids": ids,
            "all": visible.filter(results__isnull=False),
            "pollutant": pollutant,
            "chart": figures.comparison_chart(data, pollutant) if data["scenarios"] else None,
        },
    )


@login_required
def inventories(request: HttpRequest) -> HttpResponse:
    if not is_editor(request.user):
        raise PermissionDenied
    if request.GET.get("template"):
        response = HttpResponse(workbooks.template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="coact-emission-sources.xlsx"'
        return response
    form = InventoryUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = workbooks.import_inventory(
                upload.read(), upload.name, request.user, form.cleaned_data["name"]
            )
            messages.success(request, _("%(n)s sources imported.") % {"n": result.created})
            return redirect("emissions:inventories")
        except ImportRejected as exc:
            errors = exc.errors
    return render(
        request,
        "emissions/inventories.html",
        {
            "form": form,
            "errors": errors,
            "inventories": Inventory.objects.visible_to(request.user),
        },
    )
