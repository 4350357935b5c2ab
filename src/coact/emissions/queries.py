"""Read models shared by the pages and the API: engine computations on a stored scenario
(metrics, optimisation, MAC curves, comparison). Nothing here writes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from coact.engines import inventory

from . import engine
from .models import Scenario

GRANULARITIES = ("measure", "pair")
DEFAULT_TARGETS = "NOx=-10%, VOCs=-12%, CO2_intensity=-18%"


def _year(scenario: inventory.Scenario, year: int | None) -> int:
    if year is None:
        return scenario.years[-1]
    if year not in scenario.years:
        raise ValidationError({"year": f"{year} is not a target year {list(scenario.years)}"})
    return year


def metrics(record: Scenario, year: int | None = None) -> list[dict[str, Any]]:
    """Co-control metrics of each applied measure and the portfolio (docs/co-control.md)."""
    scenario = engine.to_engine(record.document)
    frame = inventory.measure_metrics(scenario, _year(scenario, year))
    return engine.clean(frame.to_dict(orient="records"))


def optimise(
    record: Scenario,
    targets: str | list[str],
    budget: float | None = None,
    year: int | None = None,
    granularity: str = "measure",
) -> dict[str, Any]:
    """Least-cost portfolio meeting ``targets`` (changes vs the base year) within ``budget``."""
    scenario = engine.to_engine(record.document)
    items = engine.parse_targets(targets, scenario)
    if granularity not in GRANULARITIES:
        raise ValidationError({"granularity": f"{granularity!r} is not one of {GRANULARITIES}"})
    if budget is not None and budget < 0:
        raise ValidationError({"budget": "the budget must be >= 0 CNY per year"})
    try:
        result = inventory.optimise(
            scenario, items, budget=budget, year=_year(scenario, year), granularity=granularity
        )
    except inventory.InventoryError as error:
        raise ValidationError({"targets": str(error)}) from error
    out = engine.clean(result.to_dict())
    out["illustrative"] = record.illustrative
    return out


def macc(record: Scenario, pollutant: str = "CO2", steps: int = 8) -> dict[str, Any]:
    """Both MAC curves: measures sorted by unit cost, and least cost re-solved step by step."""
    scenario = engine.to_engine(record.document)
    allowed = (*scenario.reference.pollutants, "CO2e")
    if pollutant not in allowed:
        raise ValidationError({"pollutant": f"{pollutant!r} is not one of {list(allowed)}"})
    if not 1 <= steps <= 20:
        raise ValidationError({"steps": "steps must be 1 to 20"})
    simple = inventory.macc_simple(scenario, pollutant)
    solved = inventory.macc_optimised(scenario, pollutant, steps=steps)
    return engine.clean(
        {
            "pollutant": pollutant,
            "year": scenario.years[-1],
            "illustrative": record.illustrative,
            "sorted": simple.to_dict(orient="records"),
            "resolved": solved.to_dict(orient="records"),
        }
    )


def comparison(records: list[Scenario]) -> dict[str, Any]:
    """Totals of several run scenarios side by side, per pollutant and year."""
    rows = []
    for record in records:
        results = record.results or {}
        if not results:
            continue
        rows.append(
            {
                "id": record.pk,
                "name": record.name,
                "illustrative": record.illustrative,
                "current": record.is_current,
                "years": results["years"],
                "totals": results["totals"],
                "reference_totals": results["reference_totals"],
                "co2_intensity_change_pct": results.get("co2_intensity_change_pct"),
                "annual_cost": sum(
                    (values[-1] or 0.0) for values in results.get("costs", {}).values()
                ),
            }
        )
    return {"scenarios": rows}
