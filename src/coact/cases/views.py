"""Thin views over cases.services and cases.queries; scope comes from visible_to()."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coact.core.models import Region

from . import queries, registry, services
from .forms import CommentForm, EvidenceForm, TransitionForm
from .models import Case, Evidence, StateGroup


def _type_choices() -> list[tuple[str, str]]:
    english = (get_language() or "").startswith("en")
    return [(name, ct.en if english else ct.zh) for name, ct in services.case_types().items()]


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    filters = queries.CaseFilters.from_query(request.GET)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    context = {
        "filters": filters,
        **queries.page_of(queries.filtered_cases(request.user, filters), page),
        "types": _type_choices(),
        "groups": StateGroup.choices,
        "counties": Region.objects.exclude(kind="city"),
        "language": get_language() or "zh",
    }
    template = "cases/_rows.html" if request.htmx else "cases/list.html"
    return render(request, template, context)


def _extension_unit(case: Case) -> str:
    policy = services.sla_for(case).extension
    return policy.max.unit if policy else ""


def detail_context(
    request: HttpRequest, case: Case, failed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The case page: fields, allowed actions with their forms, timeline, type panel."""
    actions = []
    for action in services.available_actions(case, request.user):
        if failed and failed["name"] == action.transition.name:
            form = failed["form"]
        else:
            form = TransitionForm(
                action.fields,
                initial={"expected_version": case.version},
                extension_unit=_extension_unit(case),
            )
        actions.append(
            {
                "action": action,
                "form": form,
                "label": services.transition_label(
                    case.case_type, action.transition.name, get_language() or "zh"
                ),
            }
        )
    hooks = registry.hooks(case.case_type)
    panel = hooks.panel_context(request, case) if hooks.panel_context else {}
    ct = services.case_type(case.case_type)
    return {
        "case": case,
        "case_type": ct,
        "actions": actions,
        "timeline": queries.timeline(case),
        **queries.case_parts(case),
        "comment_form": CommentForm(),
        "evidence_form": EvidenceForm(),
        "state_label": services.state_label(case.case_type, case.state, get_language() or "zh"),
        "panel_template": hooks.panel_template,
        "panel": panel,
        "failed": failed,
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(
        Case.objects.visible_to(request.user).select_related(
            "region", "responsible_department", "subject_enterprise", "assignee", "master"
        ),
        pk=pk,
    )
    return render(request, "cases/detail.html", detail_context(request, case))


@login_required
@require_POST
def case_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    ct = services.case_type(case.case_type)
    if name not in ct.transitions:
        raise PermissionDenied(f"no transition {name}")
    specs = services.transition_fields(case.case_type, name)
    form = TransitionForm(specs, request.POST, request.FILES, extension_unit=_extension_unit(case))
    status = 400
    if form.is_valid():
        files = [request.FILES["evidence"]] if "evidence" in request.FILES else []
        try:
            services.transition(
                case,
                name,
                request.user,
                form.payload(),
                expected_version=form.cleaned_data["expected_version"],
                files=files,
            )
            messages.success(
                request,
                _("Done: %(step)s.")
                % {"step": services.transition_label(case.case_type, name, get_language() or "zh")},
            )
            return redirect("cases:detail", pk=case.pk)
        except services.Conflict as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not take this step."))
            status = 403
    case.refresh_from_db()
    context = detail_context(request, case, failed={"name": name, "form": form})
    return render(request, "cases/detail.html", context, status=status)


def _add_errors(form: TransitionForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.message_dict.items():
            form.add_error(
                field_name if field_name in form.fields else None,
                [f"{field_name}: {e}" if field_name not in form.fields else e for e in errors],
            )
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def case_comment(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.add_comment(case, request.user, form.cleaned_data["text"])
        messages.success(request, _("Comment added."))
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def case_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(Case.objects.visible_to(request.user), pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        services.attach_evidence(
            case, request.user, form.cleaned_data["file"], form.cleaned_data["note"]
        )
        messages.success(request, _("Evidence attached."))
    else:
        messages.error(request, _("Choose a file."))
    return redirect("cases:detail", pk=pk)


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence is served only to those who may see its case (never a public media URL)."""
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from coact.core import charts

    cases = Case.objects.visible_to(request.user)
    by_type = services.counts_by(cases, "case_type")
    names = dict(_type_choices())
    chart = charts.stacked_bar_chart(
        [names.get(t, t) for t in by_type],
        {
            _("Open"): [v["open"] - v["overdue"] for v in by_type.values()],
            _("Overdue"): [v["overdue"] for v in by_type.values()],
            _("Closed"): [v["closed"] for v in by_type.values()],
            _("Fixed"): [v["fixed"] for v in by_type.values()],
        },
        colours={
            _("Open"): "#66bb6a",
            _("Overdue"): "#c62828",
            _("Closed"): "#9e9e9e",
            _("Fixed"): "#2e7d32",
        },
        title=_("Cases by type"),
    )
    return render(
        request,
        "cases/dashboard.html",
        {
            "summary": services.summary(cases),
            "chart": chart,
            "due_soon": queries.due_soon(request.user)[:20],
        },
    )
