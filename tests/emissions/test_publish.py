"""Publishing a scenario feeds the plan's NOx, VOCs and CO2-intensity indicators as projections."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from coact.emissions import services
from coact.emissions.models import Scenario
from coact.plan.models import Indicator, Observation

pytestmark = pytest.mark.django_db

CODES = {
    "emissions.nox_reduction": "NT-AIR-NOX-REDUCTION",
    "emissions.vocs_reduction": "NT-AIR-VOCS-REDUCTION",
    "emissions.co2_intensity_change": "NT-CARBON-CO2-INTENSITY",
}


def test_publish_records_projection_observations(demo, office, plan) -> None:
    observations = services.publish_scenario(demo, office, plan)
    results = demo.results
    # 3 indicators x 5 target years (2021-2025)
    assert len(observations) == 15
    for computed_by, code in CODES.items():
        indicator = Indicator.objects.get(plan=plan, code=code)
        rows = Observation.objects.filter(indicator=indicator, state="approved")
        assert rows.count() == 5
        assert all(o.projection and o.illustrative and o.computed_by == computed_by for o in rows)
        assert "illustrative" in rows.first().source
    nox = Observation.objects.get(
        indicator__code="NT-AIR-NOX-REDUCTION", period_end__year=2025, state="approved"
    )
    # reduction = NOx without measures - NOx with measures in 2025 (t)
    expected = results["reference_totals"]["NOx"][-1] - results["totals"]["NOx"][-1]
    assert nox.value == pytest.approx(expected, abs=0.1)
    assert nox.value > 1000  # the demo's measures remove thousands of tonnes
    intensity = Observation.objects.get(
        indicator__code="NT-CARBON-CO2-INTENSITY", period_end__year=2025, state="approved"
    )
    # the indicator is a fall: value = -(change of CO2/GDP vs base year, %)
    assert intensity.value == pytest.approx(-results["co2_intensity_change_pct"][-1], abs=0.01)
    demo.refresh_from_db()
    assert demo.published and demo.published_plan == plan and demo.published_by == office


def test_republishing_supersedes_and_keeps_one_published(demo, office, eco, plan) -> None:
    services.publish_scenario(demo, office, plan)
    other = services.create_scenario(eco, "eco variant")
    services.update_scenario(other, {"apply": {"coal_power_deep_denox": {"2025": 1.0}}}, eco)
    services.publish_scenario(other, eco, plan)
    assert list(Scenario.objects.filter(published=True)) == [other]
    nox = Observation.objects.filter(
        indicator__code="NT-AIR-NOX-REDUCTION", period_end__year=2025, projection=True
    )
    assert sorted(nox.values_list("state", flat=True)) == ["approved", "superseded"]
    latest = nox.get(state="approved")
    assert latest.supersedes is not None and f"#{other.pk}" in latest.source


def test_only_editors_publish(demo, traffic, rugao, plan) -> None:
    for user in (traffic, rugao):
        with pytest.raises(PermissionDenied):
            services.publish_scenario(demo, user, plan)
    assert not Observation.objects.filter(computed_by__startswith="emissions.").exists()


def test_demo_data_is_loaded_once_and_labelled() -> None:
    from coact.emissions import setup

    first = setup.load_demo_data()
    second = setup.load_demo_data()
    assert "created" in first and "already present" in second
    demo = Scenario.objects.get()
    assert demo.illustrative and demo.results["illustrative"] and demo.is_current
