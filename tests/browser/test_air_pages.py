"""The public air dashboard draws the daily-AQI calendar in the HJ 633 level colours."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.air.conftest import release_slice

pytestmark = pytest.mark.browser

PIXEL_AT = """(date) => {
  const el = document.querySelector('#air-calendar [data-echart]');
  const chart = echarts.getInstanceByDom(el);
  const [x, y] = chart.convertToPixel({calendarIndex: 0}, date);
  const canvas = el.querySelector('canvas');
  const ratio = canvas.width / canvas.clientWidth;
  const context = canvas.getContext('2d');
  const pixel = context.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data;
  return [pixel[0], pixel[1], pixel[2]];
}"""


@pytest.fixture
def air_data(transactional_db: Any, tmp_path: Path) -> None:
    from coact.air import services
    from coact.plan import services as plan_services

    plan_services.load_all()
    services.load_stations()
    services.import_file(release_slice(tmp_path, "20190101", "20190110"), "cnemc")


def test_city_dashboard_calendar_heat_map(air_data: None, live_server: Any, new_page: Any) -> None:
    from coact.engines import aqi

    page = new_page()
    page.goto(f"{live_server.url}/air/?year=2019")
    page.wait_for_selector("#air-calendar [data-echart] canvas")
    option = json.loads(
        page.locator("#air-calendar script[type='application/json']").text_content()
    )
    days = option["series"][0]["data"]
    assert len(days) == 365 and option["calendar"]["range"] == "2019"
    # Rows are [date, AQI, level, primary]; 2019-01-05 has data in the slice.
    date, value, level, _primary = next(d for d in days if d[0] == "2019-01-05")
    assert level == int(aqi.aqi_level([value])[0]) > 0
    page.wait_for_timeout(1200)  # let the first-draw animation finish
    expected = aqi.level_info(level).rgb
    drawn = page.evaluate(PIXEL_AT, date)
    assert all(abs(a - b) <= 3 for a, b in zip(drawn, expected, strict=True)), (drawn, expected)
    # A day without data is drawn grey, not in a level colour.
    empty = page.evaluate(PIXEL_AT, "2019-07-01")
    assert all(abs(a - b) <= 3 for a, b in zip(empty, (0xBD, 0xBD, 0xBD), strict=True)), empty
