"""The ozone warning case: opened once for a grade-3 precise forecast, not duplicated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.forecast.conftest import day, enterprise


@pytest.fixture
def measures(db: Any) -> list[Any]:
    from coact.forecast import services

    rugao = enterprise("如皋测试化工", "320682", "1A2B3C4")
    inputs = [
        ("yellow", "喷涂工序错峰", 2.0, 30.0),
        ("yellow", "柴油车辆限行", 5.0, 1.5),
        ("orange", "涉VOCs产线限产50%", 6.0, 80.0),
    ]
    return [
        services.save_measure(services.MeasureInput(rugao, level, text, nox, vocs, day(0)), by=None)
        for level, text, nox, vocs in inputs
    ]


def test_grade3_forecast_opens_one_warning_case(history: Any, measures: list[Any]) -> None:
    from coact.cases import services as case_services
    from coact.forecast import services

    # Peaks 230 µg/m³ from day 25: MDA8 = 6.7/8 * 230 = 192.6 -> grade 3 (161-215).
    history(30, high_from=25)
    run = services.run_forecast(day(27))
    assert run.days.get(lead=1).grade == 3 and run.days.get(lead=1).source == "persistence"
    assert run.warning_case_number and run.warning_from == day(28)
    from django.contrib.auth.models import AnonymousUser

    from coact.cases.models import Case

    assert not case_services.visible_cases(AnonymousUser()).exists()  # not a public record

    case = Case.objects.get(pk=run.warning_case_id)
    assert case.case_type == "ozone_warning" and case.dedupe_key == f"o3:{day(28)}"
    assert case.responsible_department.code == "ecology"
    # Yellow level: the two yellow measures, NOx 2 + 5 = 7, VOCs 30 + 1.5 = 31.5 kg/day.
    assert "NOx 7.0 kg/day, VOCs 31.5 kg/day" in case.description
    assert "喷涂工序错峰" in case.description and "涉VOCs产线限产50%" not in case.description
    # The next day's run forecasts the same episode: it joins the open case.
    following = services.run_forecast(day(28))
    assert following.warning_case_id == case.pk and following.warning_from == day(28)
    # A rerun of the same day joins it too.
    assert services.run_forecast(day(28)).warning_case_id == case.pk
    assert Case.objects.filter(case_type="ozone_warning").count() == 1


def test_no_warning_below_grade3(history: Any) -> None:
    from coact.forecast import services

    history(30)
    run = services.run_forecast(day(12))  # wave low point: MDA8 well under 160
    assert max(d.grade for d in run.days.filter(kind="precise")) <= 2
    assert run.warning_case_id is None
