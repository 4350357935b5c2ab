"""Scenarios: base year, target years, growth drivers, measures with uptake per year.

A scenario file (YAML) names its inventory, its measure catalogue and how far each measure is
taken up each year; relative paths are resolved against the scenario file's folder. The word
``demo`` loads the shipped illustrative Nantong scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .emissions import Emissions, Model, aggregate, compile_model, simulate, totals_by_pollutant
from .factors import ReferenceData, data_dir, default_reference_data, load_reference_data
from .io import InventoryError, read_yaml, require_mapping, require_number
from .measures import Measure, load_measures
from .sources import KernelBuilder, load_sources, source_kernels

SHIPPED_SCENARIOS = {"demo": "demo/scenario.yaml"}


@dataclass
class Scenario:
    """A loaded, checked scenario."""

    name: str
    base_year: int
    years: tuple[int, ...]  # target years, after the base year
    sources: pd.DataFrame
    measures: dict[str, Measure]
    uptake: dict[str, dict[int, float]]  # measure id -> year -> share of selected sources (0..1)
    drivers: dict[
        str, dict[int, float]
    ]  # driver -> year -> level (any unit; ratios to base are used)
    reference: ReferenceData
    gwp: str = "AR5"
    region: str = "east_china"
    description: str = ""
    apeq_weights: dict[str, float] = field(default_factory=dict)
    origin: str = "<dict>"
    kernels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def all_years(self) -> tuple[int, ...]:
        return (self.base_year, *self.years)

    def gdp(self) -> dict[int, float] | None:
        """GDP levels by year if the scenario has a GDP driver."""
        return self.drivers.get("GDP")

    def uptake_matrix(self) -> dict[int, np.ndarray]:
        """Measure position -> uptake per year (base year first), carried between given years."""
        result: dict[int, np.ndarray] = {}
        for position, measure_id in enumerate(self.measures):
            if measure_id in self.uptake:
                result[position] = expand_by_year(
                    self.uptake[measure_id], self.all_years, fill_before=0.0
                )
        return result


def expand_by_year(
    values: Mapping[int, float], years: tuple[int, ...], fill_before: float
) -> np.ndarray:
    """Values per year, carrying the last given value forward; ``fill_before`` before the first."""
    out = np.empty(len(years))
    current = fill_before
    for position, year in enumerate(years):
        current = values.get(year, current)
        out[position] = current
    return out


def load_scenario(
    spec: str | Path | Mapping[str, Any], base_dir: Path | str | None = None
) -> Scenario:
    """Load a scenario from a shipped name (``demo``), a YAML path, or a dict.

    With a dict, relative file paths are resolved against ``base_dir`` (default: working folder);
    ``sources`` may also be a DataFrame and ``measures`` a list of measure dicts.
    """
    if isinstance(spec, Mapping):
        return _build(spec, Path(base_dir or "."), "<dict>")
    text = str(spec)
    path = data_dir() / SHIPPED_SCENARIOS[text] if text in SHIPPED_SCENARIOS else Path(text)
    if not path.is_file():
        raise InventoryError(
            f"scenario {text!r} is neither a shipped name {sorted(SHIPPED_SCENARIOS)} nor a file"
        )
    raw = read_yaml(path, "scenario")
    return _build(require_mapping(raw, f"scenario file {path}"), path.parent, str(path))


def _resolve(value: Any, base: Path) -> Any:
    if isinstance(value, (str, Path)) and str(value) != "default":
        candidate = Path(value)
        return candidate if candidate.is_absolute() else base / candidate
    return value


def _years(raw: Mapping[str, Any], where: str) -> tuple[int, tuple[int, ...]]:
    base_year = int(
        require_number(raw.get("base_year"), f"{where} field 'base_year'", minimum=1900)
    )
    years_raw = raw.get("years")
    if not isinstance(years_raw, list) or not years_raw:
        raise InventoryError(f"{where} field 'years': expected a non-empty list of target years")
    years = tuple(
        int(require_number(y, f"{where} field 'years'", minimum=base_year + 1)) for y in years_raw
    )
    if list(years) != sorted(set(years)):
        raise InventoryError(f"{where} field 'years': years must be increasing and unique")
    return base_year, years


def _year_map(
    raw: Any, where: str, minimum: float | None, maximum: float | None = None
) -> dict[int, float]:
    body = require_mapping(raw, where)
    result: dict[int, float] = {}
    for year, value in body.items():
        try:
            key = int(year)
        except (TypeError, ValueError) as error:
            raise InventoryError(f"{where}: {year!r} is not a year") from error
        result[key] = require_number(value, f"{where} year {key}", minimum=minimum, maximum=maximum)
    return result


def _build(raw: Mapping[str, Any], base: Path, origin: str) -> Scenario:
    where = f"scenario {origin}"
    overrides = {
        k: _resolve(v, base)
        for k, v in require_mapping(raw.get("reference", {}), f"{where} field 'reference'").items()
    }
    reference = load_reference_data(overrides) if overrides else default_reference_data()
    base_year, years = _years(raw, where)
    all_years = (base_year, *years)
    region = str(raw.get("region", "east_china"))
    if "sources" not in raw:
        raise InventoryError(f"{where} field 'sources': missing (a CSV path or a table)")
    sources = load_sources(_resolve(raw["sources"], base), reference, region)
    kernels = source_kernels(
        sources, KernelBuilder(reference)
    )  # unit check now: a bad row fails at load
    catalogue = raw.get("measures", "default")
    catalogue = (
        data_dir() / "measures.yaml" if catalogue == "default" else _resolve(catalogue, base)
    )
    measures = load_measures(catalogue, reference)
    drivers = {
        name: _year_map(values, f"{where} field 'drivers.{name}'", minimum=0.0)
        for name, values in require_mapping(
            raw.get("drivers", {}), f"{where} field 'drivers'"
        ).items()
    }
    for name, values in drivers.items():
        missing = [y for y in all_years if y not in values]
        if missing:
            raise InventoryError(f"{where} field 'drivers.{name}': no value for year(s) {missing}")
        if values[base_year] <= 0:
            raise InventoryError(
                f"{where} field 'drivers.{name}': base-year value must be positive"
            )
    unknown_drivers = sorted(set(sources["driver"]) - set(drivers) - {""})
    if unknown_drivers:
        raise InventoryError(
            f"{where}: sources use driver(s) {unknown_drivers} that field 'drivers' does not define"
        )
    uptake: dict[str, dict[int, float]] = {}
    for measure_id, values in require_mapping(
        raw.get("apply", {}) or {}, f"{where} field 'apply'"
    ).items():
        if measure_id not in measures:
            raise InventoryError(f"{where} field 'apply': unknown measure {measure_id!r}")
        limit = measures[measure_id].max_uptake
        uptake[measure_id] = _year_map(
            values, f"{where} field 'apply.{measure_id}'", minimum=0.0, maximum=limit
        )
    gwp = str(raw.get("gwp", reference.default_gwp))
    reference.gwp(gwp)  # raises on an unknown set
    weights = dict(reference.apeq_weights)
    for name, value in require_mapping(
        raw.get("apeq_weights", {}) or {}, f"{where} field 'apeq_weights'"
    ).items():
        weights[str(name)] = require_number(
            value, f"{where} field 'apeq_weights.{name}'", minimum=0.0
        )
    return Scenario(
        name=str(raw.get("name", Path(origin).stem)),
        base_year=base_year,
        years=years,
        sources=sources,
        measures=measures,
        uptake=uptake,
        drivers=drivers,
        reference=reference,
        gwp=gwp,
        region=region,
        description=str(raw.get("description", "")),
        apeq_weights=weights,
        origin=origin,
        kernels=kernels,
    )


def growth_matrix(scenario: Scenario) -> np.ndarray:
    """(n, Y) activity index of each source relative to the base year (1 without a driver)."""
    years = scenario.all_years
    names = ["", *scenario.drivers]
    table = np.ones((len(names), len(years)))
    for row, name in enumerate(names[1:], start=1):
        levels = scenario.drivers[name]
        table[row] = [levels[y] / levels[scenario.base_year] for y in years]
    codes = pd.Categorical(scenario.sources["driver"], categories=names).codes
    return table[codes]


def build_model(scenario: Scenario) -> Model:
    """Compile the scenario's inventory and catalogue for fast runs."""
    return compile_model(
        scenario.sources,
        scenario.measures,
        scenario.reference,
        scenario.all_years,
        growth_matrix(scenario),
        scenario.kernels,
    )


@dataclass
class ScenarioResult:
    """Results of a scenario run."""

    scenario: Scenario
    model: Model
    emissions: Emissions
    table: pd.DataFrame  # pollutant, sector, county, year, scope, tonnes

    def totals(self) -> pd.DataFrame:
        """Pollutant x year (t); CO2 includes electricity; CO2e with the scenario's GWP set."""
        return totals_by_pollutant(
            self.model, self.emissions, self.scenario.reference.gwp(self.scenario.gwp)
        )

    def by(self, *columns: str) -> pd.DataFrame:
        """Tonnes summed by the given columns (e.g. 'pollutant', 'sector', 'year')."""
        return self.table.groupby(list(columns), as_index=False)["tonnes"].sum()

    def measure_costs(self) -> pd.DataFrame:
        """Annual cost (CNY) of each applied measure per year (per-unit costs plus fixed costs)."""
        frame = pd.DataFrame(
            self.emissions.cost, index=list(self.scenario.measures), columns=list(self.model.years)
        )
        for position, (measure_id, measure) in enumerate(self.scenario.measures.items()):
            if measure_id in self.scenario.uptake:
                used = expand_by_year(self.scenario.uptake[measure_id], self.model.years, 0.0) > 0
                frame.iloc[position] += np.where(used, measure.cost.annual_fixed, 0.0)
        return frame.loc[[m for m in self.scenario.measures if m in self.scenario.uptake]]


def run_scenario(scenario: Scenario, model: Model | None = None) -> ScenarioResult:
    """Run a scenario with its measures and uptakes: per-source arrays and the long table."""
    model = model or build_model(scenario)
    emissions = simulate(model, scenario.uptake_matrix())
    table = aggregate(model, emissions, scenario.reference.gwp(scenario.gwp))
    return ScenarioResult(scenario, model, emissions, table)


def run_reference(scenario: Scenario, model: Model | None = None) -> ScenarioResult:
    """The same scenario with growth but no measures (the 'without measures' pathway)."""
    model = model or build_model(scenario)
    emissions = simulate(model, {})
    return ScenarioResult(
        scenario,
        model,
        emissions,
        aggregate(model, emissions, scenario.reference.gwp(scenario.gwp)),
    )


def compare_scenarios(results: Mapping[str, ScenarioResult]) -> pd.DataFrame:
    """Totals of several scenario runs side by side: scenario, pollutant, year, tonnes, and the
    difference against the first scenario given."""
    frames = []
    for name, result in results.items():
        totals = (
            result.totals()
            .stack()
            .rename("tonnes")
            .reset_index()
            .rename(columns={"level_1": "year"})
        )
        totals.insert(0, "scenario", name)
        frames.append(totals)
    table = pd.concat(frames, ignore_index=True)
    first = next(iter(results))
    baseline = table[table["scenario"] == first].set_index(["pollutant", "year"])["tonnes"]
    table["difference_vs_" + first] = (
        table["tonnes"]
        - baseline.reindex(pd.MultiIndex.from_frame(table[["pollutant", "year"]])).to_numpy()
    )
    return table
