"""Progress status of a plan indicator: achieved, on_track, at_risk, off_track or no_data.

Method (docs/plan-format.md, "Progress status"). It follows the idea of Open SDG's automatic
progress calculation (open-sdg docs/progress.md, Statistics Canada's method: compare the
progress made with the progress needed, with thresholds 0.95 and 0.6), adapted to plans whose
targets are a few years away and mostly have a fixed deadline:

1. Only observations dated on or before ``as_of`` count; the latest one is judged. None ->
   ``no_data``.
2. The *compared value* M is the observed value itself, except for the comparators against a
   base: ``pct_change_vs_base`` and ``negative_growth_vs_base`` use the % change from the base
   value, ``multiple_of_base`` the ratio to it. The base value is ``baseline.value`` or else the
   observation of the base year; an annual ``negative_growth_vs_base`` with no base year uses
   the previous year's observation. A missing base -> ``no_data``.
3. The target T is ``target`` (100 for ``full_coverage``, 0 for ``negative_growth_vs_base``, the
   provincial target passed in for ``exceed_provincial_target``). With s = +1 when higher is
   better and -1 otherwise, the margin is s * (M - T); the target is met when the margin is at
   least ``-tolerance`` (strictly positive for ``strict`` targets without tolerance).
   ``tolerance`` defaults to 5 % of |T| for ``about`` and 0 otherwise. Met -> ``achieved``.
4. Not met and ``as_of`` on or after the deadline -> ``off_track``.
5. Targets that hold at every moment (``maintain``, ``annual`` indicators, and
   ``negative_growth_vs_base``) are compared with T now: a shortfall of at most
   ``flat_at_risk_margin`` (default 5 %) of |T| (of the base value for % changes) ->
   ``at_risk``, more -> ``off_track``.
6. Otherwise, with a start point (base value at the end of the base year; 0 % or ratio 1 for the
   comparators against a base), the expected value E on the latest observation's date lies on
   the straight line from the start point to (deadline, T). The progress ratio
   (M - start) / (E - start) is the share of the progress due by then that was made:
   >= ``on_track_ratio`` (0.95) -> ``on_track``; >= ``at_risk_ratio`` (0.6) -> ``at_risk``;
   below -> ``off_track``.
7. Without a start point, only the deadline can judge: ``at_risk`` when it is at most
   ``due_soon_days`` (183) away, else ``on_track`` (reason says "not yet met, no baseline").

Values in the result are compared values (observed units, % change, or ratio to base); ``gap``
is s * (M - E) or s * (M - T) for flat targets, positive when ahead. All functions are pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from coact.engines.planfile import VERSUS_BASE, Comparator

ABOUT_DEFAULT_TOLERANCE = 0.05  # share of |target| that "左右" allows when the file gives none
FLOAT_SLACK = 1e-9  # so that 88.0 computed as 87.99999999 still meets ">= 88"


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs of the progress status; defaults follow Open SDG's 0.95 / 0.6."""

    on_track_ratio: float = 0.95
    at_risk_ratio: float = 0.6
    flat_at_risk_margin: float = 0.05
    due_soon_days: int = 183


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Observation:
    """A value of an indicator for a period ending on ``date`` (annual: 31 December)."""

    date: dt.date
    value: float


@dataclass(frozen=True)
class IndicatorSpec:
    """What the progress engine needs of an indicator (a plan Indicator or a database row).

    ``baseline_date`` is the end of the base period (31 December of the base year for annual
    data); the base value, when not given, is the observation dated in that year.
    ``start_date`` (the plan period's start) dates a ``baseline_value`` given without a
    ``baseline_date``, e.g. a value the bureau recorded when the plan began.
    """

    comparator: Comparator
    target: float | None
    deadline: dt.date
    higher_is_better: bool
    tolerance: float | None = None
    strict: bool = False
    baseline_value: float | None = None
    baseline_date: dt.date | None = None
    annual: bool = False
    start_date: dt.date | None = None
    code: str = ""

    def __post_init__(self) -> None:
        # Database rows give plain strings and Decimals: normalise once, here.
        object.__setattr__(self, "comparator", Comparator(self.comparator))
        for name in ("target", "tolerance", "baseline_value"):
            value = getattr(self, name)
            object.__setattr__(self, name, None if value is None else float(value))

    @property
    def baseline_year(self) -> int | None:
        return self.baseline_date.year if self.baseline_date else None

    @property
    def start_point_date(self) -> dt.date | None:
        """Date the trajectory starts from: the base date, else the start of a given value."""
        if self.baseline_date is not None:
            return self.baseline_date
        return self.start_date if self.baseline_value is not None else None

    @classmethod
    def from_indicator(cls, indicator: Any) -> IndicatorSpec:
        """From a ``coact.engines.planfile.Indicator`` (or anything with the same fields)."""
        baseline = indicator.baseline
        year = baseline.year if baseline else None
        return cls(
            code=indicator.code,
            comparator=Comparator(indicator.comparator),
            target=indicator.target,
            deadline=indicator.deadline,
            higher_is_better=indicator.higher_is_better,
            tolerance=indicator.tolerance,
            strict=indicator.strict,
            baseline_date=dt.date(year, 12, 31) if year else None,
            baseline_value=baseline.value if baseline else None,
            annual=indicator.annual,
        )


@dataclass(frozen=True)
class StatusResult:
    status: Status
    expected_value: float | None
    latest_value: float | None
    gap: float | None
    reason: str
    latest_date: dt.date | None = None
    target_value: float | None = None
    method: str = ""
    # A stable code and the values in ``reason``, so an interface can word it in any language.
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def indicator_status(
    spec: IndicatorSpec,
    observations: Sequence[Observation],
    as_of: dt.date,
    *,
    provincial_target: float | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> StatusResult:
    """Status of ``spec`` on ``as_of`` from its observations (method in the module docstring)."""
    usable = sorted((o for o in observations if o.date <= as_of), key=lambda o: o.date)
    if not usable:
        return _no_data(
            f"no observation on or before {as_of}",
            code="no_observation",
            params={"as_of": as_of.isoformat()},
        )
    latest = usable[-1]
    target = target_value(spec, provincial_target)
    if target is None:
        code = ("no_provincial_target" if spec.comparator == Comparator.EXCEED_PROVINCIAL_TARGET
                else "no_target")
        return _no_data(_missing_target_reason(spec), latest.date, code=code)
    base = base_value(spec, usable)
    if spec.comparator in VERSUS_BASE and base is None:
        return _no_data(
            _missing_base_reason(spec, latest),
            latest.date,
            code="no_base",
            params={"base_year": spec.baseline_year or latest.date.year - 1},
        )
    if spec.comparator in VERSUS_BASE and base == 0:
        return _no_data(
            "the base value is 0: a change against it is undefined", latest.date, code="zero_base"
        )
    if _only_base_period(spec, latest):
        return _no_data(
            "only base-year observations: no progress to judge yet", latest.date, code="only_base"
        )
    compared = compared_value(spec, latest.value, base)
    judge = _Judgement(spec, target, compared, latest, as_of, thresholds)
    return judge.result(_start_point(spec, usable))


def target_value(spec: IndicatorSpec, provincial_target: float | None = None) -> float | None:
    """The target in compared units (None when it must be supplied and was not)."""
    if spec.comparator == Comparator.EXCEED_PROVINCIAL_TARGET:
        return provincial_target
    if spec.comparator == Comparator.FULL_COVERAGE:
        return 100.0 if spec.target is None else float(spec.target)
    if spec.comparator == Comparator.NEGATIVE_GROWTH_VS_BASE:
        return 0.0
    return None if spec.target is None else float(spec.target)


def base_value(spec: IndicatorSpec, observations: Sequence[Observation]) -> float | None:
    """The base value: written in the plan file, else observed in the base year.

    An annual negative-growth indicator without a base year (e.g. 稳步下降) is compared each
    year with the year before the latest observation.
    """
    if spec.baseline_value is not None:
        return float(spec.baseline_value)
    year = spec.baseline_year
    if year is None and spec.annual and spec.comparator == Comparator.NEGATIVE_GROWTH_VS_BASE:
        year = max(o.date.year for o in observations) - 1 if observations else None
    in_year = [o for o in observations if year is not None and o.date.year == year]
    return max(in_year, key=lambda o: o.date).value if in_year else None


def compared_value(spec: IndicatorSpec, value: float, base: float | None) -> float:
    """The quantity compared with the target: the value, % change from base, or ratio to it."""
    if spec.comparator in (Comparator.PCT_CHANGE_VS_BASE, Comparator.NEGATIVE_GROWTH_VS_BASE):
        assert base is not None
        return 100.0 * (value - base) / base
    if spec.comparator == Comparator.MULTIPLE_OF_BASE:
        assert base is not None
        return value / base
    return value


def tolerance_of(spec: IndicatorSpec, target: float) -> float:
    if spec.tolerance is not None:
        return spec.tolerance
    if spec.comparator == Comparator.ABOUT:
        return ABOUT_DEFAULT_TOLERANCE * abs(target)
    return 0.0


def is_flat(spec: IndicatorSpec) -> bool:
    """True when the target holds at every moment rather than at the deadline."""
    flat = {Comparator.MAINTAIN, Comparator.NEGATIVE_GROWTH_VS_BASE}
    return spec.annual or spec.comparator in flat


def trajectory(
    spec: IndicatorSpec,
    dates: Sequence[dt.date],
    *,
    base: float | None = None,
    provincial_target: float | None = None,
) -> list[float | None]:
    """Expected compared value on each date, for charts (None where nothing is expected).

    Flat targets give the target on every date. Others run in a straight line from the start
    point (base value at the end of the base year, or 0 % / ratio 1 against a base) to the
    target at the deadline, and stay at the target after it. Without a start point only the
    deadline and later dates get a value. ``base`` overrides ``baseline.value`` (e.g. the
    observed base-year value).
    """
    target = target_value(spec, provincial_target)
    if target is None:
        return [None for _ in dates]
    if is_flat(spec):
        return [target for _ in dates]
    start = _start_from(spec, base if base is not None else spec.baseline_value)
    if start is None:
        return [target if day >= spec.deadline else None for day in dates]
    return [_on_line(start, (spec.deadline, target), day) for day in dates]


# --- internals ---------------------------------------------------------------------------------


def _no_data(
    reason: str,
    latest_date: dt.date | None = None,
    *,
    code: str,
    params: dict[str, Any] | None = None,
) -> StatusResult:
    return StatusResult(
        Status.NO_DATA,
        None,
        None,
        None,
        reason,
        latest_date,
        method="none",
        code=code,
        params=params or {},
    )


def _missing_target_reason(spec: IndicatorSpec) -> str:
    if spec.comparator == Comparator.EXCEED_PROVINCIAL_TARGET:
        return "the provincial target was not supplied"
    return "the indicator has no target"


def _missing_base_reason(spec: IndicatorSpec, latest: Observation) -> str:
    if spec.baseline_year is None:
        return f"no observation for {latest.date.year - 1} to compare {latest.date.year} with"
    return f"base value for {spec.baseline_year} is neither in the plan nor observed"


def _only_base_period(spec: IndicatorSpec, latest: Observation) -> bool:
    """The latest observation is the base year's own value: it says nothing about progress."""
    start = spec.start_point_date
    return start is not None and not is_flat(spec) and latest.date <= start


def _start_point(
    spec: IndicatorSpec, observations: Sequence[Observation]
) -> tuple[dt.date, float] | None:
    if spec.start_point_date is None:
        return None
    return _start_from(spec, base_value(spec, observations))


def _start_from(spec: IndicatorSpec, base: float | None) -> tuple[dt.date, float] | None:
    """(end of base year, compared value there): 0 % or ratio 1 against a base, else the base."""
    start_date = spec.start_point_date
    if start_date is None:
        return None
    if spec.comparator in (Comparator.PCT_CHANGE_VS_BASE, Comparator.NEGATIVE_GROWTH_VS_BASE):
        return start_date, 0.0
    if spec.comparator == Comparator.MULTIPLE_OF_BASE:
        return start_date, 1.0
    return (start_date, float(base)) if base is not None else None


def _on_line(start: tuple[dt.date, float], end: tuple[dt.date, float], day: dt.date) -> float:
    (start_day, start_value), (end_day, end_value) = start, end
    if day <= start_day:
        return start_value
    if day >= end_day:
        return end_value
    share = (day - start_day).days / (end_day - start_day).days
    return start_value + share * (end_value - start_value)


@dataclass(frozen=True)
class _Judgement:
    spec: IndicatorSpec
    target: float
    compared: float
    latest: Observation
    as_of: dt.date
    thresholds: Thresholds

    @property
    def sign(self) -> float:
        return 1.0 if self.spec.higher_is_better else -1.0

    def margin(self, reference: float) -> float:
        """How far the compared value is on the good side of ``reference``."""
        return self.sign * (self.compared - reference)

    def met(self) -> bool:
        tolerance = tolerance_of(self.spec, self.target)
        if self.spec.strict and tolerance == 0:
            return self.margin(self.target) > FLOAT_SLACK
        return self.margin(self.target) >= -tolerance - FLOAT_SLACK

    def make(
        self,
        status: Status,
        expected: float,
        reason: str,
        method: str,
        code: str,
        **params: Any,
    ) -> StatusResult:
        return StatusResult(
            status,
            expected,
            self.compared,
            self.margin(expected),
            reason,
            self.latest.date,
            self.target,
            method,
            code,
            params,
        )

    def result(self, start: tuple[dt.date, float] | None) -> StatusResult:
        if self.met():
            return self.make(
                Status.ACHIEVED, self.target, "the latest value meets the target", "target", "met"
            )
        if self.as_of >= self.spec.deadline:
            reason = f"deadline {self.spec.deadline} has passed and the target is not met"
            return self.make(
                Status.OFF_TRACK,
                self.target,
                reason,
                "target",
                "deadline_passed",
                deadline=self.spec.deadline.isoformat(),
            )
        if is_flat(self.spec):
            return self.flat()
        if start is None:
            return self.target_only()
        return self.on_trajectory(start)

    def flat(self) -> StatusResult:
        shortfall = -self.margin(self.target)
        scale = self.flat_scale()
        share = shortfall / scale if scale else float("inf")
        limit = self.thresholds.flat_at_risk_margin
        status = Status.AT_RISK if share <= limit else Status.OFF_TRACK
        reason = f"target applies now; short of it by {share:.1%} (at-risk limit {limit:.0%})"
        return self.make(
            status,
            self.target,
            reason,
            "flat",
            "flat_short",
            share=round(share * 100, 1),
            limit=round(limit * 100),
        )

    def flat_scale(self) -> float:
        if self.target != 0:
            return abs(self.target)
        # A % change from the base: 100 percentage points are the whole base value.
        return 100.0 if self.spec.comparator in VERSUS_BASE else 0.0

    def target_only(self) -> StatusResult:
        days_left = (self.spec.deadline - self.as_of).days
        if days_left <= self.thresholds.due_soon_days:
            reason = (
                f"not met and the deadline is {days_left} days away; no baseline for a trajectory"
            )
            return self.make(
                Status.AT_RISK, self.target, reason, "target_only", "due_soon", days=days_left
            )
        reason = f"not yet met, no baseline: judged at the deadline ({days_left} days away)"
        return self.make(
            Status.ON_TRACK, self.target, reason, "target_only", "not_yet_due", days=days_left
        )

    def on_trajectory(self, start: tuple[dt.date, float]) -> StatusResult:
        expected = _on_line(start, (self.spec.deadline, self.target), self.latest.date)
        due = self.sign * (expected - start[1])
        if due <= 0:
            # Nothing was due yet, or the start is already past the target: judge as flat.
            return self.flat()
        ratio = self.sign * (self.compared - start[1]) / due
        if ratio >= self.thresholds.on_track_ratio:
            status = Status.ON_TRACK
        elif ratio >= self.thresholds.at_risk_ratio:
            status = Status.AT_RISK
        else:
            status = Status.OFF_TRACK
        reason = f"made {ratio:.0%} of the progress due by {self.latest.date}"
        return self.make(
            status,
            expected,
            reason,
            "trajectory",
            "trajectory",
            progress=round(ratio * 100),
            date=self.latest.date.isoformat(),
        )
