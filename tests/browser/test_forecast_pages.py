"""The forecast page shows 10 days in the HJ 633 grade colours; its warning link opens the
ozone warning case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user

pytestmark = pytest.mark.browser

BACKGROUNDS = """() => [...document.querySelectorAll('#forecast-strip .fc-day')].map(
  el => [Number(el.dataset.grade), getComputedStyle(el).backgroundColor])"""


@pytest.fixture
def episode(transactional_db: Any) -> Any:
    from coact.air import services as air
    from coact.forecast import services
    from coact.plan import services as plan_services
    from tests.forecast.conftest import day, store_days

    plan_services.load_all()
    air.load_stations()
    store_days(0, 29, high_from=25)  # an episode from day 25: grade 3 by persistence
    return services.run_forecast(day(27))


def test_forecast_strip_and_warning_case(episode: Any, live_server: Any, new_page: Any) -> None:
    from coact.engines import aqi

    assert episode.warning_case_id is not None
    make_user("office", "supervisor")
    page = new_page()
    login(page, live_server.url, "office", "pw-office")
    page.goto(f"{live_server.url}/forecast/")
    page.wait_for_selector("#forecast-strip .fc-day")
    drawn = page.evaluate(BACKGROUNDS)
    assert len(drawn) == 10
    for grade, colour in drawn:
        red, green, blue = aqi.level_info(grade).rgb
        assert colour == f"rgb({red}, {green}, {blue})"
    assert drawn[0][0] == 3  # the first precise day: light pollution
    assert page.locator(".fc-day[data-kind=precise]").count() == 3
    page.wait_for_selector("#forecast-history [data-echart] canvas")
    page.click("#warning-case-link")
    page.wait_for_url(f"**/cases/{episode.warning_case_id}/")
    assert episode.warning_case_number in page.content()
    assert "臭氧" in page.content()
