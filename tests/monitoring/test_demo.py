"""The demo data: illustrative outlets with an hour of values and one alarm case."""

from __future__ import annotations

from typing import Any


def test_demo_data_has_values_and_one_alarm_case(db: Any) -> None:
    from coact.monitoring import setup
    from coact.monitoring.models import Alarm, Outlet, Reading

    message = setup.load_demo_data()
    assert "3 illustrative outlets" in message
    assert Outlet.objects.filter(illustrative=True).count() == 3
    assert Reading.objects.filter(kind="min").count() == 3 * 60  # an hour of minute values
    alarm = Alarm.objects.get()
    assert alarm.illustrative and alarm.rule == "exceedance_hour" and alarm.case_number
    assert setup.load_demo_data() == "already present"
