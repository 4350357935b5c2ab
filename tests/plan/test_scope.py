"""Scope is enforced in the query layer: pages and API show and change only one's own records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from coact.core.models import ApiToken
from coact.plan import services
from coact.plan.models import Indicator, Observation, TaskReport
from tests.conftest import foreign_indicator

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _foreign_indicator() -> Indicator:
    """An indicator agriculture reports on and ecology has nothing to do with."""
    from coact.core.models import User

    return foreign_indicator(User.objects.get(username="eco"), "transport")


def test_department_cannot_read_or_change_another_departments_indicator(eco, traffic) -> None:
    foreign = _foreign_indicator()
    client = _client(eco)
    assert client.get(f"/plan/indicators/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/indicators/{foreign.pk}").status_code == 404
    response = client.post(
        f"/api/indicators/{foreign.pk}/observations",
        data=json.dumps(
            {"value": 1, "period_start": "2024-01-01", "period_end": "2024-12-31", "source": "x"}
        ),
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert not Observation.objects.filter(indicator=foreign).exists()
    assert _client(traffic).get(f"/plan/indicators/{foreign.pk}/").status_code == 200


def test_county_sees_only_its_own_reports_and_values(rugao, haian) -> None:
    indicator = Indicator.objects.filter(reporting="reported").first()
    theirs = services.record_observation(
        indicator,
        services.ObservationInput(
            value=1, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31), source="x"
        ),
        by=haian,
    )
    task = indicator.tasks.first() or Indicator.objects.first().plan.tasks.first()
    report = services.submit_task_report(
        task,
        services.TaskReportInput(year=2025, quarter=1, narrative="海安进展", percent_done=50),
        by=haian,
    )
    client = _client(rugao)
    listed = client.get(f"/api/indicators/{indicator.pk}/observations").json()
    assert theirs.pk not in [o["id"] for o in listed]
    assert report.pk not in [r["id"] for r in client.get(f"/api/tasks/{task.pk}/reports").json()]
    assert "海安进展" not in client.get(f"/plan/tasks/{task.pk}/").content.decode()
    assert client.post(
        f"/api/reports/{report.pk}/review",
        data=json.dumps({"approve": True}),
        content_type="application/json",
    ).status_code in (403, 404)
    report.refresh_from_db()
    assert report.state == "submitted"
    assert TaskReport.objects.visible_to(rugao).filter(pk=report.pk).count() == 0


def test_token_client_has_the_same_scope(eco) -> None:
    foreign = _foreign_indicator()
    _, raw = ApiToken.issue(eco, "script")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/me").json()["department"] == "ecology"
    assert client.get(f"/api/indicators/{foreign.pk}").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/api/me").status_code == 401


def test_public_sees_dashboard_but_no_personal_data(eco, office) -> None:
    indicator = Indicator.objects.filter(responsible__code="ecology").first()
    obs = services.record_observation(
        indicator,
        services.ObservationInput(
            value=7, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31), source="x"
        ),
        by=eco,
    )
    public = Client()
    page = public.get("/plan/public/")
    assert page.status_code == 200
    assert "eco" not in page.content.decode().split("<main>")[1]
    assert obs.pk not in [
        o["id"] for o in public.get(f"/api/indicators/{indicator.pk}/observations").json()
    ]
    assert public.get("/plan/approvals/").status_code == 302  # to login
    assert (
        public.post(
            f"/api/observations/{obs.pk}/approve", data="{}", content_type="application/json"
        ).status_code
        == 401
    )
    services.approve_observation(obs, office)
    listed = public.get(f"/api/indicators/{indicator.pk}/observations").json()
    assert [o["value"] for o in listed if o["id"] == obs.pk] == [7]
    assert "reported_by" not in listed[0]


def test_reporter_cannot_open_the_office_pages(eco) -> None:
    client = _client(eco)
    assert client.get("/plan/approvals/").status_code == 403
    assert client.get("/plan/assessment/").status_code == 403
    assert (
        client.get("/api/plans/nantong-2023-2025/assessment?year=2025&quarter=1").status_code == 403
    )


def test_token_page_issues_once_and_revoking_locks_out(eco) -> None:
    client = _client(eco)
    page = client.post("/tokens/", {"name": "统计脚本"}).content.decode()
    raw = page.split('<pre id="new-token">')[1].split("</pre>")[0]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/me").status_code == 200
    assert raw not in client.get("/tokens/").content.decode()  # shown once only
    token = ApiToken.objects.get(user=eco)
    assert token.last_used is not None
    client.post(f"/tokens/{token.pk}/revoke/")
    assert api.get("/api/me").status_code == 401
