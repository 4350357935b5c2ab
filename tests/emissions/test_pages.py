"""Pages: builder (HTMX), results charts, optimisation, comparison, scope on every page."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from coact.emissions import services

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _options(html: str) -> list[dict]:
    found = re.findall(
        r'<script id="chart-\d+-option" type="application/json">(.*?)</script>', html
    )
    return [json.loads(text) for text in found]


def test_builder_saves_and_names_bad_cells(eco, demo) -> None:
    client = _client(eco)
    url = f"/emissions/scenarios/{demo.pk}/edit/"
    form = {
        "name": demo.name,
        "base_year": "2020",
        "years": "2021, 2022, 2023, 2024, 2025",
        "gwp": "AR5",
        "version": "1",
        "apply.coal_power_ule.2021": "abc",
    }
    bad = client.post(url, form, HTTP_HX_REQUEST="true")
    assert 'data-field="apply.coal_power_ule.2021"' in bad.content.decode()
    demo.refresh_from_db()
    assert demo.version == 1
    form["apply.coal_power_ule.2021"] = "0.7"
    good = client.post(url, form, HTTP_HX_REQUEST="true")
    assert 'id="builder-saved"' in good.content.decode()
    demo.refresh_from_db()
    assert demo.version == 2 and demo.document["apply"]["coal_power_ule"]["2021"] == 0.7


def test_results_page_draws_the_four_charts(eco, demo) -> None:
    html = _client(eco).get(f"/emissions/scenarios/{demo.pk}/results/?pollutant=NOx").content
    html = html.decode()
    options = _options(html)
    assert len(options) == 4
    stacked, waterfall, scatter, curve = options
    assert all(s["stack"] == "total" and "areaStyle" in s for s in stacked["series"])
    assert "电力" in {s["name"] for s in stacked["series"]}  # sector "power", named
    assert waterfall["series"][0]["name"] == "base"
    assert "markArea" in scatter["series"][0]
    assert len(curve["series"]) == 2 and all(s["data"] for s in curve["series"])
    assert "illustrative" in html


def test_optimise_page_shows_binding_target(eco, demo) -> None:
    url = f"/emissions/scenarios/{demo.pk}/optimise/"
    response = _client(eco).post(
        url,
        {"targets": "NOx=-60%, VOCs=-12%", "budget": "500000000", "granularity": "measure"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'data-feasible="false"' in html and 'data-binding="NOx"' in html


def test_compare_page(eco, demo) -> None:
    other = services.create_scenario(eco, "no trucks measure")
    services.update_scenario(other, {"apply": {}}, eco)
    services.run_scenario(other, eco)
    html = _client(eco).get(f"/emissions/compare/?ids={demo.pk}&ids={other.pk}").content
    assert b'id="comparison"' in html and b"no trucks measure" in html


def test_pages_deny_other_scopes(demo, traffic, rugao, office, plan) -> None:
    pages = ["", "results/", "optimise/"]
    for user in (traffic, rugao):
        for page in pages:
            url = f"/emissions/scenarios/{demo.pk}/{page}"
            assert _client(user).get(url).status_code == 404
        assert _client(user).post(f"/emissions/scenarios/{demo.pk}/run/").status_code == 404
    assert b"Demo" not in _client(traffic).get("/emissions/").content
    services.publish_scenario(demo, office, plan)
    assert _client(rugao).get(f"/emissions/scenarios/{demo.pk}/results/").status_code == 200
    read_only = _client(rugao).get(f"/emissions/scenarios/{demo.pk}/").content.decode()
    assert "<fieldset disabled>" in read_only and 'id="run-scenario"' not in read_only
    assert _client(rugao).post(f"/emissions/scenarios/{demo.pk}/run/").status_code == 302
    demo.refresh_from_db()
    assert demo.run_by is None  # the county could not run it
    anonymous = Client().get(f"/emissions/scenarios/{demo.pk}/")
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous["Location"]
