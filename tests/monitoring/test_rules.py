"""Pure alarm rules: conversion to reference O2, exceedance, flat line, flags, thresholds."""

from __future__ import annotations

import datetime as dt

from coact.monitoring import rules

T0 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
BOOK = rules.rule_book()


def hours(values: list[float | None], flag: str = "N") -> list[rules.Point]:
    return [rules.Point(T0 + dt.timedelta(hours=n), v, flag) for n, v in enumerate(values)]


def test_converted_concentration_hand_example() -> None:
    # GB 13223-2011 5.2: 40 mg/m3 at 9 % O2, reference 6 %: 40 x (21-6)/(21-9) = 40 x 15/12 = 50
    assert rules.converted_concentration(40.0, 9.0, 6.0) == 50.0
    # GB 18485-2014 reference 11 %: 30 at 13 % -> 30 x 10/8 = 37.5
    assert rules.converted_concentration(30.0, 13.0, 11.0) == 37.5
    assert rules.converted_concentration(30.0, 21.0, 11.0) is None  # O2 of air: impossible
    assert rules.converted_concentration(None, 9.0, 6.0) is None


def test_compliance_value_prefers_platform_conversion() -> None:
    values = {"a21026": {"Avg": 40.0, "ZsAvg": 99.0}, "a19001": {"Avg": 9.0}}
    assert rules.compliance_value(values, "a21026", 6.0) == (50.0, "converted")
    no_o2 = {"a21026": {"Avg": 40.0, "ZsAvg": 45.0}}
    assert rules.compliance_value(no_o2, "a21026", 6.0) == (45.0, "device-converted")
    assert rules.compliance_value(no_o2, "a21026", None) == (40.0, "measured")


def test_exceedance_single_and_consecutive() -> None:
    one, three = BOOK.rules["exceedance_hour"], BOOK.rules["exceedance_hour_3"]
    assert rules.exceedance(one, "a21026", 50, hours([30, 51])) is not None
    assert rules.exceedance(one, "a21026", 50, hours([30, 50])) is None  # equal is compliant
    assert rules.exceedance(three, "a21026", 50, hours([60, 51])) is None  # only 2 hours
    found = rules.exceedance(three, "a21026", 50, hours([60, 70, 55]))
    assert found is not None and found.value == 55 and "3 consecutive" in found.message
    gap = [*hours([60, 70]), rules.Point(T0 + dt.timedelta(hours=5), 80, "N")]
    assert rules.exceedance(three, "a21026", 50, gap) is None  # not contiguous
    assert rules.exceedance(one, "a21026", 50, hours([80], flag="M")) is None  # maintenance data


def test_flat_line_and_long_flag() -> None:
    flat = BOOK.rules["flat_line"]
    assert rules.flat_line(flat, "a21026", hours([12.5] * 6)) is not None
    assert rules.flat_line(flat, "a21026", hours([12.5] * 5 + [12.6])) is None
    assert rules.flat_line(flat, "w01001", hours([7.0] * 6)) is None  # pH is ignored
    flags = BOOK.rules["long_flag"]
    assert rules.long_flag(flags, "a21026", hours([1.0] * 24, flag="D")) is not None
    assert rules.long_flag(flags, "a21026", hours([1.0] * 23 + [None], flag="M")) is not None
    assert rules.long_flag(flags, "a21026", hours([1.0] * 23, flag="D")) is None


def test_furnace_temperature_window() -> None:
    rule = BOOK.rules["furnace_temperature_low"]
    minutes = [
        rules.Point(T0 + dt.timedelta(minutes=n), v, "N")
        for n, v in enumerate([900, 840, 830, 845, 850])
    ]
    # mean = (900 + 840 + 830 + 845 + 850) / 5 = 853 >= 850: no alarm
    assert rules.below_threshold(rule, minutes) is None
    minutes[0] = rules.Point(T0, 820, "N")  # mean = 837 < 850
    found = rules.below_threshold(rule, minutes)
    assert found is not None and found.value == 837.0


def test_clock_drift_and_impossible_values() -> None:
    rule = BOOK.rules["clock_drift"]
    assert rules.clock_drift(rule, T0 + dt.timedelta(seconds=599), T0) is None
    assert rules.clock_drift(rule, T0 + dt.timedelta(hours=1), T0).value == 3600.0
    found = rules.impossible_values(
        BOOK, BOOK.rules["impossible_value"], {"a19001": {"Rtd": 25.0}, "a21026": {"Rtd": 3.0}}, T0
    )
    assert [f.factor for f in found] == ["a19001"]
    found = rules.impossible_values(
        BOOK, BOOK.rules["impossible_value"], {"w01018": {"Avg": -1}}, T0
    )
    assert found and found[0].factor == "w01018"


def test_rule_sets_reference_known_rules() -> None:
    assert "furnace_temperature_low" in {r.name for r in BOOK.rules_for("incinerator")}
    assert "furnace_temperature_low" not in {r.name for r in BOOK.rules_for("default")}
    standard = rules.standards()["GB18485-2014-msw-incinerator"]
    assert standard.reference_o2 == 11 and any(lim.factor == "a21005" for lim in standard.limits)
