"""The overdue scan's writes: one update-stream entry and audit entry per change, notifications
deduplicated, texts stored verbatim (PostgreSQL stores them with COPY), each case updated once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coact.cases import services
from coact.cases.models import Case, CaseUpdate
from coact.core.audit import log_bulk_changes
from coact.core.models import Notification, Region

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
# Received Thu 2025-10-09 09:00, 12345 rule, 13 working days: 10-10 1, Sat 10-11 (adjusted
# working day) 2, 10-13..10-17 3-7, 10-20..10-24 8-12, Mon 10-27 13 -> due 10-27 23:59:59.
# Escalation level 1 (urge) right after the deadline; level 2 five working days later:
# 10-28 1, 10-29 2, 10-30 3, 10-31 4, Mon 11-03 5 -> after 11-03 23:59:59.
RECEIVED_LATE = dt.datetime(2025, 10, 9, 9, 0, tzinfo=SH)
SCAN_AT = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SH)


def _late_case(title: str = "夜间异味") -> Case:
    case = services.open_case(
        "complaint",
        title=title,
        description="化工厂夜间排放刺鼻异味",
        source="12345",
        category="air.odour",
        region=Region.objects.get(code="320682"),
        received_at=RECEIVED_LATE,
    )
    Case.objects.filter(pk=case.pk).update(assigned_unit="county")
    return case


def test_each_escalated_case_gets_its_stream_entries_and_audit_entry(rugao) -> None:
    case = _late_case()
    services.scan_overdue(SCAN_AT)
    stream = list(
        CaseUpdate.objects.filter(case=case, kind__in=["overdue", "escalation"]).order_by(
            "created", "pk"
        )
    )
    assert [u.kind for u in stream] == ["overdue", "escalation"]
    assert stream[1].payload == {"level": 1, "action": "urge"}
    assert case.number in stream[1].text and stream[0].public is False
    entry = LogEntry.objects.get_for_object(case).get(
        action=LogEntry.Action.UPDATE, changes__has_key="escalation_level"
    )
    assert entry.changes == {"escalation_level": ["0", "1"]}
    assert entry.actor is None
    assert entry.object_repr == case.number and entry.timestamp == SCAN_AT
    case.refresh_from_db()
    assert case.overdue and case.escalation_level == 1
    assert case.next_escalation_at == dt.datetime(2025, 11, 3, 23, 59, 59, tzinfo=SH)


def test_cases_changing_alike_share_one_update_statement(rugao) -> None:
    first, second = _late_case("甲"), _late_case("乙")
    with CaptureQueriesContext(connection) as queries:
        services.scan_overdue(SCAN_AT)
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "cases_case"')]
    # Both turn overdue and reach level 1 with the same next step: one UPDATE, not one for
    # the overdue flag and another for the escalation.
    assert len(updates) == 1
    assert Case.objects.filter(pk__in=[first.pk, second.pk], overdue=True).count() == 2


def test_a_notification_already_sent_is_not_sent_again(rugao) -> None:
    case, other = _late_case(), _late_case("另一件")
    key = f"case:{case.pk}:escalate:1"
    Notification.objects.create(user=rugao, text="earlier", key=key)
    result = services.scan_overdue(SCAN_AT)
    assert list(Notification.objects.filter(key=key).values_list("text", flat=True)) == ["earlier"]
    assert Notification.objects.filter(user=rugao, key=f"case:{other.pk}:escalate:1").exists()
    assert result.notifications == 2  # attempted, as before: one per case and recipient


def test_texts_are_stored_verbatim(rugao) -> None:
    title = 'tab\there "quoted" back\\slash\nnew line %s {x} ‘中文’'
    case = _late_case(title)
    services.scan_overdue(SCAN_AT)
    update = CaseUpdate.objects.get(case=case, kind="escalation")
    note = Notification.objects.get(user=rugao, key=f"case:{case.pk}:escalate:1")
    assert title in update.text and title in note.text
    assert note.link == f"/cases/{case.pk}/" and note.read is False


def test_a_reminder_moves_on_to_the_next_pending_moment(rugao) -> None:
    case = services.open_case(
        "complaint",
        title="扬尘",
        source="12369",
        category="air.dust",
        region=Region.objects.get(code="320682"),
        received_at=dt.datetime(2025, 11, 3, 9, 0, tzinfo=SH),
    )
    passed, missed = SCAN_AT - dt.timedelta(hours=1), SCAN_AT - dt.timedelta(minutes=30)
    next_one, last_one = SCAN_AT + dt.timedelta(days=1), SCAN_AT + dt.timedelta(days=2)
    Case.objects.filter(pk=case.pk).update(
        assigned_unit="county",
        remind_at=passed,
        reminders_pending=[missed.isoformat(), next_one.isoformat(), last_one.isoformat()],
    )
    result = services.scan_overdue(SCAN_AT)
    case.refresh_from_db()
    assert result.reminders == 1
    assert case.remind_at == next_one and case.reminders_pending == [last_one.isoformat()]
    sent = passed.astimezone(dt.UTC).isoformat()  # the key names the stored moment
    assert Notification.objects.filter(key=f"case:{case.pk}:remind:{sent}").exists()


def test_log_bulk_changes_keeps_actor_text_and_shared_diffs(office, rugao) -> None:
    case, other = _late_case(), _late_case()
    diff = {"bulk_test": ["a", "b"]}  # one object for both rows: encoded once, stored twice
    log_bulk_changes(Case, [(case.pk, "x" * 300, diff), (other.pk, "y", diff)], actor=office)
    entries = LogEntry.objects.filter(changes__has_key="bulk_test").order_by("object_id")
    assert [(e.object_id, e.object_pk, e.actor_id) for e in entries] == [
        (case.pk, str(case.pk), office.pk),
        (other.pk, str(other.pk), office.pk),
    ]
    assert len(entries[0].object_repr) == 200 and entries[1].changes == diff
    assert entries[0].changes_text == "" and entries[0].timestamp is not None


def test_a_large_scan_refreshes_the_planner_statistics(rugao, monkeypatch) -> None:
    """ANALYZE after a scan that changed many cases (threshold lowered to 1 here), and not
    after a scan that changed nothing."""
    _late_case()
    monkeypatch.setattr(services, "REFRESH_STATISTICS_AFTER", 1)
    with CaptureQueriesContext(connection) as large:
        services.scan_overdue(SCAN_AT)
    with CaptureQueriesContext(connection) as quiet:
        services.scan_overdue(SCAN_AT)
    analyze = [q["sql"] for q in large.captured_queries if q["sql"].startswith("ANALYZE")]
    assert analyze == [f"ANALYZE {connection.ops.quote_name(Case._meta.db_table)}"]
    assert not [q for q in quiet.captured_queries if q["sql"].startswith("ANALYZE")]
