"""SLA rules: most-specific-match resolution, deadlines, reminders, escalation, extensions,
and the four-follow-up plan."""

from __future__ import annotations

import datetime as dt

import pytest

from coact.engines.sla import (
    Duration,
    SlaError,
    check_extension,
    complaint_categories,
    default_sla_table,
    due_date,
    escalation_step,
    escalation_thresholds,
    follow_up_schedule,
    load_sla_table,
    missed_follow_ups,
    reminders,
    resolve_sla,
)
from coact.engines.workdays import LOCAL_TZ
from coact.engines.workflow import default_case_types


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ)


def eod(year: int, month: int, day: int) -> dt.datetime:
    return at(year, month, day, 23, 59, 59)


# ---------------------------------------------------------------- packaged table


def test_packaged_rules_resolve_by_source_and_urgency() -> None:
    assert resolve_sla("complaint", "12345", "air.odour", "normal").rule_id == "complaint.12345"
    assert resolve_sla("complaint", "12345", "air.odour", "urgent").rule_id == (
        "complaint.12345.urgent"
    )
    assert resolve_sla("complaint", "xinfang", None, None).rule_id == "complaint.xinfang"
    assert resolve_sla("complaint", "12369", "noise", "urgent").rule_id == "complaint.urgent"
    # An unknown channel is not an error: the catch-all applies.
    assert resolve_sla("complaint", "wechat", "water", "normal").rule_id == "complaint"


def test_packaged_values_follow_the_cited_patterns() -> None:
    hotline = resolve_sla("complaint", "12345", None, "normal")
    assert (hotline.deadlines["resolve"].value, hotline.deadlines["resolve"].unit) == (
        13,
        "working_days",
    )
    assert "13 working days" in hotline.ref
    xinfang = resolve_sla("complaint", "xinfang", None, "normal")
    resolve = xinfang.deadlines["resolve"]
    assert (resolve.value, resolve.unit, resolve.counted_from) == (60, "calendar_days", "accepted")
    assert xinfang.extension.max == Duration(30, "calendar_days", "received")
    # Inherited from `complaint` through `extends`.
    assert xinfang.deadlines["dispatch"].value == 1
    assert xinfang.follow_up_plan == "four_visits"


def test_every_case_type_has_a_rule_and_every_rule_cites_a_source() -> None:
    table = default_sla_table()
    for case_type in default_case_types():
        sla = resolve_sla(case_type, None, None, None)
        assert "resolve" in sla.deadlines
    assert all(rule.ref for rule in table.rules)


def test_12345_due_date_across_national_day() -> None:
    # 13 working days from Fri 2025-09-26 (see test_workdays for the day-by-day count).
    sla = resolve_sla("complaint", "12345", "water", "normal")
    assert due_date(sla, at(2025, 9, 26, 10)).due == eod(2025, 10, 21)
    # Urgent 12345: the same working day; received on a holiday it is the next working day.
    urgent = resolve_sla("complaint", "12345", "water", "urgent")
    assert due_date(urgent, at(2025, 10, 2, 9)).due == eod(2025, 10, 9)


def test_due_date_for_a_missing_milestone_names_the_known_ones() -> None:
    sla = resolve_sla("complaint", None, None, None)
    with pytest.raises(SlaError, match="no 'accept' deadline; it has: dispatch, resolve"):
        due_date(sla, at(2025, 1, 2), "accept")


# ---------------------------------------------------------------- specificity


def rule(rule_id: str, days: int, match: str = "") -> str:
    """One flow-style SLA rule: ``days`` working days to resolve, ``match`` extra keys."""
    deadline = f"{{resolve: {{value: {days}, unit: working_days, from: received}}}}"
    return f"- {{id: {rule_id}, case_type: complaint, ref: t, {match} deadlines: {deadline}}}"


RULES = [
    rule("any", 10),
    rule("air", 8, "category: air,"),
    rule("odour", 5, "category: air.odour,"),
    rule("hotline", 13, "source: '12345',"),
    rule("hotline.air", 6, "source: '12345', category: air,"),
    rule("hotline.odour", 4, "source: '12345', category: air.odour,"),
]
SPECIFIC = "rules:\n" + "\n".join(RULES) + "\n"


@pytest.mark.parametrize(
    ("source", "category", "expected", "days"),
    [
        ("12369", "air.odour", "odour", 5),  # sub-type beats its group
        ("12369", "air.dust", "air", 8),  # group covers its sub-types
        ("12369", "air", "air", 8),
        ("12369", "water.domestic_sewage", "any", 10),
        (None, None, "any", 10),
        ("12345", "air.dust", "hotline.air", 6),  # source + group beats either alone
        ("12345", "air.odour", "hotline.odour", 4),
        ("12345", "noise", "hotline", 13),
    ],
)
def test_most_specific_rule_wins(source, category, expected, days) -> None:
    table = load_sla_table(SPECIFIC, known_case_types={"complaint"})
    sla = resolve_sla("complaint", source, category, "normal", table=table)
    assert (sla.rule_id, sla.deadlines["resolve"].value) == (expected, days)


def test_missing_overlap_rule_is_refused_at_load() -> None:
    # Without hotline.odour, "12345" and "air.odour" both match 12345 odour complaints and
    # hotline.air (12345, air) and odour (air.odour) do too: neither is more specific.
    text = "rules:\n" + "\n".join(r for r in RULES if "hotline.odour" not in r) + "\n"
    with pytest.raises(SlaError) as caught:
        load_sla_table(text, known_case_types={"complaint"})
    message = str(caught.value)
    assert "rules 'odour' and 'hotline' both match complaint cases with" in message
    assert "'source': '12345', 'category': 'air.odour'" in message
    assert "add a rule for exactly that combination" in message


def test_table_errors_name_rule_and_field() -> None:
    bad = """\
rules:
  - {id: a, case_type: complaint, source: pager, ref: t,
     deadlines: {resolve: {value: 3, unit: fortnights, from: received}}}
  - {id: b, extends: nowhere, case_type: complaint, urgency: urgent, ref: t,
     deadlines: {resolve: {value: 1, unit: working_days, from: received}}}
  - {id: c, case_type: complaint, category: air.smell,
     deadlines: {resolve: {value: 1, unit: working_days}}}
"""
    with pytest.raises(SlaError) as caught:
        load_sla_table(bad, known_case_types={"complaint"})
    message = str(caught.value)
    assert "rules[0] (a): source: unknown source 'pager'" in message
    assert "rules[0] (a): deadlines.resolve.unit: 'fortnights' is not one of" in message
    assert "rules[1] (b): extends: 'nowhere' is unknown or part of a cycle" in message
    assert "rules[2] (c): category: unknown category 'air.smell'" in message
    assert "rules[2] (c): ref: every rule must cite its source" in message
    assert "rules[2] (c): deadlines.resolve.from: name the event" in message


def test_catch_all_is_required() -> None:
    only_urgent = """\
rules:
  - {id: u, case_type: complaint, urgency: urgent, ref: t,
     deadlines: {resolve: {value: 1, unit: working_days, from: received}}}
"""
    with pytest.raises(SlaError, match="case type 'complaint' needs a catch-all rule"):
        load_sla_table(only_urgent, known_case_types={"complaint"})


# ---------------------------------------------------------------- around the due date


def test_reminder_one_working_day_before_due() -> None:
    sla = resolve_sla("complaint", "12345", None, "normal")
    # Due 2025-10-21 (Tue): reminder at 09:00 on Mon 10-20.
    assert reminders(sla, eod(2025, 10, 21)) == [at(2025, 10, 20, 9)]
    # Due Thu 2025-10-09: the working day before is Tue 09-30 (10-01..10-08 are off).
    assert reminders(sla, eod(2025, 10, 9)) == [at(2025, 9, 30, 9)]


def test_hour_reminders_for_urgent_cases() -> None:
    urgent = resolve_sla("complaint", "12345", None, "urgent")
    assert reminders(urgent, eod(2025, 10, 9)) == [at(2025, 10, 9, 19, 59, 59)]


def test_escalation_levels_urge_then_report() -> None:
    sla = resolve_sla("complaint", "12345", None, "normal")
    due = eod(2025, 10, 21)
    # Level 2 (通报) 5 working days after the due day: 10-22, 23, 24, 27, 28 -> end of 10-28.
    thresholds = [(step.action, moment) for step, moment in escalation_thresholds(sla, due)]
    assert thresholds == [("urge", due), ("report_supervisor", eod(2025, 10, 28))]
    assert escalation_step(sla, due, at(2025, 10, 21, 12)) == 0
    assert escalation_step(sla, due, at(2025, 10, 22, 0, 0, 1)) == 1
    assert escalation_step(sla, due, at(2025, 10, 28, 23)) == 1
    assert escalation_step(sla, due, at(2025, 10, 29, 0, 0, 1)) == 2


def test_extension_rules() -> None:
    sla = resolve_sla("complaint", None, None, "normal")  # once, up to 15 working days
    due = eod(2025, 10, 21)
    ok = check_extension(sla, due, Duration(15, "working_days"), 0, at(2025, 10, 20, 10))
    # 15 working days after 10-21: 10-22..24 (3), 10-27..31 (8), 11-03..07 (13), 11-10, 11-11.
    assert (ok.allowed, ok.new_due) == (True, eod(2025, 11, 11))
    codes = [
        check_extension(sla, due, Duration(5, "working_days"), 1, at(2025, 10, 20)).reason_code,
        check_extension(sla, due, Duration(16, "working_days"), 0, at(2025, 10, 20)).reason_code,
        check_extension(sla, due, Duration(5, "calendar_days"), 0, at(2025, 10, 20)).reason_code,
        check_extension(sla, due, Duration(5, "working_days"), 0, at(2025, 10, 22)).reason_code,
    ]
    assert codes == ["too_many", "too_long", "wrong_unit", "too_late"]
    alarm = resolve_sla("monitoring_alarm", None, None, None)
    assert check_extension(alarm, due, Duration(1, "hours"), 0, due).reason_code == "no_extension"


# ---------------------------------------------------------------- follow-up plan


def test_four_follow_ups_scheduled_from_case_events() -> None:
    events = {
        "accepted": at(2025, 9, 29, 10),  # Mon
        "dispatched": at(2025, 9, 30, 11),  # Tue, last day before the holiday
        "replied": at(2025, 10, 10, 15),  # Fri
    }
    schedule = follow_up_schedule("four_visits", events)
    assert [(v.seq, v.due) for v in schedule] == [
        (1, eod(2025, 9, 30)),  # +1 working day
        (2, eod(2025, 10, 14)),  # +5 wd: 10-09, 10-10, 10-11 (Sat, adjusted), 10-13, 10-14
        (3, eod(2025, 10, 11)),  # +1 wd from Fri 10-10: the adjusted working Saturday
        (4, eod(2025, 11, 7)),  # +28 calendar days from 10-10
    ]
    assert [v.method for v in schedule] == ["phone", "phone", "phone", "on_site"]
    missed = missed_follow_ups(schedule, done=[1], now=at(2025, 10, 15, 9))
    assert [v.seq for v in missed] == [2, 3]


def test_visits_wait_for_their_anchor_event() -> None:
    schedule = follow_up_schedule("four_visits", {"accepted": at(2025, 9, 29, 10)})
    assert [v.due is None for v in schedule] == [False, True, True, True]
    assert missed_follow_ups(schedule, done=[], now=at(2026, 1, 1)) == schedule[:1]


def test_after_reply_plan() -> None:
    schedule = follow_up_schedule("four_visits_after_reply", {"replied": at(2025, 9, 30, 10)})
    # +1 wd (10-09), +7 d (10-07), +28 d (10-28), +90 d (12-29).
    assert [v.due for v in schedule] == [
        eod(2025, 10, 9),
        eod(2025, 10, 7),
        eod(2025, 10, 28),
        eod(2025, 12, 29),
    ]


def test_unknown_plan_is_named() -> None:
    with pytest.raises(SlaError, match="unknown follow-up plan 'five_visits'"):
        follow_up_schedule("five_visits", {})


def test_complaint_taxonomy_groups_and_labels() -> None:
    categories = complaint_categories()
    groups = {c.code for c in categories.values() if c.code == c.group}
    assert groups == {
        "air",
        "water",
        "noise",
        "solid_waste",
        "soil",
        "radiation",
        "ecology",
        "other",
    }
    assert categories["air.odour"].zh == "异味臭气"
    assert all(c.zh and c.en for c in categories.values())
