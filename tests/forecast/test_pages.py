"""Pages and API: the forecast strip, verification, the office-only backtest button."""

from __future__ import annotations

from typing import Any

import pytest

from tests.forecast.conftest import day


def test_forecast_page_and_api_are_public(history: Any, client: Any) -> None:
    from coact.engines import aqi
    from coact.forecast import services

    history(30)
    run = services.run_forecast(day(25))
    page = client.get("/forecast/").content.decode()
    assert page.count('class="fc-day"') == 10
    first = run.days.get(lead=1)
    assert aqi.level_info(first.grade).colour_hex in page
    assert 'data-meteorology="none"' in page and "precise" in page and "outlook" in page
    latest = client.get("/api/forecast/latest").json()
    assert latest["as_of"] == str(day(25)) and len(latest["days"]) == 10
    assert client.get("/forecast/verification/").status_code == 200
    scores = client.get("/api/forecast/verification").json()
    assert scores["n_pairs"] == 4  # run as of day 25: targets 26..29 observed
    assert scores["by_meteorology"]["none"]["issued"]["1"]["n"] == 1
    assert client.get("/api/forecast/measures").status_code == 401


def test_backtest_button_is_office_only(
    history: Any, client: Any, eco: Any, office: Any, monkeypatch: Any
) -> None:
    from coact.forecast.models import Backtest

    queued: list[Any] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append(a))
    history(20)
    client.force_login(eco)
    client.post("/forecast/backtest/")
    assert not Backtest.objects.exists() and not queued
    client.force_login(office)
    response = client.post("/forecast/backtest/")
    assert response.status_code == 302
    assert not Backtest.objects.exists()  # 20 days: too short, said on the page
    assert "need 60" in client.get("/forecast/verification/").content.decode()


@pytest.mark.slow
def test_backtest_job_stores_engine_result(history: Any, office: Any, monkeypatch: Any) -> None:
    from coact.forecast import services
    from coact.forecast.models import Backtest

    queued: list[Any] = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: queued.append(a))
    history(64)
    backtest = services.request_backtest(office)
    assert queued == [("coact.forecast.services.run_backtest_job", backtest.pk)]
    assert services.run_backtest_job(backtest.pk) == "done"
    backtest = Backtest.objects.get(pk=backtest.pk)
    models = {r["model"] for r in backtest.result["runs"]}
    assert {"persistence", "climatology", "lgbm+fallback"} <= models
    assert backtest.result["setup"]["train_end"] == backtest.setup["train_end"]
