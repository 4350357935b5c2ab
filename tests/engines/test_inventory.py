"""Co-control engine: hand-computed emissions per source type, trade-off signs, metrics."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from coact.engines.inventory import (
    apeq,
    capital_recovery_factor,
    classify,
    cross_elasticity,
    load_scenario,
    measure_metrics,
    quadrant,
    run_scenario,
)

COLUMNS = [
    "source_id",
    "sector",
    "county",
    "profile",
    "activity",
    "activity_unit",
    "controls",
    "kind",
    "driver",
]


def scenario_with(
    rows: list[tuple],
    measures: list[dict] | None = None,
    apply: dict | None = None,
    drivers: dict | None = None,
    gwp: str = "AR5",
):
    """A one-year scenario (base 2020, target 2021) around hand-written sources."""
    return load_scenario(
        {
            "name": "hand",
            "base_year": 2020,
            "years": [2021],
            "gwp": gwp,
            "sources": pd.DataFrame(rows, columns=COLUMNS),
            "measures": measures if measures is not None else [],
            "apply": apply or {},
            "drivers": drivers or {},
        }
    )


def tonnes(result, pollutant: str, year: int = 2020, scope: str | None = None) -> float:
    table = result.table
    mask = (table["pollutant"] == pollutant) & (table["year"] == year)
    if scope:
        mask &= table["scope"] == scope
    return float(table.loc[mask, "tonnes"].sum())


def test_point_source_coal_power_with_fgd_and_scr_by_hand():
    result = run_scenario(
        scenario_with(
            [("P1", "power", "崇川区", "coal_power", 1000, "TJ", "FGD_wet+SCR", "point", "")]
        )
    )
    # SO2: 820 g/GJ (R080) x 1,000,000 GJ = 820 t; wet FGD removes 97 % -> 820 x 0.03 = 24.6 t
    assert tonnes(result, "SO2") == pytest.approx(24.6)
    # NOx: 209 g/GJ (R079) x 1e6 GJ = 209 t; SCR 85 % -> 31.35 t
    assert tonnes(result, "NOx") == pytest.approx(31.35)
    # NH3 slip: 209 x 0.85 = 177.65 t NOx removed x 0.004 t/t = 0.7106 t
    assert tonnes(result, "NH3") == pytest.approx(0.7106)
    # CO2 direct: 94,600 kg/TJ (R004) x 1,000 TJ = 94,600 t, plus FGD CO2 795.4 t SO2 removed x
    # 44/64 = 546.8375 t
    assert tonnes(result, "CO2", scope="direct") == pytest.approx(94600 + 546.8375)
    # electricity: 795.4 t x 1,500 kWh/t + 177.65 t x 150 kWh/t = 1,219,747.5 kWh x 0.5617 kg/kWh
    # (R059,
    # the 2022 East China factor used back to 2020) = 685.132 t CO2
    assert tonnes(result, "CO2", scope="electricity") == pytest.approx(1_219_747.5 * 0.5617e-3)


def test_area_road_ship_nonroad_straw_and_electricity_by_hand():
    rows = [
        ("A1", "coating", "通州区", "coating_solventborne", 1_000_000, "kg", "", "area", ""),
        ("V1", "road_freight", "海门区", "hdv_chinaIII", 1e8, "vkm", "", "road", ""),
        ("S1", "shipping", "启东市", "ship_hfo_s05", 1000, "t", "", "ship", ""),
        ("N1", "nonroad", "如皋市", "nonroad_diesel", 1000, "t", "", "nonroad", ""),
        ("B1", "straw", "海安市", "straw_open_burning", 1000, "t", "", "agriculture", ""),
        (
            "E1",
            "electricity_import",
            "如东县",
            "grid_electricity",
            1e6,
            "kWh",
            "",
            "electricity",
            "",
        ),
    ]
    result = run_scenario(scenario_with(rows))
    by_sector = (
        result.table[result.table["year"] == 2020].groupby(["sector", "pollutant"])["tonnes"].sum()
    )
    assert by_sector["coating", "VOCs"] == pytest.approx(400.0)  # 1e6 kg x 400 g/kg (R124) = 400 t
    assert by_sector["road_freight", "NOx"] == pytest.approx(636.3)  # 1e8 vkm x 6.363 g/km (R151)
    assert by_sector["road_freight", "CO2"] == pytest.approx(66_900.0)  # 1e8 x 0.669 kg/km (X012)
    assert by_sector["shipping", "SO2"] == pytest.approx(9.775)  # 1,000 t x 9.775 kg/t (R067)
    assert by_sector["shipping", "CO2"] == pytest.approx(3114.0)  # 1,000 t x 3.114 t/t (R064)
    assert by_sector["nonroad", "NOx"] == pytest.approx(32.629)  # 1,000 t x 32,629 g/t (R138)
    assert by_sector["straw", "PM2.5"] == pytest.approx(8.0)  # 1,000 t dm x 8 g/kg (X030)
    assert by_sector["electricity_import", "CO2"] == pytest.approx(561.7)  # 1e6 kWh x 0.5617 kg/kWh


def test_growth_driver_scales_activity_and_gwp_set_changes_co2e():
    rows = [("B1", "straw", "海安市", "straw_open_burning", 1000, "t", "", "agriculture", "crop")]
    ar5 = run_scenario(scenario_with(rows, drivers={"crop": {2020: 2.0, 2021: 2.2}}))
    assert tonnes(ar5, "PM2.5", 2021) == pytest.approx(8.8)  # 8 t x 2.2/2.0
    ar4 = run_scenario(scenario_with(rows, drivers={"crop": {2020: 2.0, 2021: 2.2}}, gwp="AR4"))
    # CH4 2.7 t and N2O 0.07 t (X027, X028): AR5 28 x 2.7 + 265 x 0.07 = 94.15; AR4 25 x 2.7 + 298 x
    # 0.07 = 88.36
    assert tonnes(ar5, "CO2e") == pytest.approx(94.15)
    assert tonnes(ar4, "CO2e") == pytest.approx(88.36)


SCR_ON_BOILER = {
    "id": "scr",
    "kind": "control",
    "technology": "SCR",
    "selector": {"profile": "coal_boiler"},
}
RTO_ON_COATING = {
    "id": "rto",
    "kind": "control",
    "technology": "RTO",
    "selector": {"profile": "coating_solventborne"},
}


def test_scr_raises_nh3_and_power_using_control_raises_co2():
    rows = [("B1", "industrial_boilers", "通州区", "coal_boiler", 1000, "TJ", "", "point", "")]
    before = run_scenario(scenario_with(rows, [SCR_ON_BOILER]))
    after = run_scenario(scenario_with(rows, [SCR_ON_BOILER], {"scr": {2021: 1.0}}))
    assert tonnes(after, "NOx", 2021) < tonnes(before, "NOx", 2021)
    # NH3 slip: 173 t NOx x 0.85 removed x 0.004 = 0.5882 t, from none
    assert tonnes(after, "NH3", 2021) - tonnes(before, "NH3", 2021) == pytest.approx(0.5882)
    # electricity: 147.05 t removed x 150 kWh/t x 0.5617 kg/kWh = 12.39 t CO2 more
    gained = tonnes(after, "CO2", 2021) - tonnes(before, "CO2", 2021)
    assert gained == pytest.approx(147.05 * 150 * 0.5617e-3)


def test_rto_trades_vocs_for_co2_and_metrics_call_it_a_trade_off():
    rows = [
        ("A1", "coating", "通州区", "coating_solventborne", 1_000_000, "kg", "", "area", ""),
        (
            "E1",
            "electricity_import",
            "通州区",
            "grid_electricity",
            1e6,
            "kWh",
            "",
            "electricity",
            "",
        ),
    ]
    scenario = scenario_with(rows, [RTO_ON_COATING], {"rto": {2021: 1.0}})
    metrics = measure_metrics(scenario, 2021).set_index("measure")
    row = metrics.loc["rto"]
    assert row["reduction_VOCs"] == pytest.approx(400 * 0.855)  # 342 t
    # CO2: 342 t x (3.35 + 0.6) t/t direct + 342 t x 2,000 kWh/t x 0.5617 kg/kWh
    assert row["reduction_CO2"] == pytest.approx(-(342 * 3.95 + 342 * 2000 * 0.5617e-3))
    assert row["quadrant"] == "IV"
    assert row["classification"] == "trade-off"
    # Els = (342 / 400) / (-3,193 t / 561.7 t baseline CO2 of the electricity row) < 0: non-
    # synergistic
    assert row["els_VOCs"] == pytest.approx((342 / 400) / (row["reduction_CO2"] / 561.7))
    assert row["els_VOCs"] < 0


def test_metric_formulas():
    assert apeq(
        {"SO2": 1.0, "NOx": 2.0, "PM10": 10.0}, {"SO2": 1.0, "NOx": 1.0, "PM10": 0.436}
    ) == pytest.approx(7.36)
    # Els = (10/100) / (5/1000) = 20
    assert cross_elasticity(10, 100, 5, 1000) == pytest.approx(20.0)
    assert math.isnan(cross_elasticity(10, 100, 0, 1000))
    assert (
        quadrant(1, 1) == "I"
        and quadrant(-1, 1) == "II"
        and quadrant(-1, -1) == "III"
        and quadrant(1, -1) == "IV"
    )
    assert (
        classify(1, 1) == "both reduced"
        and classify(1, -1) == "trade-off"
        and classify(-1, -1) == "neither"
    )
    assert classify(0, 1) == "CO2 only"
    # CRF at 6 % over 10 years = 0.06 x 1.06^10 / (1.06^10 - 1) = 0.135868
    assert capital_recovery_factor(0.06, 10) == pytest.approx(0.135868, abs=1e-6)
    assert capital_recovery_factor(0.0, 4) == 0.25


def test_exclusive_measures_share_a_population_additively():
    rows = [("B1", "industrial_boilers", "通州区", "coal_boiler", 1000, "TJ", "", "point", "")]
    measures = [
        {
            "id": "a",
            "kind": "control",
            "technology": "LNB",
            "selector": {"profile": "coal_boiler"},
            "exclusive_group": "g",
        },
        {
            "id": "b",
            "kind": "control",
            "technology": "SNCR",
            "selector": {"profile": "coal_boiler"},
            "exclusive_group": "g",
        },
    ]
    result = run_scenario(scenario_with(rows, measures, {"a": {2021: 0.5}, "b": {2021: 0.5}}))
    # half the boilers with LNB (30 %), half with SNCR (40 %): 173 t x (1 - 0.15 - 0.20) = 112.45 t
    assert tonnes(result, "NOx", 2021) == pytest.approx(112.45)


def test_demo_scenario_runs_with_seven_counties_and_reductions():
    scenario = load_scenario("demo")
    result = run_scenario(scenario)
    assert set(result.table["county"]) == {
        "崇川区",
        "通州区",
        "海门区",
        "如皋市",
        "启东市",
        "海安市",
        "如东县",
    }
    totals = result.totals()
    assert totals.at["NOx", 2025] < totals.at["NOx", 2020]
    assert totals.at["VOCs", 2025] < totals.at["VOCs", 2020]
    assert set(scenario.measures) >= {
        "low_voc_substitution",
        "coal_power_deep_denox",
        "shore_power",
        "eliminate_china3_trucks",
        "straw_burning_control",
        "new_energy_buses",
    }
