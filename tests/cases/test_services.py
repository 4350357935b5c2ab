"""The case engine through its service API: deadlines, transitions, conflicts, duties, scan."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coact.cases import services
from coact.cases.models import Case, CaseUpdate
from coact.core.models import Department, Notification, Region

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _complaint(**kw):
    fields = {
        "title": "夜间异味",
        "description": "化工厂夜间排放刺鼻异味",
        "source": "12369",
        "category": "air.odour",
        "region": Region.objects.get(code="320682"),
    }
    fields.update(kw)
    return services.open_case("complaint", **fields)


# --- deadlines on the official calendar (National Day 2025, Saturday 10-11 a working day) ---


def test_12345_complaint_due_13_working_days_across_national_day() -> None:
    # Received Fri 2025-09-26. Working days after it: Sun 09-28 (adjusted working day) 1,
    # 09-29 2, 09-30 3, [10-01..10-08 holiday], 10-09 4, 10-10 5, Sat 10-11 (adjusted) 6,
    # 10-13 7, 10-14 8, 10-15 9, 10-16 10, 10-17 11, 10-20 12, 10-21 13 -> due 10-21 23:59:59.
    case = _complaint(source="12345", received_at=dt.datetime(2025, 9, 26, 10, 0, tzinfo=SH))
    assert case.sla_rule == "complaint.12345"
    assert case.due_at.astimezone(SH) == dt.datetime(2025, 10, 21, 23, 59, 59, tzinfo=SH)


def test_urgent_complaint_due_the_next_working_day_after_the_holiday() -> None:
    # Rule complaint.urgent: 1 working day. Received Tue 09-30; 10-01..10-08 are off -> Thu 10-09.
    case = _complaint(urgency="urgent", received_at=dt.datetime(2025, 9, 30, 15, 0, tzinfo=SH))
    assert case.due_at.astimezone(SH) == dt.datetime(2025, 10, 9, 23, 59, 59, tzinfo=SH)


def test_alarm_due_on_the_adjusted_working_saturday() -> None:
    # monitoring_alarm resolves in 3 working days. Received Tue 09-30: 10-09 1, 10-10 2,
    # Sat 10-11 (调休 working day) 3 -> due Saturday 2025-10-11 23:59:59.
    case = services.open_case(
        "monitoring_alarm",
        title="COD 超标",
        source="monitoring",
        received_at=dt.datetime(2025, 9, 30, 9, 0, tzinfo=SH),
    )
    due = case.due_at.astimezone(SH)
    assert due == dt.datetime(2025, 10, 11, 23, 59, 59, tzinfo=SH)
    assert due.weekday() == 5


# --- opening ---------------------------------------------------------------------------


def test_dedupe_key_joins_the_open_case() -> None:
    first = services.open_case("monitoring_alarm", title="COD 超标", dedupe_key="ent1:COD")
    again = services.open_case("monitoring_alarm", title="COD 仍超标", dedupe_key="ent1:COD")
    assert again.pk == first.pk and again.joined and not first.joined
    assert Case.objects.filter(dedupe_key="ent1:COD").count() == 1
    assert CaseUpdate.objects.filter(case=first, kind="intake", text="COD 仍超标").exists()


def test_public_cannot_open_a_rectification_and_bad_fields_are_named(rugao) -> None:
    with pytest.raises(PermissionDenied):
        services.open_case("rectification", title="x", as_role="public")
    with pytest.raises(ValidationError) as err:
        services.open_case(
            "complaint", title="x", source="fax", category="air.nonsense", as_role="public"
        )
    assert {"source", "category"} <= set(err.value.message_dict)
    with pytest.raises(PermissionDenied):  # a county opens only in its own area
        services.open_case(
            "rectification", title="x", opened_by=rugao, region=Region.objects.get(code="320685")
        )


# --- conflicts -------------------------------------------------------------------------


def test_second_of_two_concurrent_actions_gets_a_conflict_and_nothing_is_stored(
    office, office2
) -> None:
    case = _complaint()
    seen = case.version  # both supervisors opened the page at this version
    services.transition(case, "accept", office, {}, expected_version=seen)
    updates_before = CaseUpdate.objects.filter(case=case).count()
    with pytest.raises(services.Conflict) as err:
        services.transition(
            case, "reject", office2, {"reason": "不属于环境问题"}, expected_version=seen
        )
    assert "office" in str(err.value) and case.number in str(err.value)
    case.refresh_from_db()
    assert case.state == "accepted" and case.version == seen + 1
    assert CaseUpdate.objects.filter(case=case).count() == updates_before


def test_conditional_update_catches_a_writer_between_read_and_write(office) -> None:
    from coact.cases import registry

    case = _complaint()

    def other_writer(fresh, name, actor, payload):  # commits between our read and our UPDATE
        Case.objects.filter(pk=fresh.pk).update(version=fresh.version + 1)

    registry.hooks("complaint").validate.append(other_writer)
    try:
        with pytest.raises(services.Conflict):
            services.transition(case, "accept", office, {})
    finally:
        registry.hooks("complaint").validate.remove(other_writer)
    case.refresh_from_db()
    assert case.state == "received"
    assert not CaseUpdate.objects.filter(case=case, kind="transition").exists()


# --- separation of duties, extension, merge, reopen ------------------------------------


def _handled_complaint(office, eco) -> Case:
    case = _complaint(responsible_department=Department.objects.get(code="ecology"))
    case = services.transition(case, "accept", office, {})
    case = services.transition(case, "dispatch", office, {"assignee": "department:ecology"})
    case = services.transition(case, "start", eco, {})
    return case


def test_handler_cannot_sign_off(office, eco, tmp_path) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _handled_complaint(office, eco)
    photo = SimpleUploadedFile("photo.jpg", b"jpeg-bytes")
    case = services.transition(case, "reply", eco, {"reply": "已责令整改"}, files=[photo])
    assert str(eco.pk) in case.handlers
    case = services.transition(case, "request_review", eco, {})
    eco.role = "supervisor"  # even promoted, the handler may not sign off
    eco.save()
    with pytest.raises(services.TransitionRefused) as err:
        services.transition(case, "confirm_fixed", eco, {"conclusion": "已解决"})
    assert err.value.decision.reason_code == "sign_off_by_handler"
    case = services.transition(case, "confirm_fixed", office, {"conclusion": "已解决"})
    assert case.state == "fixed" and case.state_group == "fixed" and case.closed_at is not None


def test_extension_moves_the_due_date_once(office, office2, eco) -> None:
    case = _handled_complaint(office, eco)
    old_due = case.due_at
    case = services.transition(case, "request_extension", eco, {"reason": "需监测", "extension": 5})
    case = services.transition(case, "approve_extension", office, {})
    assert case.due_at > old_due and case.extensions_granted == 1
    with pytest.raises(ValidationError) as err:  # the rule allows one extension
        services.transition(case, "request_extension", eco, {"reason": "再延", "extension": 5})
    assert "extension" in err.value.message_dict


def test_merge_links_both_cases_and_reopen_restarts_the_clock(office) -> None:
    master = _complaint()
    duplicate = _complaint(title="又有异味")
    duplicate = services.transition(duplicate, "merge", office, {"master_case_id": master.number})
    assert duplicate.state == "duplicate" and duplicate.master_id == master.pk
    assert master.links.filter(kind="duplicate", target_case=duplicate).exists()
    with pytest.raises(ValidationError):
        services.transition(master, "merge", office, {"master_case_id": master.number})


def test_missing_fields_are_named(office) -> None:
    case = services.transition(_complaint(), "accept", office, {})
    with pytest.raises(services.TransitionRefused) as err:
        services.transition(case, "dispatch", office, {"assignee": " "})
    assert "assignee" in err.value.message_dict


# --- the overdue scan ------------------------------------------------------------------


def test_scan_marks_overdue_reminds_and_escalates_once(office, rugao) -> None:
    now = dt.datetime(2025, 11, 3, 10, 0, tzinfo=SH)
    # Received 2025-10-09 with 13 working days: due 10-28; +5 working days = 11-04 for 通报.
    late = _complaint(source="12345", received_at=dt.datetime(2025, 10, 9, 9, 0, tzinfo=SH))
    Case.objects.filter(pk=late.pk).update(assigned_unit="county")
    soon = _complaint(source="12345", received_at=dt.datetime(2025, 10, 16, 9, 0, tzinfo=SH))
    result = services.scan_overdue(now)
    assert result.marked_overdue >= 1 and result.escalated.get(1, 0) >= 1
    late.refresh_from_db()
    assert late.overdue and late.escalation_level == 1
    assert Notification.objects.filter(user=rugao, key=f"case:{late.pk}:escalate:1").exists()
    soon.refresh_from_db()  # due 11-04 (13 working days): the reminder fires 11-03 09:00
    assert soon.remind_at is None and not soon.overdue
    assert Notification.objects.filter(key__startswith=f"case:{soon.pk}:remind:").exists()
    later = services.scan_overdue(dt.datetime(2025, 11, 5, 10, 0, tzinfo=SH))
    late.refresh_from_db()
    assert late.escalation_level == 2 and later.escalated.get(2) >= 1
    assert Notification.objects.filter(user=office, key=f"case:{late.pk}:escalate:2").exists()
    count = Notification.objects.count()
    services.scan_overdue(dt.datetime(2025, 11, 5, 11, 0, tzinfo=SH))
    assert Notification.objects.count() == count  # nothing sent twice
