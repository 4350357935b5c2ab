"""The JSON API: schema, bad payloads named by field, the submit-approve flow."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from coact.plan.models import Indicator

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_plan_capabilities() -> None:
    schema = Client().get("/api/openapi.json").json()
    paths = set(schema["paths"])
    for expected in (
        "/api/plans/{code}/dashboard",
        "/api/indicators/{indicator_id}/observations",
        "/api/observations/{observation_id}/approve",
        "/api/plans/{code}/workbook",
        "/api/tasks/{task_id}/reports",
        "/api/plans/{code}/assessment",
    ):
        assert expected in paths
    assert Client().get("/api/docs").status_code == 200


def test_bad_payload_names_the_field_and_stores_nothing(eco) -> None:
    indicator = Indicator.objects.visible_to(eco).filter(reporting="reported").first()
    client = Client()
    client.force_login(eco)
    response = client.post(
        f"/api/indicators/{indicator.pk}/observations",
        data=json.dumps(
            {
                "value": "lots",
                "period_start": "2024-01-01",
                "period_end": "2023-01-01",
                "source": "x",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    locations = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert ("body", "payload", "value") in locations
    assert indicator.observations.count() == 0


def test_submit_and_approve_over_the_api(eco, office) -> None:
    indicator = Indicator.objects.visible_to(eco).filter(reporting="reported").first()
    reporter, supervisor = Client(), Client()
    reporter.force_login(eco)
    supervisor.force_login(office)
    created = reporter.post(
        f"/api/indicators/{indicator.pk}/observations",
        data=json.dumps(
            {
                "value": 12.5,
                "period_start": "2024-01-01",
                "period_end": "2024-12-31",
                "source": "年报",
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    obs_id = created.json()["id"]
    assert (
        reporter.post(
            f"/api/observations/{obs_id}/approve", data="{}", content_type="application/json"
        ).status_code
        == 403
    )
    approved = supervisor.post(
        f"/api/observations/{obs_id}/approve", data="{}", content_type="application/json"
    )
    assert approved.json()["state"] == "approved"
    again = supervisor.post(
        f"/api/observations/{obs_id}/approve", data="{}", content_type="application/json"
    )
    assert again.status_code == 409
    dashboard = supervisor.get("/api/plans/nantong-2023-2025/dashboard").json()
    assert sum(dashboard["counts"].values()) == Indicator.objects.count()
    history = supervisor.get(f"/api/audit/plan/observation/{obs_id}").json()
    assert any("state" in (h["changes"] or {}) for h in history)


def test_session_writes_need_csrf(eco) -> None:
    indicator = Indicator.objects.visible_to(eco).filter(reporting="reported").first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(eco)
    response = client.post(
        f"/api/indicators/{indicator.pk}/observations",
        data=json.dumps(
            {"value": 1, "period_start": "2024-01-01", "period_end": "2024-12-31", "source": "x"}
        ),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
