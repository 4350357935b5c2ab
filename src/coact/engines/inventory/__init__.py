"""Co-control (减污降碳协同) engine: pollutant and CO2 emissions together, measures, scenarios,
co-control metrics and least-cost portfolios. Pure: numpy, pandas, scipy, pint, yaml; no Django.

Public API (documented in docs/co-control.md)::

    scenario = load_scenario("demo")            # or a YAML path, or a dict
    result = run_scenario(scenario)  # .table: pollutant, sector, county, year, scope, tonnes
    metrics = measure_metrics(scenario, 2025)   # one row per measure + 'portfolio'
    best = optimise(scenario, ["NOx=-10%", "CO2_intensity=-18%"], budget=5e8)
"""

from __future__ import annotations

from .emissions import Model
from .factors import ReferenceData, default_reference_data, load_reference_data
from .io import InventoryError
from .measures import Measure, capital_recovery_factor, load_measures
from .metrics import apeq, classify, cross_elasticity, measure_metrics, quadrant
from .optimise import (
    OptimisationResult,
    Target,
    macc_optimised,
    macc_simple,
    optimise,
    parse_target,
)
from .scenarios import (
    Scenario,
    ScenarioResult,
    build_model,
    compare_scenarios,
    load_scenario,
    run_reference,
    run_scenario,
)
from .units import UnitMismatchError

__all__ = [
    "InventoryError",
    "Measure",
    "Model",
    "OptimisationResult",
    "ReferenceData",
    "Scenario",
    "ScenarioResult",
    "Target",
    "UnitMismatchError",
    "apeq",
    "build_model",
    "capital_recovery_factor",
    "classify",
    "compare_scenarios",
    "cross_elasticity",
    "default_reference_data",
    "load_measures",
    "load_reference_data",
    "load_scenario",
    "macc_optimised",
    "macc_simple",
    "measure_metrics",
    "optimise",
    "parse_target",
    "quadrant",
    "run_reference",
    "run_scenario",
]
