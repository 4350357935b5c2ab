"""The vectorised emission kernel: activity x factors x controls x measures, all sources at once.

For source s, year y and pollutant p (t/yr):

    E[s,y,p] = A[s,y] * keep[s,y] * (EFc[s,p] * R[s,y,p] + side0[s,p]) + X[s,y,p]
    kWh[s,y] = A[s,y] * keep[s,y] * kwh0[s] + Xkwh[s,y]
    CO2_elec[s,y] = kWh[s,y] * grid[region(s), y]

A is base activity times the growth driver index; EFc the factors after existing controls; keep the
share of activity left after activity measures; R the retention of new controls (product of
1 - u*eta); X the replacement activity's emissions and the new controls' side effects. Activity
measures are applied before controls, so a control only treats activity that remains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .factors import ReferenceData, grid_factor
from .io import InventoryError
from .measures import Measure, selector_mask
from .sources import KernelBuilder, source_kernels
from .units import UnitMismatchError, per_unit_conversion


@dataclass
class CompiledMeasure:
    """A measure resolved against one inventory: rows it touches and per-row coefficients."""

    index: int
    measure: Measure
    rows: np.ndarray  # source positions
    cost_per_unit: np.ndarray  # (n_m,) CNY/yr per unit of affected source activity
    efficiency: np.ndarray | None = None  # (P,) control
    side_matrix: np.ndarray | None = None  # (P, P) t of effect per t removed
    side_kwh_per_t: np.ndarray | None = None  # (P,)
    side_per_unit: np.ndarray | None = None  # (n_m, P) t per activity unit treated
    side_kwh_per_unit: np.ndarray | None = None  # (n_m,)
    replacement_direct: np.ndarray | None = None  # (n_m, P) t per unit of activity removed
    replacement_kwh: np.ndarray | None = None  # (n_m,)

    @property
    def id(self) -> str:
        return self.measure.id

    @property
    def is_activity(self) -> bool:
        return self.measure.kind == "activity"


@dataclass
class Model:
    """An inventory compiled for fast runs: arrays over sources x years x pollutants."""

    pollutants: tuple[str, ...]
    years: tuple[int, ...]  # base year first
    sources: pd.DataFrame
    activity: np.ndarray  # (n, Y) activity after growth
    controlled: np.ndarray  # (n, P)
    side0: np.ndarray  # (n, P)
    kwh0: np.ndarray  # (n,)
    grid: np.ndarray  # (n_regions, Y) t CO2 / kWh
    region_codes: np.ndarray  # (n,)
    measures: list[CompiledMeasure]

    @property
    def co2(self) -> int:
        return self.pollutants.index("CO2")

    def measure_index(self, measure_id: str) -> int:
        for compiled in self.measures:
            if compiled.id == measure_id:
                return compiled.index
        raise InventoryError(
            f"unknown measure {measure_id!r}; known: {[m.id for m in self.measures]}"
        )


@dataclass
class Emissions:
    """Per-source results of one run."""

    direct: np.ndarray  # (n, Y, P) t
    electricity_co2: np.ndarray  # (n, Y) t CO2 from electricity (grid factor)
    kwh: np.ndarray  # (n, Y)
    cost: np.ndarray  # (M, Y) CNY/yr of per-unit costs (fixed programme costs not included)

    def total_co2(self, co2_index: int) -> np.ndarray:
        """(n, Y) CO2 direct + electricity."""
        return self.direct[:, :, co2_index] + self.electricity_co2


def compile_model(
    sources: pd.DataFrame,
    measures: Mapping[str, Measure],
    reference: ReferenceData,
    years: tuple[int, ...],
    growth: np.ndarray,
    kernels: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Model:
    """Resolve factors, controls, grid factors and measures for an inventory and years.

    ``growth`` is (n, Y): each source's activity index relative to the base year; ``kernels`` are
    per-source kernels already computed (by the scenario loader) to skip that step.
    """
    builder = KernelBuilder(reference)
    controlled, side0, kwh0 = kernels if kernels is not None else source_kernels(sources, builder)
    region_codes, regions = pd.factorize(sources["region"])
    grid = np.array(
        [[grid_factor(reference.grid, region, year) for year in years] for region in regions]
    )
    activity = sources["activity"].to_numpy(float)[:, None] * growth
    compiled = [
        _compile_measure(position, measure, sources, builder)
        for position, measure in enumerate(measures.values())
    ]
    grid = grid.reshape(len(regions), len(years))
    return Model(
        reference.pollutants,
        years,
        sources,
        activity,
        controlled,
        side0,
        kwh0,
        grid,
        region_codes,
        compiled,
    )


def _unit_groups(sources: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    return pd.factorize(sources["activity_unit"].to_numpy()[rows])


def _compile_measure(
    index: int, measure: Measure, sources: pd.DataFrame, builder: KernelBuilder
) -> CompiledMeasure:
    rows = np.flatnonzero(selector_mask(sources, measure.selector))
    codes, units = _unit_groups(sources, rows)
    where = f"measure {measure.id}"
    cost_by_unit = np.zeros(len(units))
    for code, unit in enumerate(units):
        if measure.cost.annual_per_unit != 0.0:
            try:
                scale = per_unit_conversion(
                    measure.cost.basis_unit, unit, f"{where} cost basis vs source activity"
                )
            except UnitMismatchError as error:
                raise InventoryError(str(error)) from error
            cost_by_unit[code] = measure.cost.annual_per_unit * scale
    compiled = CompiledMeasure(index, measure, rows, cost_by_unit[codes])
    size = len(builder.pollutants)
    if measure.kind == "control":
        compiled.efficiency = builder.efficiency(measure.technology)
        matrix, kwh_t = np.zeros((size, size)), np.zeros(size)
        per_unit, kwh_unit = np.zeros((len(units), size)), np.zeros(len(units))
        for code, unit in enumerate(units):
            try:
                matrix, kwh_t, per_unit[code], kwh_unit[code] = builder.side_effect_coefficients(
                    measure.technology, unit, where
                )
            except UnitMismatchError as error:
                raise InventoryError(str(error)) from error
        compiled.side_matrix, compiled.side_kwh_per_t = matrix, kwh_t
        compiled.side_per_unit, compiled.side_kwh_per_unit = per_unit[codes], kwh_unit[codes]
        return compiled
    direct = np.zeros((len(units), size))
    kwh = np.zeros(len(units))
    replacement = measure.replacement
    if replacement is not None:
        for code, unit in enumerate(units):
            try:
                kernel = builder.kernel(
                    replacement.profile,
                    unit,
                    f"{where} replacement",
                    replacement.ratio_unit,
                    replacement.controls,
                )
            except UnitMismatchError as error:
                raise InventoryError(str(error)) from error
            direct[code] = (kernel.controlled + kernel.side) * replacement.ratio
            kwh[code] = kernel.kwh * replacement.ratio
    compiled.replacement_direct, compiled.replacement_kwh = direct[codes], kwh[codes]
    return compiled


UptakeSpec = Mapping[int, np.ndarray]  # measure index -> array broadcastable to (n_m, Y)


def simulate(model: Model, uptake: UptakeSpec, rows: np.ndarray | None = None) -> Emissions:
    """Run the kernel for all sources (or the subset ``rows``, then only measures whose rows are
    all inside the subset may have uptake). ``uptake[m]`` is (Y,) for a whole measure or (n_m, 1)
    or (n_m, Y) per measure-source pair."""
    if rows is None:
        rows = np.arange(len(model.activity))
        local = {m.index: m.rows for m in model.measures}
    else:
        lookup = np.full(len(model.activity), -1)
        lookup[rows] = np.arange(len(rows))
        local = {m.index: lookup[m.rows] for m in model.measures if m.index in uptake}
        if any((positions < 0).any() for positions in local.values()):
            raise ValueError("a measure with uptake touches sources outside the simulated rows")
    n_years, n_poll = len(model.years), len(model.pollutants)
    activity = model.activity[rows]
    keep = np.ones_like(activity)
    retention = np.ones((len(rows), n_years, n_poll))
    extra = np.zeros((len(rows), n_years, n_poll))
    extra_kwh = np.zeros((len(rows), n_years))
    cost = np.zeros((len(model.measures), n_years))
    controlled = model.controlled[rows]
    for block in _blocks(model, uptake, n_years):
        positions = [local[compiled.index] for compiled, _ in block]
        union = positions[0] if len(block) == 1 else np.unique(np.concatenate(positions))
        if block[0][0].is_activity:
            keep_before = keep[union]
            taken = np.zeros((len(union), n_years))
            for (compiled, share), pos in zip(block, positions, strict=True):
                at = slice(None) if len(block) == 1 else np.searchsorted(union, pos)
                fraction = share * compiled.measure.reduction
                moved = activity[pos] * keep_before[at] * fraction
                taken[at] += fraction
                extra[pos] += moved[:, :, None] * compiled.replacement_direct[:, None, :]
                extra_kwh[pos] += moved * compiled.replacement_kwh[:, None]
                cost[compiled.index] += (moved * compiled.cost_per_unit[:, None]).sum(axis=0)
            keep[union] = keep_before * (1.0 - taken)
            continue
        retention_before = retention[union]
        treated = np.zeros((len(union), n_years, n_poll))
        for (compiled, share), pos in zip(block, positions, strict=True):
            at = slice(None) if len(block) == 1 else np.searchsorted(union, pos)
            covered = activity[pos] * keep[pos] * share
            removed = (
                covered[:, :, None]
                * controlled[pos][:, None, :]
                * retention_before[at]
                * compiled.efficiency
            )
            treated[at] += share[:, :, None] * compiled.efficiency
            extra[pos] += (
                removed @ compiled.side_matrix
                + covered[:, :, None] * compiled.side_per_unit[:, None, :]
            )
            extra_kwh[pos] += (
                removed @ compiled.side_kwh_per_t + covered * compiled.side_kwh_per_unit[:, None]
            )
            cost[compiled.index] += (covered * compiled.cost_per_unit[:, None]).sum(axis=0)
        retention[union] = retention_before * (1.0 - treated)
    remaining = activity * keep
    direct = (
        remaining[:, :, None] * (controlled[:, None, :] * retention + model.side0[rows][:, None, :])
        + extra
    )
    kwh = remaining * model.kwh0[rows][:, None] + extra_kwh
    electricity_co2 = kwh * model.grid[model.region_codes[rows]]
    return Emissions(direct, electricity_co2, kwh, cost)


def _blocks(
    model: Model, uptake: UptakeSpec, n_years: int
) -> list[list[tuple[CompiledMeasure, np.ndarray]]]:
    """Active measures in application order: activity measures first, then controls.

    Measures of one exclusive group act on disjoint shares of the same population, so they form one
    block whose shares add (1 - sum u*eta); other measures stack multiplicatively, block by block.
    """
    blocks: list[list[tuple[CompiledMeasure, np.ndarray]]] = []
    grouped: dict[tuple[bool, str], list[tuple[CompiledMeasure, np.ndarray]]] = {}
    for is_activity in (True, False):
        for compiled in model.measures:
            if (
                compiled.is_activity != is_activity
                or compiled.index not in uptake
                or len(compiled.rows) == 0
            ):
                continue
            share = np.broadcast_to(
                np.asarray(uptake[compiled.index], float), (len(compiled.rows), n_years)
            )
            if not share.any():
                continue
            group = compiled.measure.exclusive_group
            if not group:
                blocks.append([(compiled, share)])
            elif (is_activity, group) in grouped:
                grouped[(is_activity, group)].append((compiled, share))
            else:
                grouped[(is_activity, group)] = [(compiled, share)]
                blocks.append(grouped[(is_activity, group)])
    return blocks


def reference_uptake(model: Model) -> dict[int, np.ndarray]:
    """No measures at all."""
    return {}


def aggregate(
    model: Model, emissions: Emissions, gwp: Mapping[str, float], rows: np.ndarray | None = None
) -> pd.DataFrame:
    """Long table: pollutant, sector, county, year, scope (direct | electricity), tonnes.

    CO2e rows (GWP100 of the chosen set) are added per scope. Zero rows are dropped.
    """
    sources = model.sources if rows is None else model.sources.iloc[rows]
    groups = pd.MultiIndex.from_frame(sources[["sector", "county"]].astype(str))
    codes, uniques = pd.factorize(groups)
    n = len(codes)
    matrix = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(len(uniques), n))
    n_years, n_poll = len(model.years), len(model.pollutants)
    direct = np.asarray(matrix @ emissions.direct.reshape(n, n_years * n_poll)).reshape(
        len(uniques), n_years, n_poll
    )
    electric = np.asarray(matrix @ emissions.electricity_co2)
    weights = np.array([gwp.get(p, 0.0) for p in model.pollutants])
    co2e_direct = direct @ weights
    frames = [
        _long(uniques, model.years, model.pollutants, direct, "direct"),
        _long(uniques, model.years, ("CO2",), electric[:, :, None], "electricity"),
        _long(uniques, model.years, ("CO2e",), co2e_direct[:, :, None], "direct"),
        _long(uniques, model.years, ("CO2e",), electric[:, :, None], "electricity"),
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[table["tonnes"] != 0.0].reset_index(drop=True)


def _long(
    groups: pd.MultiIndex,
    years: tuple[int, ...],
    pollutants: tuple[str, ...],
    values: np.ndarray,
    scope: str,
) -> pd.DataFrame:
    n_groups, n_years, n_poll = values.shape
    sector = np.repeat(groups.get_level_values(0).to_numpy(), n_years * n_poll)
    county = np.repeat(groups.get_level_values(1).to_numpy(), n_years * n_poll)
    year = np.tile(np.repeat(np.array(years), n_poll), n_groups)
    pollutant = np.tile(np.array(pollutants, dtype=object), n_groups * n_years)
    return pd.DataFrame(
        {
            "pollutant": pollutant,
            "sector": sector,
            "county": county,
            "year": year,
            "scope": scope,
            "tonnes": values.reshape(-1),
        }
    )


def totals_by_pollutant(
    model: Model, emissions: Emissions, gwp: Mapping[str, float]
) -> pd.DataFrame:
    """Pollutant x year totals (t), CO2 including electricity, plus CO2e."""
    direct = emissions.direct.sum(axis=0)  # (Y, P)
    table = pd.DataFrame(direct.T, index=list(model.pollutants), columns=list(model.years))
    table.loc["CO2"] += emissions.electricity_co2.sum(axis=0)
    weights = pd.Series({p: gwp.get(p, 0.0) for p in model.pollutants})
    table.loc["CO2e"] = (table.mul(weights, axis=0)).sum(axis=0)
    table.index.name = "pollutant"
    return table
