"""The office opens online monitoring: the outlet map and list, an outlet's chart against its
limit, the alarm with its case, the quarantine list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user


@pytest.fixture
def demo(transactional_db: Any) -> None:
    from coact.monitoring import setup
    from coact.plan import services

    services.load_org()
    setup.load_demo_data()


def test_outlets_chart_alarm_and_quarantine(demo: None, live_server: Any, new_page: Any) -> None:
    make_user("office", "supervisor")
    page = new_page()
    login(page, live_server.url, "office", "pw-office")
    page.goto(f"{live_server.url}/monitoring/")
    assert page.locator("[data-outlet]").count() == 3
    assert page.locator("canvas").count() >= 1  # the ECharts map rendered
    page.locator("[data-outlet='DEMO-DA001'] a").click()
    page.wait_for_selector("[data-factor='a21026'] canvas")
    assert "GB 13223-2011" in page.content()
    page.goto(f"{live_server.url}/monitoring/alarms/")
    row = page.locator("#alarm-rows tr", has_text="小时均值超标")  # rule exceedance_hour
    assert row.count() == 1 and "BJ-" in row.inner_text()
    page.goto(f"{live_server.url}/monitoring/quarantine/")
    assert page.locator("#quarantine-rows").count() == 1
