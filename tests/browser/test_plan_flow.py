"""A department reporter submits a value, the office approves it, the dashboard changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import login
from tests.conftest import make_user


@pytest.fixture
def loaded(transactional_db: Any) -> None:
    from coact.plan import services

    services.load_all()
    services.refresh_all_statuses()


def _no_data_count(page: Any) -> int:
    return int(page.locator("#status-counts [data-status=no_data] b").inner_text())


def test_report_approve_dashboard_changes(loaded: None, live_server: Any, new_page: Any) -> None:
    from coact.plan.models import Indicator

    make_user("eco", "department", department="ecology")
    make_user("office", "supervisor")
    indicator = (
        Indicator.objects.filter(
            responsible__code="ecology", reporting="reported", target__isnull=False
        )
        .order_by("code")
        .first()
    )
    office_page = new_page()
    login(office_page, live_server.url, "office", "pw-office")
    office_page.goto(f"{live_server.url}/plan/")
    before = _no_data_count(office_page)
    assert office_page.locator(f"[data-indicator='{indicator.code}']").count() in (0, 1)
    assert "暂无数据" in office_page.content() or "No data" in office_page.content()

    reporter = new_page()
    login(reporter, live_server.url, "eco", "pw-eco")
    reporter.goto(f"{live_server.url}/plan/indicators/{indicator.pk}/")
    form = reporter.locator("#observation-form")
    form.locator("input[name=value]").fill(str(indicator.target))
    form.locator("input[name=period_start]").fill("2025-01-01")
    form.locator("input[name=period_end]").fill("2025-12-31")
    form.locator("input[name=source]").fill("2025年统计年报")
    form.locator("button[type=submit]").click()
    reporter.wait_for_load_state()
    assert reporter.locator("table").filter(has_text="2025年统计年报").count() == 1
    indicator.refresh_from_db()
    assert indicator.status == "no_data"  # waiting for approval: not counted yet

    office_page.goto(f"{live_server.url}/plan/approvals/")
    row = office_page.locator("tr", has_text="2025年统计年报")
    row.locator("button[value=approve]").click()
    office_page.wait_for_selector("[data-state=approved]")  # swapped in by htmx

    office_page.goto(f"{live_server.url}/plan/")
    assert _no_data_count(office_page) == before - 1
    indicator.refresh_from_db()
    assert indicator.status in ("achieved", "on_track")
    badge = office_page.locator(f"[data-indicator='{indicator.code}']")
    if badge.count():
        assert "no_data" not in badge.get_attribute("class")
    chart_option = office_page.locator("script[id$='-option']").first.inner_text()
    assert '"series"' in chart_option
    assert (
        office_page.locator("[data-echart] canvas").count() >= 1
    )  # ECharts drew, from local assets
