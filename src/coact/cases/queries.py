"""Read models of the case pages and API: the filtered list and the case page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coact.core.audit import history_for, readable_changes
from coact.core.models import Region

from .models import Case, CaseLink, Evidence, StateGroup

LIST_COLUMNS = (
    "id",
    "number",
    "case_type",
    "state",
    "state_group",
    "title",
    "category",
    "urgency",
    "received_at",
    "due_at",
    "overdue",
    "escalation_level",
    "region_id",
    "illustrative",
    "responsible_department_id",
)


@dataclass(frozen=True)
class CaseFilters:
    case_type: str = ""
    group: str = ""
    county: str = ""
    overdue: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> CaseFilters:
        return cls(
            **{
                k: (params.get(k) or "").strip()
                for k in ("case_type", "group", "county", "overdue", "q")
            }
        )


def filtered_cases(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    cases = Case.objects.visible_to(user)
    # Every scope path of Case is a column of the case row (no to-many join), so no row can
    # repeat: DISTINCT would only force SQL to sort every visible case before LIMIT.
    cases.query.distinct = False
    if filters.case_type:
        cases = cases.filter(case_type=filters.case_type)
    if filters.group in StateGroup.values:
        cases = cases.filter(state_group=filters.group)
    if filters.county:
        region = Region.objects.filter(code=filters.county).first()
        cases = cases.filter(region_id__in=region.subtree_ids() if region else [])
    if filters.overdue in ("1", "true", "yes"):
        cases = cases.filter(state_group=StateGroup.OPEN, overdue=True)
    if filters.q:
        cases = cases.filter(Q(number__icontains=filters.q) | Q(title__icontains=filters.q))
    return cases.order_by("-received_at", "-id")


def page_of(cases: QuerySet[Case], page: int, size: int = 50) -> dict[str, Any]:
    """One page of a list; counting stops at 10,000 so a huge list stays fast."""
    page = max(page, 1)
    rows = list(
        cases.select_related("region", "responsible_department")[
            (page - 1) * size : page * size + 1
        ]
    )
    more = len(rows) > size
    return {
        "rows": rows[:size],
        "page": page,
        "has_next": more,
        "has_previous": page > 1,
        "next_page": page + 1,
        "previous_page": page - 1,
    }


def timeline(case: Case, public_only: bool = False) -> list[dict[str, Any]]:
    """Updates and audit entries of a case, oldest first; an audit entry comes with its
    changes as people read them (``changes``, see coact.core.audit.readable_changes)."""
    # Through the case's own manager each update knows its case (labels need the case type)
    # without one query per row.
    updates = case.updates.select_related("actor")
    if public_only:
        updates = updates.filter(public=True)
    items = [{"at": u.created, "kind": u.kind, "update": u} for u in updates]
    if not public_only:
        items += [
            {"at": e.timestamp, "kind": "audit", "entry": e, "changes": readable_changes(e, case)}
            for e in history_for(case).select_related("content_type")[:200]
        ]
    return sorted(items, key=lambda item: item["at"])


def case_parts(case: Case) -> dict[str, Any]:
    links = list(CaseLink.objects.filter(case=case).select_related("target_case"))
    for link in links:
        link.kind_label, link.target_label, link.target_url = describe_link(link)
        link.note_shown = _meaningful_note(link)
    return {
        "evidence": Evidence.objects.filter(case=case).select_related("uploaded_by"),
        "links": links,
    }


# How links read (cases.services link / _add_link write the kind and "app_label.model:pk").
LINK_KINDS = {
    "source": _("Source record"),
    "related": _("Related"),
    "duplicate": _("Duplicate report"),
    "duplicate_of": _("Duplicate of"),
    "recurrence_of": _("Recurrence of"),
}
# Records of other apps that cases link to, by "app_label.model" (names only: no import).
RECORD_KINDS = {
    "monitoring.alarm": _("Alarm"),
    "forecast.forecastrun": _("Ozone forecast"),
}
_DEFAULT_STR = re.compile(r"^\w+ object \(\d+\)$")  # Django's str() of a model without __str__


def describe_link(link: CaseLink) -> tuple[str, str, str]:
    """(kind in the page language, what the target is, its page URL or "")."""
    kind = str(LINK_KINDS.get(link.kind, link.kind))
    if link.target_case is not None:
        return (
            kind,
            f"{link.target_case.number} {link.target_case.title}",
            link.target_case.get_absolute_url(),
        )
    record = _linked_record(link.target)
    if record is None:
        return kind, link.target or "—", ""
    model, pk, obj = record
    label = f"{record_kind_label(model)} #{pk}"
    text = str(obj) if obj is not None else ""
    if text and not _DEFAULT_STR.match(text):
        label = f"{label} · {text}"
    url = obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else ""
    return kind, label, url


def record_kind_label(model: type[Model]) -> str:
    known = RECORD_KINDS.get(model._meta.label_lower)
    return str(known) if known is not None else capfirst(gettext(str(model._meta.verbose_name)))


def _linked_record(target: str) -> tuple[type[Model], str, Model | None] | None:
    """The model, key and record (None when deleted) of an "app_label.model:pk" target."""
    reference, _sep, pk = (target or "").partition(":")
    if not pk or "." not in reference:
        return None
    try:
        model = django_apps.get_model(reference)
    except (LookupError, ValueError):
        return None
    try:
        return model, pk, model._base_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        return model, pk, None


def _meaningful_note(link: CaseLink) -> str:
    """The link's note unless it only names the target: Django's "X object (n)", or the
    record's own str() that _add_link stores as the note (in the language of its day)."""
    note = link.note
    if not note or _DEFAULT_STR.match(note) or note in link.target_label:
        return ""
    record = _linked_record(link.target)
    if record is not None and record[2] is not None:
        for language in ("zh-hans", "en"):
            with translation.override(language):
                if note == str(record[2]):
                    return ""
    return note


def due_soon(user: Any, days: int = 3, now: dt.datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    return Case.objects.visible_to(user).filter(
        state_group=StateGroup.OPEN, overdue=False, due_at__lte=now + dt.timedelta(days=days)
    )
