"""Thin views: the public form and tracking page, the staff dashboard, imports, exports,
follow-ups and merging. The complaint's case page is the case engine's, with a panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.cases import services as cases
from coact.core import charts
from coact.core.importing import ImportRejected
from coact.core.models import Enterprise

from . import queries, services
from .forms import (
    DUPLICATE_REASONS,
    FOLLOW_UP_METHODS,
    FollowUpForm,
    ImportForm,
    PublicComplaintForm,
    TrackForm,
)
from .models import Channel, Complaint, FollowUp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enterprise(text: str) -> Enterprise | None:
    text = text.strip()
    if not text:
        return None
    return (
        Enterprise.objects.filter(uscc=text).first() or Enterprise.objects.filter(name=text).first()
    )


def public_new(request: HttpRequest) -> HttpResponse:
    """The public complaint form: anonymous allowed; the number and access code are shown once."""
    form = PublicComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            complaint, code = services.file_complaint(
                services.ComplaintInput(
                    description=d["description"],
                    category=d["category"],
                    address=d["address"],
                    lon=d["lon"],
                    lat=d["lat"],
                    anonymous=d["anonymous"],
                    reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"],
                    reporter_email=d["reporter_email"] or "",
                    enterprise=_enterprise(d["enterprise"]),
                    source="online",
                ),
                channel=Channel.WEB,
            )
            return render(request, "complaints/filed.html", {"complaint": complaint, "code": code})
        except ValidationError as exc:
            for field_name, errors in exc.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
    return render(request, "complaints/new.html", {"form": form})


def track(request: HttpRequest) -> HttpResponse:
    """A reporter follows their complaint by its number and access code (no login)."""
    form = TrackForm(request.POST or request.GET or None)
    complaint = None
    if form.is_bound and form.is_valid():
        complaint = services.find_for_public(form.cleaned_data["number"], form.cleaned_data["code"])
        if complaint is None:
            form.add_error(None, _("No complaint matches this number and access code."))
        elif request.method == "POST" and request.POST.get("reopen_reason", "").strip():
            try:
                services.public_reopen(
                    complaint, form.cleaned_data["code"], request.POST["reopen_reason"]
                )
                messages.success(request, _("Your complaint was reopened."))
                complaint.case.refresh_from_db()
            except (ValidationError, PermissionDenied, cases.Conflict) as exc:
                form.add_error(None, str(exc))
    context: dict[str, Any] = {"form": form, "complaint": complaint}
    if complaint is not None:
        case = complaint.case
        context.update(
            {
                "state": cases.state_label(case.case_type, case.state, "zh"),
                "steps": _public_steps(complaint),
                "can_reopen": "reopen" in cases.case_type("complaint").transitions
                and case.state in cases.case_type("complaint").transitions["reopen"].from_states,
            }
        )
    return render(request, "complaints/track.html", context)


def _public_steps(complaint: Complaint) -> list[dict[str, Any]]:
    """What the reporter sees: each step's state and date, the reply text; no internal notes."""
    case = complaint.case
    steps = []
    for update in case.updates.filter(public=True, kind__in=["opened", "transition"]).order_by(
        "created"
    ):
        steps.append(
            {
                "at": update.created,
                "state": cases.state_label(case.case_type, update.to_state, "zh"),
                "reply": update.payload.get("reply", "") if update.transition == "reply" else "",
            }
        )
    return steps


# --- the panel on the case page ------------------------------------------------------------------


def panel_context(request: HttpRequest, case: Any) -> dict[str, Any]:
    complaint = Complaint.objects.visible_to(request.user).filter(case=case).first()
    if complaint is None:
        return {}
    may_merge = any(
        a.transition.name == "merge" for a in cases.available_actions(case, request.user)
    )
    return {
        "complaint": complaint,
        "contact_visible": services.can_view_contact(request.user),
        "duplicates": services.duplicates_for(complaint) if may_merge else [],
        "may_merge": may_merge,
        "follow_ups": complaint.follow_ups.select_related("operator"),
        "method_labels": dict(FOLLOW_UP_METHODS),
        "reason_labels": DUPLICATE_REASONS,
        "follow_up_form": FollowUpForm()
        if services.can_follow_up(request.user, complaint)
        else None,
    }


@login_required
@require_POST
def record_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(
        FollowUp.objects.visible_to(request.user).select_related("complaint__case"), pk=pk
    )
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.record_follow_up(visit, request.user, **form.cleaned_data)
            messages.success(request, _("Follow-up %(seq)s recorded.") % {"seq": visit.seq})
        except (ValidationError, PermissionDenied, cases.Conflict) as exc:
            messages.error(
                request, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            )
    else:
        messages.error(request, _("Fill in the result and the satisfaction."))
    return redirect("cases:detail", pk=visit.complaint.case_id)


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """One-click merge of a likely duplicate into this complaint (``pk`` is the master's case)."""
    master = get_object_or_404(Complaint.objects.visible_to(request.user), case_id=pk)
    duplicate = get_object_or_404(
        Complaint.objects.visible_to(request.user), pk=request.POST.get("duplicate")
    )
    try:
        services.merge(duplicate, master, request.user)
        messages.success(
            request,
            _("%(dup)s merged into %(master)s.")
            % {"dup": duplicate.case.number, "master": master.case.number},
        )
    except (ValidationError, PermissionDenied, cases.Conflict) as exc:
        messages.error(
            request, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        )
    return redirect("cases:detail", pk=pk)


# --- staff pages ---------------------------------------------------------------------------------


def _month(request: HttpRequest) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (
            int(x) for x in request.GET.get("month", f"{today.year}-{today.month}").split("-")
        )
        dt.date(year, month, 1)
    except ValueError:
        year, month = today.year, today.month
    return year, month


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    year, month = _month(request)
    stats = queries.monthly_statistics(request.user, year, month)
    county_chart = charts.stacked_bar_chart(
        [r["label"] for r in stats["by_county"]],
        {
            _("On time"): [r["on_time"] for r in stats["by_county"]],
            _("Late"): [r["ended"] - r["on_time"] for r in stats["by_county"]],
            _("Open"): [r["count"] - r["ended"] for r in stats["by_county"]],
        },
        colours={_("On time"): "#2e7d32", _("Late"): "#c62828", _("Open"): "#90a4ae"},
        title=_("Complaints received by county"),
    )
    category_chart = charts.pie_chart(
        {r["label"]: r["count"] for r in stats["by_category"]}, title=_("By category")
    )
    trend = queries.category_trend(request.user)
    trend_chart = charts.line_chart(
        trend["months"],
        [{"name": services.categories()[g].zh, "data": v} for g, v in trend["series"].items()],
        title=_("Category trend"),
    )
    spots = queries.hotspots(request.user)
    spot_chart = charts.scatter_chart(
        [
            {
                "name": _("Clusters"),
                "data": [[c["lon"], c["lat"], c["size"]] for c in spots["clusters"]],
            }
        ],
        x_name=_("Longitude"),
        y_name=_("Latitude"),
        title=_("Complaint clusters"),
    )
    return render(
        request,
        "complaints/dashboard.html",
        {
            "stats": stats,
            "county_chart": county_chart,
            "category_chart": category_chart,
            "trend_chart": trend_chart,
            "spot_chart": spot_chart,
            "spots": spots,
            "month": f"{year}-{month:02d}",
            "can_import": request.user.is_office,
            "import_form": ImportForm(),
        },
    )


@login_required
def import_hotline(request: HttpRequest) -> HttpResponse:
    if not request.user.is_office:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    errors, result = [], None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.import_hotline_file(upload.read(), upload.name, request.user)
            messages.success(
                request,
                _("%(new)s new work orders, %(old)s already imported.")
                % {"new": result.created, "old": result.unchanged},
            )
        except ImportRejected as exc:
            errors = exc.errors
    return render(
        request, "complaints/import.html", {"form": form, "errors": errors, "result": result}
    )


@login_required
def reply_sheet(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        start = (
            dt.date.fromisoformat(request.GET.get("start", ""))
            if request.GET.get("start")
            else today.replace(day=1)
        )
        end = dt.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
    except ValueError:
        start, end = today.replace(day=1), today
    response = HttpResponse(queries.reply_sheet(request.user, start, end), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="12345-reply-{start}-{end}.xlsx"'
    return response
