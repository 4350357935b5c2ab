"""Every forbidden transition of every case type's table is refused, state unchanged.

For each case type, state and transition: a transition that does not leave the state is
refused (wrong_state); for each state it does leave, every role it does not list is refused
(role_not_allowed). The case is visible to every test user, so refusals come from the table.
"""

from __future__ import annotations

from typing import Any

import pytest

from coact.cases import services
from coact.cases.models import Case, CaseUpdate
from coact.core.models import Department, Region
from coact.engines.workflow import vocabulary
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
CASE_TYPES = sorted(services.case_types())


def _full_payload(transition: Any) -> dict[str, Any]:
    return {
        name: "x"
        for name in transition.requires
        if name not in ("evidence", "assignee", "deadline", "extension", "master_case_id")
    }


@pytest.fixture
def actors(ent_a: Any) -> dict[str, Any]:
    return {
        "administrator": make_user("t_admin", "admin"),
        "supervisor": make_user("t_office", "supervisor"),
        "department": make_user("t_eco", "department", department="ecology"),
        "county": make_user("t_rugao", "county", region="320682"),
        "enterprise": make_user("t_ent", "enterprise", enterprise=ent_a),
        "public": None,
        "system": None,
    }


def _case(case_type: str, ent_a: Any) -> Case:
    # Visible to every actor above: county 320682, department ecology, enterprise A.
    return services.open_case(
        case_type,
        title="表格测试",
        subject_enterprise=ent_a,
        region=Region.objects.get(code="320682"),
        responsible_department=Department.objects.get(code="ecology"),
    )


@pytest.mark.parametrize("case_type", CASE_TYPES)
def test_every_forbidden_transition_is_refused(
    case_type: str, actors: dict[str, Any], ent_a: Any
) -> None:
    ct = services.case_type(case_type)
    case = _case(case_type, ent_a)
    roles = list(vocabulary()["roles"])
    refused = 0
    for state in ct.states:
        Case.objects.filter(pk=case.pk).update(state=state, state_group=ct.group(state))
        for transition in ct.transitions.values():
            if state not in transition.from_states:
                _assert_refused(
                    case, state, transition.name, actors["supervisor"], None, "wrong_state"
                )
                refused += 1
                continue
            for role in roles:
                if role in transition.roles:
                    continue
                _assert_refused(
                    case,
                    state,
                    transition.name,
                    actors[role],
                    role,
                    "role_not_allowed",
                    _full_payload(transition),
                )
                refused += 1
    assert refused > len(ct.states)  # the loops really ran
    assert not CaseUpdate.objects.filter(case=case, kind="transition").exists()


def _assert_refused(
    case: Case,
    state: str,
    name: str,
    actor: Any,
    role: str | None,
    code: str,
    payload: dict[str, Any] | None = None,
) -> None:
    as_role = role if actor is None else None
    version = Case.objects.get(pk=case.pk).version
    with pytest.raises((services.TransitionRefused, services.TransitionForbidden)) as err:
        services.transition(case, name, actor, payload or {}, as_role=as_role)
    assert err.value.decision.reason_code == code, (state, name, role, err.value.decision.message)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.version) == (state, version), (state, name, role)


@pytest.mark.parametrize("case_type", CASE_TYPES)
def test_allowed_paths_reach_a_closed_or_fixed_state(
    case_type: str, actors: dict[str, Any], ent_a: Any
) -> None:
    """Sanity of the refusal test: the same case can still be driven to its end by the
    right roles (one path), so refusals are not an artefact of the fixture."""
    ct = services.case_type(case_type)
    case = _case(case_type, ent_a)
    end = {
        "complaint": ["reject"],
        "rectification": ["cancel"],
        "monitoring_alarm": ["dismiss"],
        "ozone_warning": ["acknowledge", "record_measures", "close"],
        "hazardous_waste_warning": ["acknowledge", "record_measures", "close"],
    }[case_type]
    from django.core.files.uploadedfile import SimpleUploadedFile

    for name in end:
        t = ct.transitions[name]
        role = next(r for r in ("supervisor", "county", "department", "system") if r in t.roles)
        if name == "close":  # sign-off: not the county that handled the warning
            role = next(r for r in ("supervisor", "system", "department") if r in t.roles)
        actor = actors[role]
        files = [SimpleUploadedFile("p.jpg", b"x")] if "evidence" in t.requires else []
        payload = {k: "ok" for k in t.requires if k != "evidence"}
        case = services.transition(
            case, name, actor, payload, as_role=role if actor is None else None, files=files
        )
    assert not ct.is_open(case.state)
