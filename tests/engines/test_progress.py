"""Indicator progress status on hand-computed examples, one or more per comparator.

Day counts used below (31 December to 31 December):
  2020-12-31 -> 2023-12-31: 1095 days; -> 2024-12-31: 1461; -> 2025-12-31: 1826
  2022-12-31 -> 2023-12-31: 365 days;  -> 2024-12-31: 731;  -> 2025-12-31: 1096
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coact.engines.planfile import Comparator, load_plan
from coact.engines.progress import (
    IndicatorSpec,
    Observation,
    Status,
    Thresholds,
    indicator_status,
    trajectory,
)

D = dt.date
END = D(2025, 12, 31)
PLAN = Path(__file__).resolve().parents[2] / "src/coact/data/plans/nantong-2023-2025.yaml"


def year_end(year: int, value: float) -> Observation:
    return Observation(D(year, 12, 31), value)


def spec(
    comparator: str, target: float | None, *, higher: bool = True, **kw: object
) -> IndicatorSpec:
    return IndicatorSpec(
        comparator=Comparator(comparator),
        target=target,
        deadline=kw.pop("deadline", END),  # type: ignore[arg-type]
        higher_is_better=higher,
        **kw,  # type: ignore[arg-type]
    )


# --- at_least / at_most / count_reached on a trajectory ----------------------------------------

GOOD_DAYS = spec("at_least", 88, baseline_value=80, baseline_date=D(2022, 12, 31))


@pytest.mark.parametrize(
    ("value", "expected_status"),
    [
        # expected on 2023-12-31 = 80 + (88 - 80) * 365 / 1096 = 82.664; progress due = 2.664
        (83.0, Status.ON_TRACK),  # (83 - 80) / 2.664 = 1.13 >= 0.95
        (82.0, Status.AT_RISK),  # (82 - 80) / 2.664 = 0.751, between 0.6 and 0.95
        (81.0, Status.OFF_TRACK),  # (81 - 80) / 2.664 = 0.375 < 0.6
        (88.0, Status.ACHIEVED),  # meets the target already
    ],
)
def test_at_least_on_trajectory(value: float, expected_status: Status) -> None:
    result = indicator_status(GOOD_DAYS, [year_end(2023, value)], D(2024, 3, 1))
    assert result.status == expected_status
    if expected_status != Status.ACHIEVED:
        assert result.expected_value == pytest.approx(80 + 8 * 365 / 1096)
        assert result.gap == pytest.approx(value - (80 + 8 * 365 / 1096))
        assert result.method == "trajectory"


def test_at_most_on_trajectory() -> None:
    pm = spec("at_most", 30, higher=False, baseline_value=36, baseline_date=D(2022, 12, 31))
    # expected on 2024-12-31 = 36 - 6 * 731 / 1096 = 31.998; due = 4.002
    # observed 32.5: progress 36 - 32.5 = 3.5; ratio 3.5 / 4.002 = 0.875 -> at_risk
    result = indicator_status(pm, [year_end(2024, 32.5)], D(2025, 2, 1))
    assert result.status == Status.AT_RISK
    assert result.expected_value == pytest.approx(36 - 6 * 731 / 1096)
    assert result.gap == pytest.approx(-(32.5 - (36 - 6 * 731 / 1096)))  # behind: negative
    # observed 31.9 is below the expected 31.998: ratio 4.1 / 4.002 = 1.02 -> on_track
    assert indicator_status(pm, [year_end(2024, 31.9)], D(2025, 2, 1)).status == Status.ON_TRACK


def test_count_reached_with_base_taken_from_observations() -> None:
    factories = spec("count_reached", 30, baseline_date=D(2022, 12, 31))
    # base 10 observed in 2022; expected on 2024-12-31 = 10 + 20 * 731 / 1096 = 23.339
    observed = [year_end(2022, 10), year_end(2024, 22)]
    # (22 - 10) / 13.339 = 0.900 -> at_risk;  (24 - 10) / 13.339 = 1.050 -> on_track
    assert indicator_status(factories, observed, D(2025, 1, 5)).status == Status.AT_RISK
    observed[-1] = year_end(2024, 24)
    assert indicator_status(factories, observed, D(2025, 1, 5)).status == Status.ON_TRACK
    observed[-1] = year_end(2025, 30)
    assert indicator_status(factories, observed, D(2026, 1, 5)).status == Status.ACHIEVED


def test_baseline_value_dated_by_the_plan_start() -> None:
    # a value recorded when the plan began: 2023-01-01 -> 2025-12-31 is 1095 days
    started = spec("at_least", 88, baseline_value=80, start_date=D(2023, 1, 1))
    # expected on 2023-12-31 (364 days in) = 80 + 8 * 364 / 1095 = 82.659
    result = indicator_status(started, [year_end(2023, 82.0)], D(2024, 2, 1))
    assert result.expected_value == pytest.approx(80 + 8 * 364 / 1095)
    assert result.status == Status.AT_RISK  # (82 - 80) / 2.659 = 0.752
    # start_date alone (no baseline value) gives no trajectory
    bare = spec("at_least", 88, start_date=D(2023, 1, 1))
    assert indicator_status(bare, [year_end(2023, 82.0)], D(2024, 2, 1)).method == "target_only"


def test_only_the_base_year_observed_is_no_data() -> None:
    factories = spec("count_reached", 30, baseline_date=D(2022, 12, 31))
    result = indicator_status(factories, [year_end(2022, 10)], D(2023, 6, 1))
    assert result.status == Status.NO_DATA and "base-year" in result.reason


# --- about, with and without a baseline ---------------------------------------------------------

PM25 = spec("about", 25, higher=False, tolerance=1)


def test_about_within_tolerance_is_achieved() -> None:
    # 25.9 - 25 = 0.9 on the wrong side, within the tolerance of 1
    result = indicator_status(PM25, [year_end(2024, 25.9)], D(2025, 1, 10))
    assert result.status == Status.ACHIEVED
    assert result.gap == pytest.approx(-0.9)
    # below the target is better for PM2.5: achieved too
    assert indicator_status(PM25, [year_end(2024, 22.0)], D(2025, 1, 10)).status == Status.ACHIEVED


def test_about_without_baseline_is_judged_by_the_deadline() -> None:
    observed = [year_end(2023, 26.4)]  # 1.4 over the target: not met
    # 2024-06-30 -> 2025-12-31 is 549 days: far from the deadline, nothing else to judge by
    early = indicator_status(PM25, observed, D(2024, 6, 30))
    assert (early.status, early.method) == (Status.ON_TRACK, "target_only")
    # 2025-08-01 -> 2025-12-31 is 152 days <= 183: at risk
    assert indicator_status(PM25, observed, D(2025, 8, 1)).status == Status.AT_RISK
    # after the deadline a target not met is off track
    assert indicator_status(PM25, observed, D(2026, 1, 10)).status == Status.OFF_TRACK


def test_about_default_tolerance_is_five_percent() -> None:
    leaders = spec("about", 50)  # no tolerance in the file: 5 % of 50 = 2.5
    assert indicator_status(leaders, [year_end(2025, 47.6)], END).status == Status.ACHIEVED
    assert indicator_status(leaders, [year_end(2025, 47.4)], END).status == Status.OFF_TRACK


# --- full coverage, strict targets ---------------------------------------------------------------


def test_full_coverage() -> None:
    coverage = spec("full_coverage", None)  # null target means 100
    assert (
        indicator_status(coverage, [year_end(2024, 100)], D(2025, 1, 1)).status == Status.ACHIEVED
    )
    not_yet = indicator_status(coverage, [year_end(2024, 99.5)], D(2025, 1, 1))
    assert (not_yet.status, not_yet.target_value) == (Status.ON_TRACK, 100)
    assert (
        indicator_status(coverage, [year_end(2025, 99.5)], D(2026, 1, 1)).status == Status.OFF_TRACK
    )


def test_strict_target_needs_more_than_the_target() -> None:
    renewables = spec("at_least", 50, strict=True)  # 超过50%
    assert indicator_status(renewables, [year_end(2025, 50.0)], END).status == Status.OFF_TRACK
    assert indicator_status(renewables, [year_end(2025, 50.1)], END).status == Status.ACHIEVED


# --- against a base: pct change, multiple, negative growth -------------------------------------


def test_pct_change_vs_base() -> None:
    rail = spec("pct_change_vs_base", 30, tolerance=1.5, baseline_date=D(2020, 12, 31))
    observed = [year_end(2020, 100.0), year_end(2024, 118.0)]
    # change = (118 - 100) / 100 = +18 %; expected on 2024-12-31 = 30 * 1461 / 1826 = 24.003 %
    # ratio 18 / 24.003 = 0.750 -> at_risk
    result = indicator_status(rail, observed, D(2025, 3, 1))
    assert result.status == Status.AT_RISK
    assert result.latest_value == pytest.approx(18.0)
    assert result.expected_value == pytest.approx(30 * 1461 / 1826)
    # +29 % is within the tolerance of 1.5 points of +30 %
    observed.append(year_end(2025, 129.0))
    assert indicator_status(rail, observed, D(2026, 3, 1)).status == Status.ACHIEVED


def test_pct_change_downwards() -> None:
    truck = spec(
        "pct_change_vs_base", -3, higher=False, baseline_value=5.0, baseline_date=D(2020, 12, 31)
    )
    # change = (4.95 - 5) / 5 = -1 %; expected on 2023-12-31 = -3 * 1095 / 1826 = -1.799 %
    # ratio 1 / 1.799 = 0.556 < 0.6 -> off_track
    result = indicator_status(truck, [year_end(2023, 4.95)], D(2024, 2, 1))
    assert result.status == Status.OFF_TRACK
    assert result.expected_value == pytest.approx(-3 * 1095 / 1826)
    # -3.2 % meets the target
    assert indicator_status(truck, [year_end(2024, 4.84)], D(2025, 2, 1)).status == Status.ACHIEVED


def test_multiple_of_base() -> None:
    shore = spec("multiple_of_base", 2, baseline_date=D(2020, 12, 31))
    observed = [year_end(2020, 500.0), year_end(2023, 800.0)]
    # ratio to base 800 / 500 = 1.6; expected = 1 + 1 * 1095 / 1826 = 1.59967
    # progress 0.6 / 0.59967 = 1.0005 -> on_track
    result = indicator_status(shore, observed, D(2024, 2, 1))
    assert result.status == Status.ON_TRACK
    assert result.latest_value == pytest.approx(1.6)
    assert result.expected_value == pytest.approx(1 + 1095 / 1826)
    # 1000 = twice 500: achieved
    assert (
        indicator_status(shore, [*observed, year_end(2025, 1000.0)], D(2026, 2, 1)).status
        == Status.ACHIEVED
    )


def test_multiple_of_base_without_base_value_is_no_data() -> None:
    shore = spec("multiple_of_base", 2, baseline_date=D(2020, 12, 31))
    result = indicator_status(shore, [year_end(2023, 800.0)], D(2024, 2, 1))
    assert result.status == Status.NO_DATA and "2020" in result.reason


def test_negative_growth_vs_fixed_base() -> None:
    nitrogen = spec("negative_growth_vs_base", None, higher=False, baseline_value=2.0,
                    baseline_date=D(2020, 12, 31), annual=True)  # fmt: skip
    # 1.9 vs 2.0 = -5 %: negative growth, achieved
    assert (
        indicator_status(nitrogen, [year_end(2023, 1.9)], D(2024, 1, 1)).status == Status.ACHIEVED
    )
    # 2.06 vs 2.0 = +3 %: 3 points of 100 = 3 % short <= 5 % -> at_risk
    at_risk = indicator_status(nitrogen, [year_end(2023, 2.06)], D(2024, 1, 1))
    assert (at_risk.status, at_risk.method) == (Status.AT_RISK, "flat")
    assert at_risk.latest_value == pytest.approx(3.0)
    # 2.2 vs 2.0 = +10 % -> off_track
    assert (
        indicator_status(nitrogen, [year_end(2023, 2.2)], D(2024, 1, 1)).status == Status.OFF_TRACK
    )


def test_negative_growth_year_on_year() -> None:
    complaints = spec("negative_growth_vs_base", None, higher=False, annual=True)
    # 950 vs 1000 the year before: -5 % -> achieved
    falling = [year_end(2023, 1000), year_end(2024, 950)]
    assert indicator_status(complaints, falling, D(2025, 1, 15)).status == Status.ACHIEVED
    # 1040 vs 1000: +4 % -> 4 % short <= 5 % -> at_risk
    rising = [year_end(2023, 1000), year_end(2024, 1040)]
    assert indicator_status(complaints, rising, D(2025, 1, 15)).status == Status.AT_RISK
    # a single year cannot be compared with anything
    lone = indicator_status(complaints, [year_end(2024, 950)], D(2025, 1, 15))
    assert lone.status == Status.NO_DATA and "2023" in lone.reason


# --- exceed the provincial target, maintain ------------------------------------------------------


def test_exceed_provincial_target_every_year() -> None:
    vocs = spec("exceed_provincial_target", None, strict=True, annual=True)
    observed = [year_end(2023, 1250)]
    assert (
        indicator_status(vocs, observed, D(2024, 2, 1), provincial_target=1200).status
        == Status.ACHIEVED
    )
    # exactly the provincial target is not "超额": 0 % short -> at_risk
    exactly = indicator_status(vocs, [year_end(2023, 1200)], D(2024, 2, 1), provincial_target=1200)
    assert exactly.status == Status.AT_RISK
    # 1100 of 1200: 100 / 1200 = 8.3 % short > 5 % -> off_track
    short = indicator_status(vocs, [year_end(2023, 1100)], D(2024, 2, 1), provincial_target=1200)
    assert short.status == Status.OFF_TRACK
    missing = indicator_status(vocs, observed, D(2024, 2, 1))
    assert missing.status == Status.NO_DATA and "provincial" in missing.reason


def test_maintain() -> None:
    water = spec("maintain", 100)
    assert indicator_status(water, [year_end(2023, 100)], D(2024, 1, 1)).status == Status.ACHIEVED
    # 96 of 100: 4 % short -> at_risk; 90: 10 % short -> off_track
    assert indicator_status(water, [year_end(2023, 96)], D(2024, 1, 1)).status == Status.AT_RISK
    assert indicator_status(water, [year_end(2023, 90)], D(2024, 1, 1)).status == Status.OFF_TRACK
    looser = Thresholds(flat_at_risk_margin=0.1)
    assert (
        indicator_status(water, [year_end(2023, 90)], D(2024, 1, 1), thresholds=looser).status
        == Status.AT_RISK
    )


# --- no data, latest wins, thresholds -----------------------------------------------------------


def test_no_data() -> None:
    assert indicator_status(GOOD_DAYS, [], D(2024, 1, 1)).status == Status.NO_DATA
    # an observation after as_of is not known yet
    future = indicator_status(GOOD_DAYS, [year_end(2024, 90)], D(2024, 6, 1))
    assert future.status == Status.NO_DATA and future.latest_value is None


def test_latest_observation_is_judged_whatever_the_input_order() -> None:
    observed = [year_end(2024, 89.0), year_end(2023, 81.0)]
    result = indicator_status(GOOD_DAYS, observed, D(2025, 1, 1))
    assert (result.status, result.latest_date) == (Status.ACHIEVED, D(2024, 12, 31))


def test_thresholds_are_parameters() -> None:
    # ratio 0.751 (see test_at_least_on_trajectory) is on track with a 0.7 cut-off
    lenient = Thresholds(on_track_ratio=0.7)
    result = indicator_status(GOOD_DAYS, [year_end(2023, 82.0)], D(2024, 3, 1), thresholds=lenient)
    assert result.status == Status.ON_TRACK


def test_database_values_are_accepted() -> None:
    row = IndicatorSpec(
        comparator="at_least",  # type: ignore[arg-type]
        target=Decimal("88"),  # type: ignore[arg-type]
        deadline=END,
        higher_is_better=True,
        baseline_value=Decimal("80"),  # type: ignore[arg-type]
        baseline_date=D(2022, 12, 31),
    )
    result = indicator_status(row, [year_end(2023, 82.0)], D(2024, 3, 1))
    assert result.status == Status.AT_RISK


@given(
    low=st.floats(min_value=60, max_value=100, allow_nan=False),
    high=st.floats(min_value=60, max_value=100, allow_nan=False),
)
def test_a_better_value_never_gets_a_worse_status(low: float, high: float) -> None:
    low, high = sorted((low, high))
    rank = {Status.OFF_TRACK: 0, Status.AT_RISK: 1, Status.ON_TRACK: 2, Status.ACHIEVED: 3}
    worse = indicator_status(GOOD_DAYS, [year_end(2023, low)], D(2024, 3, 1)).status
    better = indicator_status(GOOD_DAYS, [year_end(2023, high)], D(2024, 3, 1)).status
    assert rank[better] >= rank[worse]


# --- trajectory for charts -----------------------------------------------------------------------


def test_trajectory() -> None:
    days = [D(2022, 12, 31), D(2023, 12, 31), END, D(2026, 6, 30)]
    # 80 + 8 * 365 / 1096 = 82.664 on 2023-12-31; the target from the deadline on
    assert trajectory(GOOD_DAYS, days) == pytest.approx([80, 80 + 8 * 365 / 1096, 88, 88])
    no_base = spec("at_least", 88)
    assert trajectory(no_base, days) == [None, None, 88, 88]
    assert trajectory(spec("maintain", 95), days) == [95, 95, 95, 95]
    rail = spec("pct_change_vs_base", 30, baseline_date=D(2020, 12, 31))
    # 30 % * 1095 / 1826 = 17.99 % by 2023-12-31
    assert trajectory(rail, [D(2023, 12, 31)]) == pytest.approx([30 * 1095 / 1826])
    assert trajectory(spec("exceed_provincial_target", None), days) == [None] * 4
    assert trajectory(spec("exceed_provincial_target", None), [END], provincial_target=19.0) == [
        19.0
    ]


def test_every_shipped_indicator_converts_and_reports_no_data() -> None:
    plan = load_plan(PLAN)
    for indicator in plan.indicators:
        result = indicator_status(IndicatorSpec.from_indicator(indicator), [], D(2024, 1, 1))
        assert result.status == Status.NO_DATA
    rail = IndicatorSpec.from_indicator(plan.indicator("NT-TRANS-RAIL-FREIGHT"))
    assert (rail.baseline_date, rail.target, rail.tolerance) == (D(2020, 12, 31), 30.0, 1.5)
