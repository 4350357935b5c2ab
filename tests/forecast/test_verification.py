"""Verification numbers on a hand-made example, and from stored runs against the air app."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from tests.forecast.conftest import day


def test_scores_on_hand_made_pairs() -> None:
    from coact.forecast.queries import scores_from_pairs

    # Lead 1, four target days in 2023 (HJ 633-2012 O3-8h grades: <=100 -> 1, <=160 -> 2,
    # <=215 -> 3). observed 100,170,200,150 -> grades 1,3,3,2; forecast 110,180,150,170 ->
    # grades 2,3,2,3.
    frame = pd.DataFrame(
        {
            "lead": [1, 1, 1, 1],
            "date": [dt.date(2023, 7, d) for d in (1, 2, 3, 4)],
            "point": [110.0, 180.0, 150.0, 170.0],
            "grade": [2, 3, 2, 3],
            "probabilities": [[0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0]] * 2,
            "persistence": [120.0, 100.0, 160.0, 210.0],
            "climatology": [150.0, 150.0, 150.0, 150.0],
            "run__meteorology": ["none"] * 4,
            "observed": [100.0, 170.0, 200.0, 150.0],
        }
    )
    result = scores_from_pairs(frame)["by_meteorology"]["none"]
    issued = result["issued"][1]
    assert issued["n"] == 4
    assert issued["exact"] == pytest.approx(0.25)  # only day 2 matches
    assert issued["within_one"] == pytest.approx(1.0)  # every miss is one grade
    # Exceedance (grade >= 3): hit day 2, miss day 3, false alarm day 4.
    assert issued["pod"] == pytest.approx(0.5)
    assert issued["far"] == pytest.approx(0.5)
    assert issued["ts"] == pytest.approx(1 / 3)
    # Errors 10, 10, -50, 20: RMSE = sqrt(3100 / 4) = 27.839; bias = -10 / 4 = -2.5.
    assert issued["rmse"] == pytest.approx(27.839, abs=1e-3)
    assert issued["bias"] == pytest.approx(-2.5)
    # Persistence errors 20, -70, -40, 60: RMSE = sqrt(10500 / 4) = 51.235.
    assert result["persistence"][1]["rmse"] == pytest.approx(51.235, abs=1e-3)
    assert issued["skill_rmse_vs_persistence"] == pytest.approx(1 - 27.839 / 51.235, abs=1e-4)
    # Climatology 150 everywhere -> grade 2: exact on day 4 only; errors 50, -20, -50, 0.
    assert result["climatology"][1]["exact"] == pytest.approx(0.25)
    assert result["climatology"][1]["rmse"] == pytest.approx(36.742, abs=1e-3)


def test_verification_from_stored_runs(history: Any, office: Any) -> None:
    from coact.air import services as air
    from coact.forecast import queries, services

    history(30)
    run = services.run_forecast(day(19))
    result = queries.verification(office)
    issued = result["by_meteorology"]["none"]["issued"]
    assert sorted(issued) == list(range(1, 11))
    assert all(issued[k]["n"] == 1 for k in issued)  # one run: one pair per lead
    observed = air.city_daily_o3_8h(day(20), day(20))[day(20)]
    lead1 = run.days.get(lead=1)
    assert issued[1]["rmse"] == pytest.approx(abs(lead1.point - observed), abs=1e-6)
    assert issued[1]["bias"] == pytest.approx(lead1.point - observed, abs=1e-6)
