"""Thin views over plan.services and plan.queries; scope comes from visible_to()."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.core import charts
from coact.core.audit import history_for
from coact.core.importing import ImportRejected
from coact.core.models import Department, Region, RegionKind
from coact.core.scope import scope_key

from . import assessment, queries, services, workbooks
from .forms import ObservationForm, OverrideForm, TaskReportForm, WorkbookUploadForm
from .models import Indicator, Observation, ObservationState, Plan, Status, Task, TaskReport

DASHBOARD_CACHE_SECONDS = 600
VALUES_SHOWN = 24  # newest values on an indicator page; ?all=1 shows every one


def current_plan(request: HttpRequest) -> Plan:
    """The plan chosen with ?plan=CODE, else the one whose period covers today, else the latest."""
    plans = Plan.objects.visible_to(request.user)
    code = request.GET.get("plan")
    if code:
        return get_object_or_404(plans, code=code)
    today = timezone.localdate()
    return (
        plans.filter(period_start__lte=today, period_end__gte=today).first()
        or plans.first()
        or _no_plan()
    )


def _no_plan() -> Plan:
    from django.http import Http404

    raise Http404("no plan is loaded: run `coact setup`")


def _status_chart(goals: list[dict[str, Any]], title: str) -> dict[str, Any]:
    labels = {s.value: str(s.label) for s in Status}
    return charts.stacked_bar_chart(
        [g["goal"].code for g in goals],
        {labels[s]: [g["counts"][s] for g in goals] for s in charts.STATUS_COLOURS},
        colours={labels[s]: c for s, c in charts.STATUS_COLOURS.items()},
        title=title,
    )


def _dashboard_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    data = queries.dashboard_data(plan, request.user)
    data["status_chart"] = _status_chart(data["goals"], _("Indicator status by goal"))
    labels = {s.value: str(s.label) for s in Status}
    for goal in data["goals"]:
        if goal["indicators"]:  # one small chart per goal: its indicators by status
            goal["chart"] = charts.pie_chart(
                {labels[k]: n for k, n in goal["counts"].items() if n},
                colours={labels[k]: c for k, c in charts.STATUS_COLOURS.items()})
    data["plans"] = Plan.objects.visible_to(request.user)
    if data["counties"]:
        data["county_chart"] = charts.stacked_bar_chart(
            [str(c["region"]) for c in data["counties"]],
            {
                _("Reports this quarter"): [c["reports"] for c in data["counties"]],
                _("Still due"): [max(c["expected"] - c["reports"], 0) for c in data["counties"]],
            },
            colours={_("Reports this quarter"): "#0b6e4f", _("Still due"): "#cfd8dc"},
            title=_("Counties: task reports for %(y)sQ%(q)s")
            % {"y": data["year"], "q": data["quarter"]},
        )
    return data


def _dashboard(request: HttpRequest, public: bool) -> HttpResponse:
    """The dashboard body is cached per plan data version, scope and language, so a page
    view costs one plan lookup until something it shows changes (see bump_data_version)."""
    plan = current_plan(request)
    key = ":".join(
        [
            "dashboard",
            str(plan.pk),
            str(plan.data_version),
            scope_key(request.user),
            get_language() or "",
            "public" if public else "staff",
        ]
    )
    body = cache.get(key)
    if body is None:
        context = _dashboard_context(request, plan)
        context["public"] = public
        body = render_to_string("plan/_dashboard_body.html", context, request)
        cache.set(key, body, DASHBOARD_CACHE_SECONDS)
    return render(request, "plan/dashboard.html", {"body": body, "plan": plan})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _dashboard(request, public=False)


def public_dashboard(request: HttpRequest) -> HttpResponse:
    """Read-only, no personal data: statuses and approved values only."""
    return _dashboard(request, public=True)


@login_required
def task_board(request: HttpRequest) -> HttpResponse:
    plan = current_plan(request)
    filters = {k: request.GET.get(k, "") for k in ("department", "county", "status")}
    rows = queries.task_board(plan, request.user, **filters)
    context = {
        "plan": plan,
        "rows": rows,
        "filters": filters,
        "statuses": Status.choices,
        "departments": Department.objects.filter(lead_tasks__plan=plan).distinct(),
        "counties": Region.objects.exclude(kind=RegionKind.CITY),
    }
    template = "plan/_task_rows.html" if request.htmx else "plan/tasks.html"
    return render(request, template, context)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(
        Task.objects.visible_to(request.user).prefetch_related("lead", "co", "indicators"), pk=pk
    )
    year, quarter = assessment.current_quarter(timezone.localdate())
    can_report = request.user.role in ("department", "county")
    form = TaskReportForm(
        request.POST or None, request.FILES or None, initial={"year": year, "quarter": quarter}
    )
    if request.method == "POST" and can_report and form.is_valid():
        d = form.cleaned_data
        try:
            services.submit_task_report(
                task,
                services.TaskReportInput(
                    year=d["year"],
                    quarter=d["quarter"],
                    narrative=d["narrative"],
                    percent_done=d["percent_done"],
                    problems=d["problems"],
                ),
                by=request.user,
                evidence=d.get("evidence"),
                expected_version=d.get("version"),
            )
            messages.success(request, _("Report submitted."))
            return redirect("plan:task", pk=task.pk)
        except (ValidationError, PermissionDenied, services.Conflict) as exc:
            form.add_error(None, str(exc))
    reports = (
        TaskReport.objects.visible_to(request.user)
        .filter(task=task)
        .select_related("department", "region", "submitted_by")
    )
    return render(
        request,
        "plan/task.html",
        {
            "task": task,
            "form": form,
            "reports": reports,
            "can_report": can_report,
            "history": history_for(task)[:20],
        },
    )


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    plan = current_plan(request)
    qs = (
        Indicator.objects.visible_to(request.user).filter(plan=plan).prefetch_related("responsible")
    )
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    return render(
        request,
        "plan/indicators.html",
        {"plan": plan, "indicators": qs, "status": status, "statuses": Status.choices},
    )


@login_required
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(
        Indicator.objects.visible_to(request.user)
        .select_related("plan", "goal")
        .prefetch_related("responsible", "tasks"),
        pk=pk,
    )
    can_report = services.can_report(request.user, indicator)
    form = ObservationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and can_report and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_observation(
                indicator,
                services.ObservationInput(
                    value=d["value"],
                    period_start=d["period_start"],
                    period_end=d["period_end"],
                    source=d["source"],
                    note=d["note"],
                ),
                by=request.user,
                evidence=d.get("evidence"),
            )
            messages.success(request, _("Value submitted for approval."))
            return redirect("plan:indicator", pk=indicator.pk)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(
                None, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            )
    data = queries.indicator_chart_data(indicator)
    observed_label = _("Observed")
    if indicator.observations.filter(illustrative=True, state=ObservationState.APPROVED).exists():
        observed_label = _("Observed (illustrative demo data)")
    chart = charts.line_chart(
        data["dates"],
        [
            {"name": observed_label, "data": data["observed"], "colour": "#0b6e4f"},
            {
                "name": _("Projection"),
                "data": data["projected"],
                "dashed": True,
                "colour": "#7e57c2",
            },
            {
                "name": _("Target trajectory"),
                "data": data["trajectory"],
                "dashed": True,
                "colour": "#f57c00",
            },
        ],
        y_name=indicator.unit,
    )
    observations_qs = (
        Observation.objects.visible_to(request.user)
        .filter(indicator=indicator)
        .select_related("region", "reported_by", "reviewed_by")
        .order_by("-period_end", "-reported_at")
    )
    region = request.GET.get("region", "")
    if region:
        observations_qs = observations_qs.filter(region__code=region)
    total = observations_qs.count()
    show_all = request.GET.get("all") == "1"
    observations = observations_qs if show_all else observations_qs[:VALUES_SHOWN]
    return render(
        request,
        "plan/indicator.html",
        {
            "indicator": indicator,
            "chart": chart,
            "observations": observations,
            "values_total": total,
            "values_truncated": not show_all and total > VALUES_SHOWN,
            "form": form,
            "can_report": can_report,
            "can_approve": services.can_approve(request.user),
            "override_form": OverrideForm(),
            "history": history_for(indicator)[:30],
            "overrides": indicator.overrides.select_related("set_by")[:10],
        },
    )


@login_required
@require_POST
def indicator_override(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = get_object_or_404(Indicator.objects.visible_to(request.user), pk=pk)
    if request.POST.get("clear"):
        services.clear_override(indicator, request.user)
    else:
        form = OverrideForm(request.POST)
        if form.is_valid():
            services.set_override(
                indicator, form.cleaned_data["status"], form.cleaned_data["reason"], request.user
            )
        else:
            messages.error(request, _("Give a status and a reason."))
    return redirect("plan:indicator", pk=pk)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    if not services.can_approve(request.user):
        raise PermissionDenied
    pending = (
        Observation.objects.visible_to(request.user)
        .filter(state=ObservationState.SUBMITTED)
        .select_related("indicator", "region", "department", "reported_by")
    )
    reports = (
        TaskReport.objects.visible_to(request.user)
        .filter(state="submitted")
        .select_related("task", "department", "region", "submitted_by")
    )
    return render(request, "plan/approvals.html", {"pending": pending, "reports": reports})


@login_required
@require_POST
def review_observation(request: HttpRequest, pk: int) -> HttpResponse:
    obs = get_object_or_404(Observation.objects.visible_to(request.user), pk=pk)
    comment = request.POST.get("comment", "")
    try:
        if request.POST.get("decision") == "approve":
            services.approve_observation(obs, request.user, comment)
        else:
            services.reject_observation(obs, request.user, comment)
        message, ok = _("Done."), True
    except (services.Conflict, ValidationError, PermissionDenied) as exc:
        message, ok = (exc.messages[0] if isinstance(exc, ValidationError) else str(exc)), False
    obs.refresh_from_db()
    if request.htmx:
        return render(request, "plan/_reviewed.html", {"obs": obs, "message": message, "ok": ok})
    (messages.success if ok else messages.error)(request, message)
    return redirect("plan:approvals")


@login_required
@require_POST
def review_report(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(TaskReport.objects.visible_to(request.user), pk=pk)
    try:
        services.review_task_report(
            report,
            request.user,
            request.POST.get("decision") == "approve",
            request.POST.get("comment", ""),
        )
        messages.success(request, _("Done."))
    except (services.Conflict, ValidationError, PermissionDenied) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
    return redirect("plan:approvals")


@login_required
def workbook(request: HttpRequest) -> HttpResponse:
    plan = current_plan(request)
    year, quarter = assessment.current_quarter(timezone.localdate())
    year = int(request.GET.get("year", year))
    quarter = int(request.GET.get("quarter", quarter))
    if request.GET.get("download"):
        content = workbooks.unit_workbook(request.user, plan, year, quarter)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="coact-{plan.code}-{year}Q{quarter}.xlsx"'
        )
        return response
    form = WorkbookUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = workbooks.import_unit_workbook(upload.read(), upload.name, request.user, plan)
            messages.success(request, _("%(n)s rows imported.") % {"n": result.created})
            return redirect("plan:workbook")
        except ImportRejected as exc:
            errors = exc.errors
    return render(
        request,
        "plan/workbook.html",
        {"plan": plan, "form": form, "errors": errors, "year": year, "quarter": quarter},
    )


@login_required
def assessment_view(request: HttpRequest) -> HttpResponse:
    if not services.can_approve(request.user):
        raise PermissionDenied
    plan = current_plan(request)
    year, quarter = assessment.current_quarter(timezone.localdate())
    year = int(request.GET.get("year", year))
    quarter = int(request.GET.get("quarter", quarter))
    rows = assessment.assessment(plan, year, quarter)
    return render(
        request,
        "plan/assessment.html",
        {
            "plan": plan,
            "rows": rows,
            "year": year,
            "quarter": quarter,
            "weights": assessment.config(),
        },
    )


def export_board(request: HttpRequest) -> HttpResponse:
    plan = current_plan(request)
    response = HttpResponse(
        workbooks.board_workbook(plan, request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="coact-{plan.code}-board.xlsx"'
    return response
