"""Daily runs: stored forecasts, the leakage guard, training, the command and the job."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.forecast.conftest import day, store_days


def test_daily_run_stores_ten_days(history: Any) -> None:
    from coact.forecast import services
    from coact.forecast.models import ForecastRun

    history(40)
    run = services.run_forecast(day(39))
    days = list(run.days.order_by("lead"))
    assert [d.lead for d in days] == list(range(1, 11))
    assert [d.date for d in days] == [day(39 + k) for k in range(1, 11)]
    assert [d.kind for d in days] == ["precise"] * 3 + ["outlook"] * 7
    assert run.method == "baselines" and run.model_version == "baselines"
    assert run.meteorology == "none"
    assert (run.data_start, run.data_end) == (day(0), day(39))
    for d in days:
        assert sum(d.probabilities) == pytest.approx(1.0, abs=1e-3)
        assert d.q05 <= d.q25 <= d.median <= d.q75 <= d.q95
        assert d.source in ("persistence", "climatology")
        assert 1 <= d.grade <= 6
    # Synthetic MDA8 of day 39 = its afternoon peak (six hours at the peak fill the best
    # 8-h window with 6 peak hours + 2 at 35 %): (6 + 2 * 0.35) / 8 * peak.
    peak = 130 + 40 * math.sin(2 * math.pi * 39 / 24)
    assert days[0].persistence == pytest.approx((6 + 0.7) / 8 * peak, abs=0.05)
    # A rerun of the same day replaces the run (one run per area and day).
    again = services.run_forecast(day(39))
    assert again.pk == run.pk and ForecastRun.objects.count() == 1 and again.days.count() == 10


def _snapshot(run: Any) -> list[tuple]:
    return [(d.lead, d.point, d.q10, d.q90, d.grade, d.source) for d in run.days.order_by("lead")]


def test_leakage_guard_run_uses_only_data_up_to_as_of(history: Any) -> None:
    """A run as of D gives the same numbers whatever is stored after D, and ignores a model
    trained on targets after D."""
    from coact.forecast import services
    from coact.forecast.models import ForecastModel

    history(45)
    before = _snapshot(services.run_forecast(day(30)))
    store_days(31, 44, bump=120.0)  # later days corrected to much higher values
    ForecastModel.objects.create(
        version="future.joblib",
        path="/nonexistent/future.joblib",
        first_issue_day=day(0),
        last_target_day=day(44),
    )
    run = services.run_forecast(day(30))
    assert _snapshot(run) == before
    assert run.method == "baselines" and run.data_end == day(30)
    assert services.usable_model(day(30)) is None
    assert services.usable_model(day(44)).version == "future.joblib"


def test_too_little_history_falls_back_to_baselines(history: Any) -> None:
    from coact.forecast import services

    history(12)
    with pytest.raises(services.TooLittleHistory, match="too little history"):
        services.train_model()
    assert services.run_forecast().method == "baselines"


@pytest.mark.slow
def test_train_saves_model_and_run_uses_it(history: Any, settings: Any, tmp_path: Any) -> None:
    import json

    from coact.forecast import services

    settings.VAR_DIR = tmp_path
    history(50)
    model = services.train_model(day(40))
    path = tmp_path / "models" / model.version
    assert path.exists() and path.with_suffix(".joblib.json").exists()
    sidecar = json.loads(path.with_suffix(".joblib.json").read_text("utf-8"))
    assert sidecar["training_data"]["last_target_day"] == str(day(40))
    assert model.last_target_day == day(40) and model.meteorology == "none"
    run = services.run_forecast(day(45))
    assert run.method == "model" and run.model == model and run.days.count() == 10
    assert services.run_forecast(day(39)).method == "baselines"  # trained after that day


def test_command_and_daily_job(history: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from coact.forecast import jobs

    history(20)
    out = StringIO()
    call_command("forecast_run", "--as-of", str(day(15)), stdout=out)
    assert f"city as of {day(15)}: baselines" in out.getvalue()
    assert jobs.daily()["as_of"] == str(day(19))
    assert any(s.name == "forecast.daily" for s in jobs.SCHEDULES)
