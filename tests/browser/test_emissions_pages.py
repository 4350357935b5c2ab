"""Build and run the demo scenario in the browser, see the four charts, optimise from the page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user


@pytest.fixture
def loaded(transactional_db: Any) -> None:
    from coact.plan import services

    services.load_all()


def _option(page: Any, section: str) -> dict[str, Any]:
    script = page.locator(f"#{section} script[id$='-option']")
    return json.loads(script.inner_text())


def test_build_run_charts_and_optimise(loaded: None, live_server: Any, new_page: Any) -> None:
    make_user("eco", "department", department="ecology")
    page = new_page()
    login(page, live_server.url, "eco", "pw-eco")

    # Build: a new scenario from the demo, change one uptake with the HTMX builder.
    page.goto(f"{live_server.url}/emissions/")
    form = page.locator("#new-scenario")
    form.locator("input[name=name]").fill("浏览器情景")
    form.locator("select[name=start]").select_option("demo")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#builder")
    assert page.locator("[data-illustrative]").count() >= 1
    page.fill("input[name='apply.coal_power_deep_denox.2025']", "1.0")
    page.click("#save-scenario")
    page.wait_for_selector("#builder-saved")  # swapped in by htmx, no reload

    # Run: htmx redirects to the results page.
    page.click("#run-scenario")
    page.wait_for_url("**/results/")
    page.wait_for_selector("#chart-macc [data-echart] canvas")
    for section in ("chart-stacked", "chart-waterfall", "chart-scatter", "chart-macc"):
        assert page.locator(f"#{section} [data-echart] canvas").count() == 1, section
    stacked = _option(page, "chart-stacked")
    assert {s["stack"] for s in stacked["series"]} == {"total"}
    assert "电力" in [s["name"] for s in stacked["series"]]  # sector "power", by its name
    waterfall = _option(page, "chart-waterfall")
    categories = waterfall["xAxis"]["data"]
    assert "煤电机组深度脱硝改造" in categories  # measure coal_power_deep_denox, by its name
    scatter = _option(page, "chart-scatter")
    assert len(scatter["series"][0]["data"]) == 19  # every applied measure is a point
    assert len(scatter["series"][0]["markArea"]["data"]) == 4  # the four quadrants
    curve = _option(page, "chart-macc")
    assert len(curve["series"]) == 2  # sorted and re-solved
    assert "illustrative" in stacked["title"]["text"] or "示例" in page.content()

    # Optimise: default targets are met; the chosen measures are listed.
    page.goto(page.url.replace("/results/", "/optimise/"))
    page.fill("input[name=budget]", "500000000")
    page.click("#optimise-form button[type=submit]")
    page.wait_for_selector("#optimisation")
    assert page.locator("#optimisation").get_attribute("data-feasible") == "true"
    assert page.locator("#chosen tr[data-measure]").count() >= 1

    # Infeasible targets: the binding target is named with its shortfall.
    page.fill("input[name=targets]", "NOx=-60%, VOCs=-12%")
    page.click("#optimise-form button[type=submit]")
    page.wait_for_selector("#optimisation[data-feasible=false]")
    assert page.locator("#binding tr[data-binding=NOx]").count() == 1
    assert "NOx" in page.locator("#optimise-message").inner_text()
