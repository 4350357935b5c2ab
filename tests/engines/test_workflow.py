"""Case state machine: the complaint table checked exhaustively, separation of duties,
required fields, and located validation errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from coact.engines.workflow import (
    CaseTypeError,
    check_transition,
    default_case_types,
    load_case_types,
    parse_case_type,
    vocabulary,
)

ROLES = ("administrator", "supervisor", "department", "county", "enterprise", "public", "system")
OFFICE = {"supervisor", "administrator"}
HANDLERS = {"department", "county"}
PRE_REPLY = {"received", "accepted", "returned", "dispatched", "investigating"}
NAGGABLE = {"dispatched", "investigating", "extension_requested"}

# The complaint table written out by hand (transition: from states, to state, roles), so the
# YAML and this list must be changed together. None as target = stays in the same state.
COMPLAINT_TABLE: dict[str, tuple[set[str], str | None, set[str]]] = {
    "accept": ({"received"}, "accepted", OFFICE),
    "reject": ({"received"}, "not_accepted", OFFICE),
    "transfer": ({"received", "accepted", "returned"}, "transferred", OFFICE),
    "dispatch": ({"accepted", "returned", "reopened"}, "dispatched", OFFICE | {"system"}),
    "reassign": ({"dispatched", "investigating"}, "dispatched", OFFICE),
    "return": ({"dispatched", "investigating"}, "returned", HANDLERS),
    "start": ({"dispatched"}, "investigating", HANDLERS),
    "request_extension": ({"investigating"}, "extension_requested", HANDLERS),
    "approve_extension": ({"extension_requested"}, "investigating", OFFICE),
    "deny_extension": ({"extension_requested"}, "investigating", OFFICE),
    "reply": ({"investigating"}, "replied", HANDLERS),
    "request_review": ({"replied"}, "under_review", HANDLERS | {"system"}),
    "send_back": ({"under_review"}, "investigating", OFFICE),
    "close": ({"under_review"}, "closed", OFFICE),
    "confirm_fixed": ({"under_review"}, "fixed", OFFICE),
    "merge": (PRE_REPLY, "duplicate", OFFICE),
    "reopen": ({"closed", "fixed"}, "reopened", OFFICE | {"public", "system"}),
    "urge": (NAGGABLE, None, OFFICE | {"system"}),
    "escalate": (NAGGABLE, None, OFFICE | {"system"}),
}

# A payload that satisfies every transition's required fields.
FULL_PAYLOAD = {
    "reason": "r",
    "transferred_to": "住建局",
    "assignee": "county-7",
    "extension": {"value": 5, "unit": "working_days"},
    "reply": "已查处",
    "evidence": ["photo-1.jpg"],
    "conclusion": "c",
    "master_case_id": "C-1",
    "plan": "p",
    "deadline": "2025-12-31",
    "progress": "50%",
    "completion_report": "done",
    "verification_report": "ok",
    "document": "销号审批表",
    "explanation": "e",
    "measures": "m",
}


@pytest.fixture(scope="module")
def types():
    return default_case_types()


def test_packaged_types_load_with_expected_names(types) -> None:
    assert set(types) == {
        "complaint",
        "rectification",
        "monitoring_alarm",
        "hazardous_waste_warning",
        "ozone_warning",
    }
    for case_type in types.values():
        assert case_type.is_open(case_type.initial_state)
        assert any(not case_type.is_open(s) for s in case_type.states)


def test_complaint_states_and_groups(types) -> None:
    complaint = types["complaint"]
    groups = {name: s.group for name, s in complaint.states.items()}
    assert {n for n, g in groups.items() if g == "fixed"} == {"fixed"}
    assert {n for n, g in groups.items() if g == "closed"} == {
        "not_accepted",
        "transferred",
        "duplicate",
        "closed",
    }
    assert complaint.open311_status("fixed") == "closed"
    assert complaint.open311_status("investigating") == "open"
    assert complaint.states["duplicate"].fms_status == "DUPLICATE"


def test_complaint_table_matches_yaml(types) -> None:
    complaint = types["complaint"]
    assert set(complaint.transitions) == set(COMPLAINT_TABLE)
    for name, (sources, target, roles) in COMPLAINT_TABLE.items():
        transition = complaint.transitions[name]
        assert transition.from_states == sources, name
        assert transition.to_state == target, name
        assert transition.roles == roles, name


def test_every_state_transition_role_combination(types) -> None:
    """All 14 states x 19 transitions x 7 roles = 1862 checks against the table above."""
    complaint = types["complaint"]
    checked = 0
    for state, name, role in itertools.product(complaint.states, COMPLAINT_TABLE, ROLES):
        sources, target, roles = COMPLAINT_TABLE[name]
        decision = check_transition(complaint, state, name, role, "outsider", [], FULL_PAYLOAD)
        if state not in sources:
            assert (decision.allowed, decision.reason_code) == (False, "wrong_state")
            assert state in decision.message and name in decision.message
        elif role not in roles:
            assert (decision.allowed, decision.reason_code) == (False, "role_not_allowed")
            assert role in decision.message
        else:
            assert decision.allowed, (state, name, role, decision.message)
            assert decision.to_state == (target or state)
        checked += 1
    assert checked == 14 * 19 * 7


def test_available_transitions_follow_the_table(types) -> None:
    complaint = types["complaint"]
    names = [t.name for t in complaint.available_transitions("investigating", "county")]
    assert names == ["return", "request_extension", "reply"]
    names = [t.name for t in complaint.available_transitions("investigating", "supervisor")]
    assert names == ["reassign", "merge", "urge", "escalate"]
    assert complaint.available_transitions("closed", "county") == ()


def test_sign_off_refused_for_a_handler(types) -> None:
    complaint = types["complaint"]
    payload = {"conclusion": "已解决"}
    by_handler = check_transition(
        complaint, "under_review", "confirm_fixed", "supervisor", "u1", ["u9", "u1"], payload
    )
    assert (by_handler.allowed, by_handler.reason_code) == (False, "sign_off_by_handler")
    assert "u1" in by_handler.message
    by_other = check_transition(
        complaint, "under_review", "confirm_fixed", "supervisor", "u2", ["u9", "u1"], payload
    )
    assert (by_other.allowed, by_other.to_state) == (True, "fixed")
    anonymous = check_transition(
        complaint, "under_review", "close", "supervisor", None, ["u1"], payload
    )
    assert anonymous.reason_code == "actor_required"


def test_non_sign_off_transition_allows_the_handler(types) -> None:
    complaint = types["complaint"]
    decision = check_transition(
        complaint, "investigating", "reply", "county", "u1", ["u1"], FULL_PAYLOAD
    )
    assert decision.allowed and decision.marks_handler


def test_rectification_closed_loop_with_separation() -> None:
    """Walk a rectification case; the app's part (handler list) is simulated here."""
    rect = default_case_types()["rectification"]
    state, handlers = rect.initial_state, []
    steps = [
        ("assign", "supervisor", "s1", "assigned"),
        ("submit_plan", "enterprise", "e1", "plan_submitted"),
        ("approve_plan", "county", "c1", "rectifying"),
        ("report_progress", "enterprise", "e1", "rectifying"),
        ("request_verification", "enterprise", "e1", "verification_requested"),
        ("fail_verification", "county", "c1", "rectifying"),
        ("request_verification", "enterprise", "e1", "verification_requested"),
        ("pass_verification", "county", "c1", "verified"),
        ("sign_off", "supervisor", "s1", "signed_off"),
    ]
    for name, role, actor, expected in steps:
        decision = check_transition(rect, state, name, role, actor, handlers, FULL_PAYLOAD)
        assert decision.allowed, decision.message
        assert decision.to_state == expected
        state = decision.to_state
        if decision.marks_handler:
            handlers.append(actor)
    assert handlers == ["e1", "e1", "e1", "e1"]
    assert rect.group(state) == "fixed"


def test_rectification_plan_approval_by_its_author_is_refused() -> None:
    rect = default_case_types()["rectification"]
    decision = check_transition(
        rect, "plan_submitted", "approve_plan", "department", "d1", ["d1"], {}
    )
    assert decision.reason_code == "sign_off_by_handler"
    signed = check_transition(
        rect, "verified", "sign_off", "department", "d1", ["d1"], {"document": "销号表"}
    )
    assert signed.reason_code == "sign_off_by_handler"


@pytest.mark.parametrize(
    ("transition", "state", "role", "payload", "missing"),
    [
        ("return", "investigating", "county", {}, "reason"),
        ("return", "investigating", "county", {"reason": "   "}, "reason"),
        ("reopen", "closed", "public", {"reason": None}, "reason"),
        ("reply", "investigating", "county", {"reply": "已处理", "evidence": []}, "evidence"),
        ("reply", "investigating", "county", {"evidence": ["a.jpg"]}, "reply"),
        ("deny_extension", "extension_requested", "supervisor", {}, "reason"),
        ("merge", "received", "supervisor", {"reason": "dup"}, "master_case_id"),
    ],
)
def test_required_fields(types, transition, state, role, payload, missing) -> None:
    decision = check_transition(types["complaint"], state, transition, role, "x", [], payload)
    assert (decision.allowed, decision.reason_code) == (False, "missing_fields")
    assert missing in decision.message


def test_annotation_transitions_stay_in_place(types) -> None:
    decision = check_transition(
        types["complaint"], "extension_requested", "urge", "system", "sys", [], {}
    )
    assert (decision.allowed, decision.to_state) == (True, "extension_requested")


def test_unknown_names_are_refused_with_codes(types) -> None:
    complaint = types["complaint"]
    assert check_transition(complaint, "received", "fly", "public", "x", [], {}).reason_code == (
        "unknown_transition"
    )
    assert check_transition(
        complaint, "limbo", "accept", "supervisor", "x", [], {}
    ).reason_code == ("unknown_state")


def test_simple_warning_types(types) -> None:
    for name in ("ozone_warning", "hazardous_waste_warning"):
        warning = types[name]
        path = [
            ("acknowledge", "county", "c1"),
            ("record_measures", "county", "c1"),
            ("close", "department", "d1"),
        ]
        state, handlers = warning.initial_state, []
        for transition, role, actor in path:
            decision = check_transition(
                warning, state, transition, role, actor, handlers, FULL_PAYLOAD
            )
            assert decision.allowed, decision.message
            state = decision.to_state
            if decision.marks_handler:
                handlers.append(actor)
        assert state == "closed"
        assert warning.can_open("system") and not warning.can_open("public")


def test_monitoring_alarm_review_paths(types) -> None:
    alarm = types["monitoring_alarm"]
    assert alarm.can_open("system") and not alarm.can_open("county")
    ok = check_transition(alarm, "explained", "escalate", "system", "sys", [], {"reason": "超标"})
    assert (ok.allowed, ok.to_state, alarm.group("escalated")) == (True, "escalated", "closed")
    back = check_transition(
        alarm, "explained", "reject_explanation", "department", "a1", [], {"reason": "证据不足"}
    )
    assert back.to_state == "awaiting_explanation"


def test_vocabulary_lists_the_seven_roles() -> None:
    assert tuple(vocabulary()["roles"]) == ROLES


# ---------------------------------------------------------------- validation errors

GOOD = """\
case_type: demo
zh: 示例
en: Demo
opened_by: [public]
initial_state: new
states:
  new:    {group: open,   fms_status: FOR_TRIAGE, zh: 新, en: New}
  done:   {group: fixed,  fms_status: FIXED,      zh: 完, en: Done}
  reopened: {group: open, fms_status: REOPEN,     zh: 重, en: Reopened}
transitions:
  finish: {from: [new, reopened], to: done, roles: [county]}
  reopen: {from: [done], to: reopened, roles: [public], requires: [reason], reopen: true}
"""


def test_minimal_type_parses() -> None:
    demo = parse_case_type(GOOD, "demo.yaml", "demo")
    assert demo.transitions["reopen"].reopen
    assert demo.group("done") == "fixed"


def _problems(text: str) -> list[str]:
    with pytest.raises(CaseTypeError) as caught:
        parse_case_type(text, "demo.yaml", "demo")
    return caught.value.problems


def test_unknown_target_state_is_located() -> None:
    bad = GOOD.replace("to: done, roles: [county]", "to: dnoe, roles: [county]")
    assert _problems(bad) == ["demo.yaml:11: transitions.finish.to: unknown state 'dnoe'"]


def test_unreachable_and_dead_end_states_are_located() -> None:
    bad = GOOD.replace(
        "  reopened:",
        "  orphan: {group: open, fms_status: IN_PROGRESS, zh: 孤, en: Orphan}\n  reopened:",
    )
    problems = _problems(bad)
    assert "demo.yaml:9: states.orphan: unreachable from initial state 'new'" in problems
    assert any(
        p.startswith("demo.yaml:9: states.orphan: open state from which no closed")
        for p in problems
    )


def test_transition_out_of_closed_state_needs_reopen() -> None:
    bad = GOOD.replace("  reopen:", "  tidy: {from: [done], to: new, roles: [county]}\n  reopen:")
    problems = _problems(bad)
    assert len(problems) == 1
    assert problems[0].startswith("demo.yaml:12: transitions.tidy.from: leaves closed/fixed")


def test_duplicate_key_is_located() -> None:
    bad = GOOD + "  finish: {from: [new], to: done, roles: [county]}\n"
    assert _problems(bad) == [
        "demo.yaml:13: transitions.finish: duplicate key (YAML would keep only the last one)"
    ]


def test_reopen_without_reason_and_unknown_role() -> None:
    bad = GOOD.replace("requires: [reason], reopen: true", "reopen: true").replace(
        "roles: [county]}", "roles: [mayor]}"
    )
    problems = _problems(bad)
    assert any(
        p.startswith("demo.yaml:12: transitions.reopen.requires: a reopen transition")
        for p in problems
    )
    assert any(
        p.startswith("demo.yaml:11: transitions.finish.roles.0: unknown role 'mayor'")
        for p in problems
    )


def test_bad_group_and_initial_state() -> None:
    bad = GOOD.replace("initial_state: new", "initial_state: done").replace(
        "group: open,   fms_status: FOR_TRIAGE", "group: pending, fms_status: FOR_TRIAGE"
    )
    problems = _problems(bad)
    assert "demo.yaml:5: initial_state: 'done' must be an open state" in problems
    assert any(
        p.startswith("demo.yaml:7: states.new.group: group must be one of") for p in problems
    )


def test_folder_loader_checks_file_names(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(CaseTypeError) as caught:
        load_case_types(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path / 'other.yaml'}:1: case_type: 'demo' must match the file name 'other'"
    ]
    (tmp_path / "other.yaml").rename(tmp_path / "demo.yaml")
    assert set(load_case_types(tmp_path)) == {"demo"}


def test_yaml_syntax_error_is_located() -> None:
    problems = _problems(GOOD.replace("  done:   {group", "  done:   {{group"))
    assert problems[0].startswith("demo.yaml:")
    assert "YAML syntax error" in problems[0]
