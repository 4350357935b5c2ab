"""The JSON API: every capability, errors that name the field, scope on every endpoint."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from coact.emissions.models import Scenario

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _json(client: Client, method: str, url: str, body: dict) -> object:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_openapi_lists_the_capabilities() -> None:
    paths = set(_client().get("/api/openapi.json").json()["paths"])
    for expected in (
        "/api/emissions/scenarios",
        "/api/emissions/scenarios/{scenario_id}",
        "/api/emissions/scenarios/{scenario_id}/run",
        "/api/emissions/scenarios/{scenario_id}/results",
        "/api/emissions/scenarios/{scenario_id}/metrics",
        "/api/emissions/scenarios/{scenario_id}/optimise",
        "/api/emissions/scenarios/{scenario_id}/macc",
        "/api/emissions/scenarios/{scenario_id}/publish",
        "/api/emissions/compare",
        "/api/emissions/inventories/import",
        "/api/emissions/inventories/template",
    ):
        assert expected in paths


def test_create_edit_run_and_read(eco) -> None:
    client = _client(eco)
    created = _json(client, "post", "/api/emissions/scenarios", {"name": "eco 2025"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["illustrative"] is True  # built on the demo's invented sources
    assert body["base_year"] == 2020 and body["years"][-1] == 2025
    url = f"/api/emissions/scenarios/{body['id']}"
    patched = _json(
        client,
        "patch",
        url,
        {"apply": {"coal_power_deep_denox": {"2023": 0.5, "2025": 1.0}}, "expected_version": 1},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == 2
    stale = _json(client, "patch", url, {"name": "x", "expected_version": 1})
    assert stale.status_code == 409
    run = client.post(url + "/run")
    assert run.status_code == 200
    results = client.get(url + "/results").json()
    assert results["version"] == 2 and results["illustrative"] is True
    # with measures NOx 2025 is lower than without
    assert results["totals"]["NOx"][-1] < results["reference_totals"]["NOx"][-1]
    metrics = client.get(url + "/metrics?year=2025").json()
    assert metrics[-1]["measure"] == "portfolio"
    macc = client.get(url + "/macc?pollutant=NOx&steps=4").json()
    assert macc["sorted"] and len(macc["resolved"]) >= 2
    compare = client.get(f"/api/emissions/compare?ids={body['id']}").json()
    assert compare["scenarios"][0]["name"] == "eco 2025"
    assert client.delete(url).status_code == 204
    assert not Scenario.objects.filter(pk=body["id"]).exists()


def test_errors_name_the_field(eco, demo) -> None:
    client = _client(eco)
    url = f"/api/emissions/scenarios/{demo.pk}"
    # 2030 is added as a year but the drivers have no value for it
    bad_year = _json(client, "patch", url, {"years": [2021, 2025, 2030]})
    assert bad_year.status_code == 400
    assert any(key.startswith("drivers.") for key in bad_year.json()["detail"])
    too_high = _json(client, "patch", url, {"apply": {"coal_power_ule": {"2021": 1.5}}})
    assert too_high.status_code == 400
    assert "apply.coal_power_ule" in too_high.json()["detail"]
    bad_target = _json(client, "post", url + "/optimise", {"targets": ["NOx=lots"]})
    assert bad_target.status_code == 400
    assert "targets" in bad_target.json()["detail"]
    assert "NOx=lots" in bad_target.json()["detail"]["targets"][0]
    bad_pollutant = client.get(url + "/macc?pollutant=XYZ")
    assert "pollutant" in bad_pollutant.json()["detail"]
    no_name = _json(client, "post", "/api/emissions/scenarios", {"name": ""})
    assert no_name.status_code == 422
    assert ("body", "payload", "name") in {tuple(e["loc"]) for e in no_name.json()["detail"]}
    demo.refresh_from_db()
    assert demo.version == 1  # nothing stored


def test_optimise_infeasible_names_binding_targets(eco, demo) -> None:
    url = f"/api/emissions/scenarios/{demo.pk}/optimise"
    ok = _json(_client(eco), "post", url, {"targets": ["NOx=-10%", "VOCs=-12%"], "budget": 5e8})
    assert ok.json()["feasible"] is True and ok.json()["measures"]
    bad = _json(_client(eco), "post", url, {"targets": ["NOx=-60%", "VOCs=-12%"], "budget": 5e8})
    result = bad.json()
    assert result["feasible"] is False
    assert "NOx" in [b["name"] for b in result["binding"]]
    assert "NOx" in result["message"]


def test_scope_on_the_api(demo, office, traffic, rugao) -> None:
    url = f"/api/emissions/scenarios/{demo.pk}"
    # unpublished: other departments, counties and the public see nothing
    for client in (_client(traffic), _client(rugao), _client()):
        assert client.get(url).status_code == 404
        assert client.get(url + "/results").status_code == 404
        assert client.get("/api/emissions/scenarios").json() == []
    assert (
        _json(_client(traffic), "post", "/api/emissions/scenarios", {"name": "x"}).status_code
        == 403
    )
    publish = _json(_client(office), "post", url + "/publish", {"plan": "nantong-2023-2025"})
    assert publish.status_code == 200, publish.content
    assert {o["projection"] for o in publish.json()["observations"]} == {True}
    # published: staff may read, not run or edit; the public still sees nothing here
    for user in (traffic, rugao):
        assert _client(user).get(url + "/results").status_code == 200
        assert _client(user).post(url + "/run").status_code == 403
        assert _json(_client(user), "patch", url, {"name": "mine"}).status_code == 403
    assert _client().get(url).status_code == 404
    assert _client(traffic).get("/api/emissions/inventories/1").status_code == 404
