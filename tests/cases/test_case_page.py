"""The case page reads well: audit entries with labels and names, state and role labels in the
page language, readable categories and links (coact.core.audit.readable_changes, cases.queries)."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.template import Context, Template
from django.utils import translation

from coact.cases import queries, services
from coact.core.audit import EMPTY, VALUE_LIMIT, history_for, log_update, readable_changes
from coact.core.models import Region
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _alarm_case() -> Any:
    """A monitoring-alarm case opened and dispatched by the system, as the alarm service does."""
    case = services.open_case(
        "monitoring_alarm",
        title="SO2 over the limit",
        description="二氧化硫(a21026) 小时均值折算浓度 90.43 mg/m³",
        source="monitoring",
        category="exceedance",
        urgency="urgent",
        region=Region.objects.get(code="320682"),
        links=[{"kind": "related", "target": "12369-2025-0042", "note": "hotline"}],
    )
    return services.transition(case, "dispatch", None, {"assignee": "county:320682"})


def _entry(case: Any, action: int) -> LogEntry:
    return history_for(case).filter(action=action).order_by("timestamp", "pk").first()


def test_create_entry_names_the_region_and_hides_internal_fields() -> None:
    case = _alarm_case()
    with translation.override("en"):
        rows = readable_changes(_entry(case, LogEntry.Action.CREATE), case)
    by_label = {row.label: row for row in rows}
    # The region's id is shown as its name, under the field's label; a creation has no "before".
    assert by_label["County"].after == Region.objects.get(code="320682").name
    assert by_label["County"].before is None
    assert by_label["State"].after == "Raised"  # the case type's state label, not "raised"
    assert by_label["Category"].after == "Emission over the limit"
    assert by_label["Urgency"].after == "Urgent"
    labels = " ".join(by_label).lower()
    for hidden in ("sla", "events", "escalation plan", "dedupe", "handlers", "reminders"):
        assert hidden not in labels
    for reverse_relation in ("updates", "links", "duplicates", "evidence", "id"):
        assert reverse_relation not in {label.lower() for label in by_label}
    # Only meaningful values: no empty one, no untouched default (overdue False, level 0).
    assert all(row.after != EMPTY for row in rows)
    assert "Overdue" not in by_label and "Escalation level" not in by_label
    assert not any("None" in row.after or ".None" in row.after for row in rows)


def test_changes_show_empty_as_dash_names_users_and_keep_raw_ids_of_deleted_rows() -> None:
    case = _alarm_case()
    handler = make_user("handler1", "county", region="320682")
    log_update(
        case,
        {
            "assignee": [None, handler.pk],
            "region": ["999999", None],  # no such region any more: the raw id stays
            "address": [None, "港城路 " * 40],
        },
    )
    entry = history_for(case).filter(action=LogEntry.Action.UPDATE).order_by("-pk").first()
    with translation.override("en"):
        rows = {row.label: (row.before, row.after) for row in readable_changes(entry, case)}
    assert rows["Assignee"] == (EMPTY, str(handler))
    assert rows["County"] == ("999999", EMPTY)
    before, after = rows["Location"]
    assert before == EMPTY and len(after) == VALUE_LIMIT and after.endswith("…")


def test_transition_entry_shows_state_labels_in_chinese() -> None:
    case = _alarm_case()
    entry = history_for(case).filter(changes__icontains="dispatched").first()
    with translation.override("zh-hans"):
        rows = readable_changes(entry, case)
    # The version counter and the transition name are bookkeeping: only the state is shown.
    assert [(row.before, row.after) for row in rows] == [("报警已产生", "已派发县区")]


def test_audit_changes_tag_renders_the_plan_history_pattern() -> None:
    case = _alarm_case()
    template = Template(
        "{% load coact %}{% for e in history %}{{ e|audit_action }}: "
        "{% audit_changes e as changes %}"
        '{% include "core/_audit_changes.html" %}{% endfor %}'
    )
    with translation.override("en"):
        html = template.render(Context({"history": list(history_for(case))}))
    assert "created" in html and "changed" in html
    assert "cases.CaseUpdate.None" not in html and "sla_rule" not in html
    assert Region.objects.get(code="320682").name in html


def test_case_page_in_chinese(client: Any, office: Any) -> None:
    case = _alarm_case()
    client.force_login(office)
    html = client.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "报警已产生 → 已派发县区" in html  # the transition line, not "raised → dispatched"
    assert ">system<" not in html and ">系统<" in html  # an update without an actor
    assert "subject_enterprise" not in html and "escalation_plan" not in html
    assert "cases.CaseUpdate.None" not in html and "None →" not in html
    assert "exceedance" not in html.replace('data-link-kind="', "")


def test_links_read_as_kind_and_target() -> None:
    case = _alarm_case()
    other = services.open_case("complaint", title="夜间异味", source="12369", category="air.odour")
    services.link(case, other, kind="duplicate_of")
    with translation.override("en"):
        links = queries.case_parts(case)["links"]
    described = [(link.kind_label, link.target_label, link.note_shown) for link in links]
    assert ("Related", "12369-2025-0042", "hotline") in described
    assert ("Duplicate of", f"{other.number} {other.title}", "") in described
