"""Working-day deadlines on the Chinese official calendar (chinesecalendar data).

National Day 2025 (State Council General Office notice on the 2025 holiday arrangements, as
transcribed by chinesecalendar 1.11.0):
2025-10-01 (Wed) .. 2025-10-08 (Wed) off (National Day + Mid-Autumn, 10-06 is Mid-Autumn);
adjusted working days (调休上班) Sunday 2025-09-28 and Saturday 2025-10-11.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coact.engines.workdays import (
    LOCAL_TZ,
    add_calendar_days,
    add_duration,
    add_hours,
    add_working_days,
    is_working_day,
    shift_working_days,
    supported_years,
    working_days_between,
)

D = dt.date


def eod(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 23, 59, 59, tzinfo=LOCAL_TZ)


def test_package_data_for_national_day_2025() -> None:
    """The expected calendar written out, checked against both the package and our table."""
    expected = {
        D(2025, 9, 27): False,  # Saturday, ordinary weekend
        D(2025, 9, 28): True,  # Sunday, adjusted working day
        D(2025, 9, 29): True,
        D(2025, 9, 30): True,
        **{D(2025, 10, d): False for d in range(1, 9)},  # 10-01 .. 10-08 off
        D(2025, 10, 9): True,
        D(2025, 10, 10): True,
        D(2025, 10, 11): True,  # Saturday, adjusted working day
        D(2025, 10, 12): False,  # Sunday
        D(2025, 10, 13): True,
    }
    for day, working in expected.items():
        assert chinese_calendar.is_workday(day) is working, day
        assert is_working_day(day) is working, day


def test_supported_years_cover_the_plan_period() -> None:
    first, last = supported_years()
    assert first <= 2023 and last >= 2025


def test_one_working_day_across_national_day() -> None:
    # Received Tue 2025-09-30 (last working day before the holiday): day 1 is Thu 10-09.
    assert add_working_days(dt.datetime(2025, 9, 30, 10, 0), 1).due == eod(2025, 10, 9)


def test_adjusted_working_sunday_counts() -> None:
    # Received Fri 2025-09-26: Sat 27 is off, Sun 28 is an adjusted working day = day 1.
    assert add_working_days(dt.datetime(2025, 9, 26, 16, 0), 1).due == eod(2025, 9, 28)


def test_adjusted_working_saturday_counts() -> None:
    # From Tue 09-30: 10-09 (1), 10-10 (2), Sat 10-11 (3, adjusted working day).
    assert add_working_days(dt.datetime(2025, 9, 30, 9, 0), 3).due == eod(2025, 10, 11)


def test_thirteen_working_days_12345_pattern() -> None:
    # From Fri 09-26: 09-28 (1), 09-29 (2), 09-30 (3), 10-09 (4), 10-10 (5), 10-11 (6),
    # 10-13 (7), 10-14 (8), 10-15 (9), 10-16 (10), 10-17 (11), 10-20 (12), 10-21 (13).
    deadline = add_working_days(dt.datetime(2025, 9, 26, 10, 0), 13)
    assert deadline.due == eod(2025, 10, 21)
    assert not deadline.calendar_estimated and deadline.warning is None


def test_received_on_a_holiday_starts_on_the_next_working_day() -> None:
    # Received Fri 2025-10-03 (holiday): day 1 is the first working day after it, 10-09.
    assert add_working_days(dt.datetime(2025, 10, 3, 11, 0), 1).due == eod(2025, 10, 9)
    # n = 0, "the same working day": rolls to 10-09 too.
    assert add_working_days(dt.datetime(2025, 10, 3, 11, 0), 0).due == eod(2025, 10, 9)
    # n = 0 on a working day (the adjusted Saturday) is that day itself.
    assert add_working_days(dt.datetime(2025, 10, 11, 8, 0), 0).due == eod(2025, 10, 11)


def test_aware_times_are_converted_to_shanghai() -> None:
    # 2025-10-08 16:30 UTC is 2025-10-09 00:30 in Shanghai (a working day): day 1 = 10-10.
    received = dt.datetime(2025, 10, 8, 16, 30, tzinfo=dt.UTC)
    assert add_working_days(received, 1).due == eod(2025, 10, 10)
    # Naive input is read as Shanghai local time: 10-08 16:30 local (holiday) -> day 1 = 10-09.
    assert add_working_days(dt.datetime(2025, 10, 8, 16, 30), 1).due == eod(2025, 10, 9)
    assert add_working_days(received, 1).due.tzinfo == ZoneInfo("Asia/Shanghai")


def test_working_days_between_across_the_holiday() -> None:
    # (09-30, 10-11] holds 10-09, 10-10, 10-11.
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 11)).days == 3
    assert working_days_between(D(2025, 10, 11), D(2025, 9, 30)).days == -3
    assert working_days_between(D(2025, 10, 2), D(2025, 10, 8)).days == 0


def test_shift_backwards_over_the_holiday() -> None:
    # One working day before Thu 10-09 is Tue 09-30; three before is Sun 09-28 (adjusted).
    assert shift_working_days(D(2025, 10, 9), -1)[0] == D(2025, 9, 30)
    assert shift_working_days(D(2025, 10, 9), -3)[0] == D(2025, 9, 28)


def test_calendar_days_and_roll_forward() -> None:
    # 7 calendar days after 09-30 is 10-07 (a holiday); rolled, the next working day 10-09.
    assert add_calendar_days(dt.datetime(2025, 9, 30, 10), 7).due == eod(2025, 10, 7)
    rolled = add_calendar_days(dt.datetime(2025, 9, 30, 10), 7, roll_to_working_day=True)
    assert rolled.due == eod(2025, 10, 9)


def test_hours_are_exact() -> None:
    start = dt.datetime(2025, 10, 1, 8, 15, tzinfo=LOCAL_TZ)
    assert add_hours(start, 24).due == dt.datetime(2025, 10, 2, 8, 15, tzinfo=LOCAL_TZ)
    assert add_duration(start, 1.5, "hours").due == dt.datetime(2025, 10, 1, 9, 45, tzinfo=LOCAL_TZ)


def test_outside_supported_years_falls_back_to_monday_friday() -> None:
    # Fri 2030-01-04 + 1 working day = Mon 2030-01-07, flagged as estimated.
    deadline = add_working_days(dt.datetime(2030, 1, 4, 10), 1)
    assert deadline.due == eod(2030, 1, 7)
    assert deadline.calendar_estimated and deadline.estimated_years == (2030,)
    assert "2030" in deadline.warning and "Monday-Friday" in deadline.warning
    # Crossing out of the data: from the last supported year into the next one.
    last = supported_years()[1]
    crossing = add_working_days(dt.datetime(last, 12, 31, 10), 10)
    assert crossing.estimated_years == (last + 1,)
    assert working_days_between(D(2030, 1, 4), D(2030, 1, 11)).calendar_estimated


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_working_days(dt.datetime(2025, 1, 1), -1), "n must be >= 0"),
        (lambda: add_duration(dt.datetime(2025, 1, 1), 2, "weeks"), "unknown duration unit"),
        (lambda: add_duration(dt.datetime(2025, 1, 1), 1.5, "working_days"), "whole number"),
    ],
)
def test_bad_arguments_say_what_is_wrong(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=D(2005, 1, 1), max_value=D(2026, 6, 30)),
    n=st.integers(min_value=1, max_value=40),
)
def test_property_agrees_with_package_brute_force(start: dt.date, n: int) -> None:
    """The due day is a working day and exactly n working days lie in (start, due]."""
    due = add_working_days(dt.datetime.combine(start, dt.time(12)), n).due.date()
    assert chinese_calendar.is_workday(due)
    counted = chinese_calendar.get_workdays(start + dt.timedelta(days=1), due)
    assert len(counted) == n
    assert working_days_between(start, due).days == n
