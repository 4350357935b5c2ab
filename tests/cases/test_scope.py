"""Cross-scope access is denied on pages and API: county A vs B, enterprise A vs B, department."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from coact.cases import services
from coact.cases.models import Case
from coact.core.models import ApiToken, Department, Region

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _case(
    region: str, department: str | None = None, enterprise=None, case_type: str = "rectification"
) -> Case:
    return services.open_case(
        case_type,
        title=f"{region} 问题",
        region=Region.objects.get(code=region),
        responsible_department=Department.objects.get(code=department) if department else None,
        subject_enterprise=enterprise,
    )


def _denied(client: Client, case: Case) -> None:
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(f"/api/cases/{case.pk}").status_code == 404
    assert case.number not in client.get("/cases/").content.decode()
    assert case.pk not in [c["id"] for c in client.get("/api/cases").json()["items"]]
    response = client.post(
        f"/api/cases/{case.pk}/transitions/urge",
        data=json.dumps({"payload": {}}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.post(f"/cases/{case.pk}/comment/", {"text": "x"}).status_code == 404
    assert Case.objects.get(pk=case.pk).version == case.version


def test_county_sees_its_county_only(rugao, haian) -> None:
    mine, theirs = _case("320682"), _case("320685")
    client = _client(rugao)
    assert client.get(f"/cases/{mine.pk}/").status_code == 200
    assert mine.pk in [c["id"] for c in client.get("/api/cases").json()["items"]]
    _denied(client, theirs)


def test_enterprise_sees_only_cases_about_itself(ent_a, ent_b, ent_user_a) -> None:
    mine, theirs = _case("320682", enterprise=ent_a), _case("320685", enterprise=ent_b)
    other_in_same_county = _case("320682")
    client = _client(ent_user_a)
    assert client.get(f"/cases/{mine.pk}/").status_code == 200
    _denied(client, theirs)
    _denied(client, other_in_same_county)


def test_department_sees_only_cases_assigned_to_it(eco, traffic) -> None:
    ours = _case("320682", department="ecology")
    client = _client(eco)
    assert client.get(f"/api/cases/{ours.pk}").status_code == 200
    _denied(_client(traffic), ours)
    # A token client has the same scope.
    _, raw = ApiToken.issue(traffic, "script")
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/cases/{ours.pk}").status_code == 404
    )


def test_county_cannot_act_on_a_case_a_department_holds(office, rugao, eco) -> None:
    case = _case("320682", case_type="complaint")
    case = services.transition(case, "accept", office, {})
    case = services.transition(case, "dispatch", office, {"assignee": "department:ecology"})
    response = _client(rugao).post(
        f"/api/cases/{case.pk}/transitions/start",
        data=json.dumps({"payload": {}}),
        content_type="application/json",
    )
    assert response.status_code == 403  # visible (its county) but held by the department
    assert (
        _client(eco)
        .post(
            f"/api/cases/{case.pk}/transitions/start",
            data=json.dumps({"payload": {}, "expected_version": case.version}),
            content_type="application/json",
        )
        .status_code
        == 200
    )


def test_api_conflict_is_409_and_page_conflict_keeps_the_input(office, office2) -> None:
    case = _case("320682", case_type="complaint")
    stale = case.version
    assert (
        _client(office)
        .post(
            f"/api/cases/{case.pk}/transitions/accept",
            data=json.dumps({"expected_version": stale}),
            content_type="application/json",
        )
        .status_code
        == 200
    )
    response = _client(office2).post(
        f"/api/cases/{case.pk}/transitions/reject",
        data=json.dumps({"payload": {"reason": "重复"}, "expected_version": stale}),
        content_type="application/json",
    )
    assert response.status_code == 409 and "office" in response.json()["detail"]
    page = _client(office2).post(
        f"/cases/{case.pk}/do/transfer/",
        {
            "expected_version": stale,
            "reason": "非本部门职责，我写了很长的理由",
            "transferred_to": "市城管局",
        },
    )
    assert page.status_code == 409
    html = page.content.decode()
    assert "非本部门职责，我写了很长的理由" in html and "office" in html  # nothing lost
    assert Case.objects.get(pk=case.pk).state == "accepted"


def test_case_pages_render_with_actions_and_timeline(office) -> None:
    case = _case("320682", case_type="complaint")
    client = _client(office)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-transition="accept"' in html and 'data-transition="start"' not in html
    assert (
        client.get("/cases/?group=open&county=320682&overdue=1", HTTP_HX_REQUEST="true").status_code
        == 200
    )
    assert client.get("/cases/dashboard/").status_code == 200
    assert client.get("/api/case-types").json()["complaint"]["initial_state"] == "received"
