"""Thin views: the problem list and registration form, exports, and the case-page panel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coact.core.models import Enterprise, Region

from . import services
from .models import Problem, ProblemSource, Severity

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem"), max_length=300)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False
    )
    region = forms.ModelChoiceField(
        label=_("County"), queryset=Region.objects.exclude(kind="city"), required=False
    )
    source = forms.ChoiceField(label=_("Source"), choices=ProblemSource.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    category = forms.CharField(
        label=_("Category code"), max_length=80, initial="air.industrial_emission"
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    found_by = forms.CharField(label=_("Found by"), max_length=200, required=False)
    found_on = forms.DateField(
        label=_("Found on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    problems = Problem.objects.visible_to(request.user).select_related(
        "case", "case__subject_enterprise", "case__region"
    )
    state = request.GET.get("group", "")
    if state:
        problems = problems.filter(case__state_group=state)
    form = None
    if services.can_register(request.user):
        form = ProblemForm(
            request.user, request.POST or None, initial={"found_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                problem = services.register_problem(
                    title=d["title"],
                    description=d["description"],
                    enterprise=d["enterprise"],
                    source=d["source"],
                    severity=d["severity"],
                    category=d["category"].strip(),
                    legal_basis=d["legal_basis"],
                    found_by=d["found_by"],
                    found_on=d["found_on"],
                    region=d["region"],
                    by=request.user,
                )
                messages.success(request, _("Problem registered."))
                if problem.recurrence_warning:
                    messages.warning(request, problem.recurrence_warning)
                return redirect("cases:detail", pk=problem.case_id)
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, str(exc))
    return render(
        request,
        "rectification/list.html",
        {"problems": problems[:500], "form": form, "group": state},
    )


@login_required
def export_problems(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.problem_list_xlsx(request.user), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="problem-list.xlsx"'
    return response


@login_required
def export_ledger(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.ledger_xlsx(request.user), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="rectification-ledger.xlsx"'
    return response


def panel_context(request: HttpRequest, case: Any) -> dict[str, Any]:
    problem = (
        Problem.objects.visible_to(request.user)
        .filter(case=case)
        .select_related("recurrence_of")
        .first()
    )
    if problem is None:
        return {}
    return {
        "problem": problem,
        "plans": problem.plans.prefetch_related("milestones")
        .select_related("submitted_by", "reviewed_by")
        .order_by("-version"),
    }
