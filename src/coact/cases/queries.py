"""Read models of the case pages and API: the filtered list and the case page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from coact.core.audit import history_for
from coact.core.models import Region

from .models import Case, CaseLink, CaseUpdate, Evidence, StateGroup

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
    """Updates and audit entries of a case, oldest first."""
    updates = CaseUpdate.objects.filter(case=case).select_related("actor")
    if public_only:
        updates = updates.filter(public=True)
    items = [{"at": u.created, "kind": u.kind, "update": u} for u in updates]
    if not public_only:
        items += [{"at": e.timestamp, "kind": "audit", "entry": e} for e in history_for(case)[:200]]
    return sorted(items, key=lambda item: item["at"])


def case_parts(case: Case) -> dict[str, Any]:
    return {
        "evidence": Evidence.objects.filter(case=case).select_related("uploaded_by"),
        "links": CaseLink.objects.filter(case=case).select_related("target_case"),
    }


def due_soon(user: Any, days: int = 3, now: dt.datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    return Case.objects.visible_to(user).filter(
        state_group=StateGroup.OPEN, overdue=False, due_at__lte=now + dt.timedelta(days=days)
    )
