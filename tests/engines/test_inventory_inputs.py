"""Co-control engine: unit mismatches and malformed inputs give errors naming file, row, field."""

from __future__ import annotations

import pandas as pd
import pytest

from coact.cli import main
from coact.engines.inventory import InventoryError, load_scenario

COLUMNS = ["source_id", "sector", "county", "profile", "activity", "activity_unit"]


def scenario(rows, **extra):
    spec = {
        "base_year": 2020,
        "years": [2021],
        "sources": pd.DataFrame(rows, columns=COLUMNS),
        "measures": [],
    }
    spec.update(extra)
    return load_scenario(spec)


def test_factor_in_kg_per_kg_applied_to_energy_names_source_and_factor():
    with pytest.raises(InventoryError) as error:
        scenario([("C1", "coating", "通州区", "coating_solventborne", 100, "GJ")])
    text = str(error.value)
    assert "row 2" in text and "R124" in text and "'g/kg'" in text and "'GJ'" in text


def test_measure_cost_basis_mismatch_is_named():
    measures = [
        {
            "id": "bad",
            "kind": "control",
            "technology": "LNB",
            "selector": {"profile": "coal_boiler"},
            "cost": {"basis_unit": "vkm", "om": 1.0},
        }
    ]
    with pytest.raises(InventoryError, match="measure bad cost basis"):
        from coact.engines.inventory import build_model

        build_model(scenario([("B1", "b", "通州区", "coal_boiler", 10, "TJ")], measures=measures))


def test_bad_rows_and_fields_are_named(tmp_path):
    csv = tmp_path / "sources.csv"
    csv.write_text(
        "source_id,sector,county,profile,activity,activity_unit\n"
        "S1,power,崇川区,coal_power,100,TJ\n"
        "S2,power,崇川区,coal_power,lots,TJ\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InventoryError, match=r"sources.csv row 3 field 'activity': bad value 'lots'"
    ):
        load_scenario({"base_year": 2020, "years": [2021], "sources": str(csv), "measures": []})
    with pytest.raises(
        InventoryError, match="field 'profile': 'nope' is not a known emission profile"
    ):
        scenario([("S1", "x", "崇川区", "nope", 1, "TJ")])
    with pytest.raises(
        InventoryError, match="field 'activity_unit': 'widgets' is not a known unit"
    ):
        scenario([("S1", "x", "崇川区", "coal_power", 1, "widgets")])
    with pytest.raises(InventoryError, match="missing column"):
        load_scenario(
            {
                "base_year": 2020,
                "years": [2021],
                "sources": pd.DataFrame({"a": [1]}),
                "measures": [],
            }
        )


def test_bad_measure_and_scenario_fields_are_named(tmp_path):
    rows = [("S1", "x", "崇川区", "coal_power", 1, "TJ")]
    with pytest.raises(
        InventoryError, match=r"entry 1 \(id m\) field 'technology': unknown technology 'XYZ'"
    ):
        scenario(
            rows,
            measures=[
                {
                    "id": "m",
                    "kind": "control",
                    "technology": "XYZ",
                    "selector": {"profile": "coal_power"},
                }
            ],
        )
    with pytest.raises(InventoryError, match="field 'max_uptake'"):
        scenario(
            rows,
            measures=[
                {
                    "id": "m",
                    "kind": "activity",
                    "selector": {"profile": "coal_power"},
                    "max_uptake": 2,
                }
            ],
        )
    with pytest.raises(InventoryError, match="field 'apply': unknown measure 'ghost'"):
        scenario(rows, apply={"ghost": {2021: 0.5}})
    with pytest.raises(
        InventoryError, match=r"field 'drivers.GDP': no value for year\(s\) \[2021\]"
    ):
        scenario(rows, drivers={"GDP": {2020: 1.0}})
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nyears: [2021\n", encoding="utf-8")
    with pytest.raises(InventoryError, match=r"broken\.yaml line"):
        load_scenario(broken)
    with pytest.raises(InventoryError, match="neither a shipped name"):
        load_scenario(tmp_path / "missing.yaml")


def test_cli_reports_bad_scenario_file_cleanly(tmp_path, capsys):
    assert main(["emissions", "run", str(tmp_path / "none.yaml"), "--json"]) == 2
    assert "neither a shipped name" in capsys.readouterr().err
