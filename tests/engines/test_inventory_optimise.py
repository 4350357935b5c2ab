"""Co-control optimisation: a hand-solved portfolio, infeasible targets named, CLI contract."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coact.cli import main
from coact.engines.inventory import load_scenario, macc_optimised, optimise, parse_target
from coact.engines.inventory.io import InventoryError

COLUMNS = ["source_id", "sector", "county", "profile", "activity", "activity_unit", "controls"]
SOURCES = pd.DataFrame(
    [
        (
            "V1",
            "road_freight",
            "海门区",
            "hdv_chinaIII",
            1e8,
            "vkm",
            "",
        ),  # NOx 1e8 x 6.363 g/km = 636.3 t
        (
            "B1",
            "industrial_boilers",
            "通州区",
            "coal_boiler",
            1000,
            "TJ",
            "",
        ),  # NOx 173 g/GJ x 1e6 GJ = 173 t
    ],
    columns=COLUMNS,
)
MEASURES = [
    # 636.3 t for 5e7 CNY: 78,579 CNY/t
    {
        "id": "scrap",
        "kind": "activity",
        "selector": {"source_id": "V1"},
        "cost": {"basis_unit": "vkm", "om": 0.5},
    },
    # boiler_remediation NOx 50 %: 86.5 t for 2e6 CNY: 23,121 CNY/t
    {
        "id": "remediate",
        "kind": "control",
        "technology": "boiler_remediation",
        "selector": {"source_id": "B1"},
        "exclusive_group": "boiler",
        "cost": {"basis_unit": "GJ", "om": 2.0},
    },
    # LNB NOx 30 %: 51.9 t for 5e5 CNY: 9,634 CNY/t
    {
        "id": "lnb",
        "kind": "control",
        "technology": "LNB",
        "selector": {"source_id": "B1"},
        "exclusive_group": "boiler",
        "cost": {"basis_unit": "GJ", "om": 0.5},
    },
]


def small_scenario():
    return load_scenario(
        {
            "name": "hand",
            "base_year": 2020,
            "years": [2025],
            "sources": SOURCES,
            "measures": MEASURES,
        }
    )


def test_least_cost_portfolio_known_by_hand():
    result = optimise(small_scenario(), ["NOx=-10%"])
    # Need 10 % of 809.3 t = 80.93 t. LNB is cheapest per t but gives only 51.9 t; moving boiler
    # share from
    # LNB to remediation gains 34.6 t for 1.5e6 CNY (43,353 CNY/t), cheaper than scrapping (78,579
    # CNY/t):
    # x_rem = (80.93 - 51.9) / 34.6 = 0.839017, x_lnb = 0.160983,
    # cost = 2e6 x 0.839017 + 5e5 x 0.160983 = 1,758,526 CNY/yr
    uptake = {m["id"]: m["uptake"] for m in result.measures}
    assert result.feasible
    assert uptake["remediate"] == pytest.approx(0.839017, abs=1e-5)
    assert uptake["lnb"] == pytest.approx(0.160983, abs=1e-5)
    assert "scrap" not in uptake
    assert result.total_annual_cost == pytest.approx(1_758_526, rel=1e-5)
    assert result.targets[0]["achieved"] == pytest.approx(-10.0, abs=1e-3)


def test_budget_and_infeasible_targets_are_named_with_shortfall():
    scenario = small_scenario()
    # Everything at once removes at most 636.3 + 86.5 = 722.8 t of 809.3 t (89.31 %): -95 % is 5.69
    # points short
    result = optimise(scenario, ["NOx=-95%"])
    assert not result.feasible
    assert result.binding[0]["name"] == "NOx"
    assert result.binding[0]["shortfall_percentage_points"] == pytest.approx(
        95 - 722.8 / 809.3 * 100, abs=1e-3
    )
    assert "NOx" in result.message
    # a budget below the 1,758,526 CNY the -10 % target needs makes the budget bind
    capped = optimise(scenario, ["NOx=-10%"], budget=1_000_000)
    assert not capped.feasible
    assert [b["name"] for b in capped.binding] == ["NOx", "budget"]
    assert capped.binding[1]["minimum_cost_for_targets"] == pytest.approx(1_758_526, rel=1e-5)
    assert capped.total_annual_cost <= 1_000_000 + 1e-6


def test_pair_granularity_matches_measure_granularity():
    scenario = load_scenario("demo")
    targets = ["NOx=-10%", "VOCs=-12%"]
    by_measure = optimise(scenario, targets)
    by_pair = optimise(scenario, targets, granularity="pair")
    assert by_measure.feasible and by_pair.feasible
    assert (
        by_pair.total_annual_cost <= by_measure.total_annual_cost + 1.0
    )  # finer choice is never dearer


def test_macc_is_non_decreasing():
    curve = macc_optimised(small_scenario(), "NOx", steps=4)
    costs = curve["total_annual_cost_cny"].to_numpy()
    assert (costs[1:] >= costs[:-1] - 1e-6).all()
    marginal = curve["marginal_cost_per_t"].dropna().to_numpy()
    assert (marginal[1:] >= marginal[:-1] - 1e-6).all()


def test_target_parsing():
    target = parse_target("CO2_intensity=-18%", ["NOx", "CO2"])
    assert target.intensity and target.change == pytest.approx(-0.18)
    with pytest.raises(InventoryError, match="unknown pollutant 'NOX'"):
        parse_target("NOX=-10%", ["NOx", "CO2"])
    with pytest.raises(InventoryError, match="NAME=VALUE"):
        parse_target("NOx -10", ["NOx"])


def test_cli_optimize_json_contract_and_infeasible_exit(capsys):
    code = main(
        [
            "emissions",
            "optimize",
            "demo",
            "--target",
            "NOx=-10%",
            "--target",
            "CO2_intensity=-18%",
            "--json",
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"measures", "total_annual_cost", "targets"} <= set(payload)
    assert all({"id", "uptake"} <= set(m) for m in payload["measures"])
    assert [t["name"] for t in payload["targets"]] == ["NOx", "CO2_intensity"]
    assert all({"name", "required", "achieved"} <= set(t) for t in payload["targets"])
    code = main(["emissions", "optimize", "demo", "--target", "NOx=-80%", "--json"])
    captured = capsys.readouterr()
    assert code != 0
    assert "NOx short by" in captured.err
    assert json.loads(captured.out)["feasible"] is False


def test_cli_run_json_totals(capsys):
    assert main(["emissions", "run", "demo", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload["totals"]["NOx"]) == {"2020", "2021", "2022", "2023", "2024", "2025"}
    assert payload["totals"]["SO2"]["2025"] < payload["totals"]["SO2"]["2020"]
