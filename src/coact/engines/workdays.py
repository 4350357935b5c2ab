"""Deadlines on the Chinese official working-day calendar (法定节假日 and 调休上班).

Which days are working days comes from the maintained package ``chinesecalendar``
(import name ``chinese_calendar``), which transcribes the State Council General Office's yearly
notice on public-holiday arrangements (国务院办公厅关于××年部分节假日安排的通知): statutory
holidays are days off even on weekdays, and adjusted working days (调休上班) are working days
even on a Saturday or Sunday.

Counting rules (documented in docs/case-engine.md, "Calendar rules"):

* Times are local Asia/Shanghai. A naive datetime is read as Asia/Shanghai local time; an aware
  one is converted. Every returned datetime is aware, in Asia/Shanghai.
* ``n`` working days: the day of receipt is day 0 and is never counted (the 12345 pattern
  "from the day after the work order is received", management-modules.md §2.7). Day 1 is the
  first working day strictly after the receipt date, so a case received on a Saturday, a
  holiday or a working day alike starts counting on the next working day. The deadline is the
  end (23:59:59) of the n-th working day. ``n = 0`` means "the same working day": the end of
  the receipt day if it is a working day, else the end of the next working day.
* ``n`` calendar days: the end of the day ``n`` days after the receipt date; optionally moved
  to the next working day when it falls on a day off.
* ``n`` hours: exactly ``n`` hours after receipt (China has no daylight saving time).
* Years outside the package's data (2004-2026 in chinesecalendar 1.11.0): Monday-Friday are
  treated as working days, and the result says so (``calendar_estimated`` and ``warning``);
  nothing raises.

Speed: each year's working days are built once (cached) as a sorted tuple of day ordinals, and
shifting is a bisect, so 100,000 due dates take a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = dt.time(23, 59, 59)
UNITS = ("working_days", "calendar_days", "hours")


class _CalendarEstimate:
    """Shared by results that say which years Monday-Friday stood in for the official calendar."""

    estimated_years: tuple[int, ...]

    @property
    def calendar_estimated(self) -> bool:
        return bool(self.estimated_years)

    @property
    def warning(self) -> str | None:
        return _estimate_warning(self.estimated_years)


@dataclass(frozen=True)
class Deadline(_CalendarEstimate):
    """A computed due moment, with a flag when part of the count was estimated.

    ``estimated_years`` lists years outside the official calendar data that were crossed;
    for them Monday-Friday stood in for working days, so holidays and 调休 are missing.
    """

    due: dt.datetime
    estimated_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class WorkdayCount(_CalendarEstimate):
    """A number of working days, with the same estimate flag as :class:`Deadline`."""

    days: int
    estimated_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class _YearTable:
    ordinals: tuple[int, ...]  # sorted proleptic-Gregorian ordinals of the year's working days
    estimated: bool


def supported_years() -> tuple[int, int]:
    """First and last year the official calendar data covers (inclusive)."""
    return _supported_years()


@cache
def _supported_years() -> tuple[int, int]:
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


def _estimate_warning(years: tuple[int, ...]) -> str | None:
    if not years:
        return None
    first, last = supported_years()
    listed = ", ".join(str(y) for y in years)
    return (
        f"working days in {listed} counted as Monday-Friday: the official holiday calendar "
        f"(chinesecalendar {chinese_calendar.__version__}) covers {first}-{last} only"
    )


@cache
def _year_table(year: int) -> _YearTable:
    first, last = supported_years()
    estimated = not first <= year <= last
    day = dt.date(year, 1, 1)
    ordinals = []
    while day.year == year:
        working = day.weekday() < 5 if estimated else chinese_calendar.is_workday(day)
        if working:
            ordinals.append(day.toordinal())
        day += dt.timedelta(days=1)
    return _YearTable(tuple(ordinals), estimated)


def is_working_day(day: dt.date) -> bool:
    """True on official working days (Mon-Fri outside the supported years)."""
    table = _year_table(day.year)
    ordinal = day.toordinal()
    index = bisect_left(table.ordinals, ordinal)
    return index < len(table.ordinals) and table.ordinals[index] == ordinal


def to_local(moment: dt.datetime) -> dt.datetime:
    """``moment`` as aware Asia/Shanghai time (naive input is taken as already local)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 local on ``day``: the moment a day-counted deadline expires."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=LOCAL_TZ)


def shift_working_days(day: dt.date, n: int) -> tuple[dt.date, tuple[int, ...]]:
    """The n-th working day after ``day`` (n > 0), before it (n < 0), or ``day`` itself if it
    is a working day else the next one (n == 0). Returns the date and the estimated years."""
    ordinal, estimated = _shift_ordinal(day.toordinal(), n)
    return dt.date.fromordinal(ordinal), estimated


@lru_cache(maxsize=131_072)
def _shift_ordinal(ordinal: int, n: int) -> tuple[int, tuple[int, ...]]:
    # Cached: receipt dates cluster on a few hundred days, so an overdue scan or a bulk import
    # mostly hits the cache.
    if n >= 0:
        return _nth_working_on_or_after(ordinal, n)
    return _nth_working_before(ordinal, -n)


def _nth_working_on_or_after(ordinal: int, n: int) -> tuple[int, tuple[int, ...]]:
    """n == 0: first working day >= ordinal; n > 0: n-th working day > ordinal."""
    year = dt.date.fromordinal(ordinal).year
    table = _year_table(year)
    estimated = {year} if table.estimated else set()
    if n == 0:
        index, remaining = bisect_left(table.ordinals, ordinal), 1
    else:
        index, remaining = bisect_right(table.ordinals, ordinal), n
    while index + remaining > len(table.ordinals):
        remaining -= len(table.ordinals) - index
        year, index = year + 1, 0
        table = _year_table(year)
        if table.estimated:
            estimated.add(year)
    return table.ordinals[index + remaining - 1], tuple(sorted(estimated))


def _nth_working_before(ordinal: int, n: int) -> tuple[int, tuple[int, ...]]:
    year = dt.date.fromordinal(ordinal).year
    table = _year_table(year)
    estimated = {year} if table.estimated else set()
    index, remaining = bisect_left(table.ordinals, ordinal), n  # index = working days before
    while remaining > index:
        remaining -= index
        year -= 1
        table = _year_table(year)
        index = len(table.ordinals)
        if table.estimated:
            estimated.add(year)
    return table.ordinals[index - remaining], tuple(sorted(estimated))


def add_working_days(start: dt.datetime, n: int) -> Deadline:
    """Deadline ``n`` working days after ``start`` (receipt day not counted; n=0: same
    working day), expiring at 23:59:59 Asia/Shanghai on the last counted day."""
    if n < 0:
        raise ValueError(f"add_working_days: n must be >= 0, got {n}")
    return _working_deadline(to_local(start).date().toordinal(), n)


@lru_cache(maxsize=131_072)
def _working_deadline(ordinal: int, n: int) -> Deadline:
    # Deadline objects are immutable, so one per (receipt day, n) can be shared.
    due, estimated = _shift_ordinal(ordinal, n)
    return Deadline(end_of_day(dt.date.fromordinal(due)), estimated)


def add_calendar_days(start: dt.datetime, n: int, *, roll_to_working_day: bool = False) -> Deadline:
    """Deadline at the end of the day ``n`` calendar days after the receipt date.

    ``roll_to_working_day`` moves a deadline that lands on a day off to the next working day
    (the usual rule for statutory periods; whether it applies is a per-SLA setting)."""
    if n < 0:
        raise ValueError(f"add_calendar_days: n must be >= 0, got {n}")
    day = to_local(start).date() + dt.timedelta(days=n)
    if not roll_to_working_day:
        return Deadline(end_of_day(day))
    rolled, estimated = shift_working_days(day, 0)
    return Deadline(end_of_day(rolled), estimated)


def add_hours(start: dt.datetime, n: float) -> Deadline:
    """Deadline exactly ``n`` hours after ``start`` (no working-day logic)."""
    if n < 0:
        raise ValueError(f"add_hours: n must be >= 0, got {n}")
    return Deadline(to_local(start) + dt.timedelta(hours=n))


def add_duration(
    start: dt.datetime, value: float, unit: str, *, roll_to_working_day: bool = False
) -> Deadline:
    """Dispatch on the SLA unit: ``working_days``, ``calendar_days`` or ``hours``."""
    if unit == "working_days":
        return add_working_days(start, _whole(value, unit))
    if unit == "calendar_days":
        return add_calendar_days(
            start, _whole(value, unit), roll_to_working_day=roll_to_working_day
        )
    if unit == "hours":
        return add_hours(start, value)
    raise ValueError(f"unknown duration unit {unit!r}; expected one of {', '.join(UNITS)}")


def _whole(value: float, unit: str) -> int:
    if int(value) != value:
        raise ValueError(f"{unit} must be a whole number, got {value}")
    return int(value)


def working_days_between(a: dt.datetime | dt.date, b: dt.datetime | dt.date) -> WorkdayCount:
    """Working days after ``a``'s date up to and including ``b``'s date (negative if b < a).

    Consistent with :func:`add_working_days`: for n >= 1,
    ``working_days_between(start, add_working_days(start, n).due).days == n``."""
    first, last = _local_date(a), _local_date(b)
    if last < first:
        count = working_days_between(last, first)
        return WorkdayCount(-count.days, count.estimated_years)
    total, estimated = 0, []
    for year in range(first.year, last.year + 1):
        table = _year_table(year)
        if table.estimated:
            estimated.append(year)
        total += bisect_right(table.ordinals, last.toordinal()) - bisect_right(
            table.ordinals, first.toordinal()
        )
    return WorkdayCount(total, tuple(estimated))


def _local_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return to_local(value).date()
    return value
