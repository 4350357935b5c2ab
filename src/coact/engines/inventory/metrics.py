"""Co-control metrics: APeq, cross elasticity, coordinate quadrant, unit costs, classification.

Definitions (shared/reference/co-control.md section 2):

* APeq = sum_i w_i x dE_i, w_i = PEV_SO2 / PEV_i (Environmental Protection Tax Law pollution
  equivalents; weights editable, defaults in data/emissions/apeq_weights.yaml).
* Cross elasticity Els_{j/CO2} = (ER_j / Q_j) / (ER_CO2 / Q_CO2), ER a reduction, Q the emission
  without the measure in the same year (PMC11666946 Table 2). NaN when ER_CO2 or Q_j is 0; always
  read it with the signs, since a positive Els also results when both increase.
* Coordinate quadrant of (x = APeq reduction, y = CO2 reduction): I both reduced (synergy),
  II CO2 reduced / pollutants increased, III both increased, IV pollutants reduced / CO2 increased.
* Unit costs: annual cost / t CO2 reduced and / t APeq reduced (NaN when nothing is reduced).

Reductions are positive numbers; an increase is a negative reduction. CO2 includes electricity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .emissions import CompiledMeasure, Model, simulate
from .scenarios import Scenario, build_model, expand_by_year

TOLERANCE_T = 1e-6  # tonnes below which a change counts as zero


def apeq(reductions: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Air-pollutant equivalent (t APeq) of pollutant reductions (t)."""
    return float(sum(weights.get(p, 0.0) * value for p, value in reductions.items()))


def cross_elasticity(
    reduction_j: float, baseline_j: float, reduction_co2: float, baseline_co2: float
) -> float:
    """Els_{j/CO2}; NaN when the CO2 reduction or a baseline is zero."""
    if baseline_j == 0 or baseline_co2 == 0 or abs(reduction_co2) <= TOLERANCE_T:
        return float("nan")
    return (reduction_j / baseline_j) / (reduction_co2 / baseline_co2)


def quadrant(
    pollutant_reduction: float, co2_reduction: float, tolerance: float = TOLERANCE_T
) -> str:
    """Quadrant of the co-control coordinate system; 'axis' when one change is zero."""
    x_zero, y_zero = abs(pollutant_reduction) <= tolerance, abs(co2_reduction) <= tolerance
    if x_zero and y_zero:
        return "origin"
    if x_zero or y_zero:
        return "axis"
    if pollutant_reduction > 0:
        return "I" if co2_reduction > 0 else "IV"
    return "II" if co2_reduction > 0 else "III"


def classify(
    pollutant_reduction: float, co2_reduction: float, tolerance: float = TOLERANCE_T
) -> str:
    """Plain words: 'both reduced', 'trade-off', 'neither', 'pollutants only', 'CO2 only'."""
    pollutant = 0 if abs(pollutant_reduction) <= tolerance else int(np.sign(pollutant_reduction))
    co2 = 0 if abs(co2_reduction) <= tolerance else int(np.sign(co2_reduction))
    if pollutant > 0 and co2 > 0:
        return "both reduced"
    if pollutant * co2 < 0:
        return "trade-off"
    if pollutant > 0:
        return "pollutants only"
    if co2 > 0:
        return "CO2 only"
    return "neither"


def _with_totals(
    model: Model, direct: np.ndarray, electricity: np.ndarray, gwp: Mapping[str, float]
) -> np.ndarray:
    """Append CO2e and fold electricity CO2 into CO2: (..., P) -> (..., P+1)."""
    values = direct.copy()
    values[..., model.co2] += electricity
    weights = np.array([gwp.get(p, 0.0) for p in model.pollutants])
    return np.concatenate([values, (values @ weights)[..., None]], axis=-1)


def measure_effect(
    model: Model, compiled: CompiledMeasure, share: np.ndarray, gwp: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Reductions of one measure alone, per source of the measure: (n_m, Y, P+1) and cost (Y,).

    ``share`` is broadcastable to (n_m, Y). The last column is CO2e; CO2 includes electricity.
    """
    rows = compiled.rows
    before = simulate(model, {}, rows=rows)
    after = simulate(model, {compiled.index: share}, rows=rows)
    reduction = _with_totals(model, before.direct, before.electricity_co2, gwp) - _with_totals(
        model, after.direct, after.electricity_co2, gwp
    )
    return reduction, after.cost[compiled.index]


def full_uptake_coefficients(
    model: Model, compiled: CompiledMeasure, year_index: int, gwp: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per source of the measure at uptake 1 in one year: reductions (n_m, P+1), cost (n_m,) CNY/yr.

    Effects of one measure alone are linear in its uptake, so these are exact slopes.
    """
    reduction, _ = measure_effect(model, compiled, np.ones((1, len(model.years))), gwp)
    scale = compiled.measure.reduction if compiled.is_activity else 1.0
    cost = model.activity[compiled.rows, year_index] * scale * compiled.cost_per_unit
    return reduction[:, year_index, :], cost


def _row(
    name: str,
    label: str,
    uptake: float,
    reduction: np.ndarray,
    baseline: np.ndarray,
    cost: float,
    pollutants: tuple[str, ...],
    weights: Mapping[str, float],
) -> dict[str, object]:
    names = (*pollutants, "CO2e")
    values = dict(zip(names, reduction, strict=True))
    co2, co2_base = values["CO2"], baseline[names.index("CO2")]
    eq = apeq({p: values[p] for p in pollutants}, weights)
    eq_base = apeq({p: baseline[names.index(p)] for p in pollutants}, weights)
    row: dict[str, object] = {"measure": name, "name": label, "uptake": uptake}
    row.update({f"reduction_{p}": values[p] for p in names})
    row.update({"reduction_APeq": eq, "annual_cost_cny": cost})
    row["cost_per_t_CO2"] = cost / co2 if co2 > TOLERANCE_T else float("nan")
    row["cost_per_t_APeq"] = cost / eq if eq > TOLERANCE_T else float("nan")
    for p in pollutants:
        if p != "CO2":
            row[f"els_{p}"] = cross_elasticity(values[p], baseline[names.index(p)], co2, co2_base)
    row["els_APeq"] = cross_elasticity(eq, eq_base, co2, co2_base)
    row["quadrant"] = quadrant(eq, co2)
    row["classification"] = classify(eq, co2)
    return row


def measure_metrics(
    scenario: Scenario,
    year: int | None = None,
    weights: Mapping[str, float] | None = None,
    model: Model | None = None,
) -> pd.DataFrame:
    """Co-control metrics of each applied measure (alone, at its uptake) and of the portfolio.

    Each measure is compared with the no-measure pathway of the same year; the 'portfolio' row
    runs all
    applied measures together (interactions included, so it is not the sum of the rows above).
    """
    model = model or build_model(scenario)
    year = year or scenario.years[-1]
    year_index = model.years.index(year)
    weights = weights or scenario.apeq_weights
    gwp = scenario.reference.gwp(scenario.gwp)
    reference = simulate(model, {})
    baseline = _with_totals(model, reference.direct, reference.electricity_co2, gwp)[
        :, year_index
    ].sum(axis=0)
    rows = []
    uptake = scenario.uptake_matrix()
    for compiled in model.measures:
        if compiled.index not in uptake or len(compiled.rows) == 0:
            continue
        share = uptake[compiled.index][None, :]
        reduction, cost = measure_effect(model, compiled, share, gwp)
        fixed = compiled.measure.cost.annual_fixed if share[0, year_index] > 0 else 0.0
        rows.append(
            _row(
                compiled.id,
                compiled.measure.name,
                float(share[0, year_index]),
                reduction[:, year_index].sum(axis=0),
                baseline,
                float(cost[year_index]) + fixed,
                model.pollutants,
                weights,
            )
        )
    together = simulate(model, uptake)
    total = _with_totals(model, together.direct, together.electricity_co2, gwp)[:, year_index].sum(
        axis=0
    )
    fixed_total = sum(
        m.cost.annual_fixed
        for i, m in enumerate(scenario.measures.values())
        if i in uptake and expand_by_year(scenario.uptake[m.id], model.years, 0.0)[year_index] > 0
    )
    rows.append(
        _row(
            "portfolio",
            "all applied measures together",
            float("nan"),
            baseline - total,
            baseline,
            float(together.cost[:, year_index].sum()) + fixed_total,
            model.pollutants,
            weights,
        )
    )
    frame = pd.DataFrame(rows)
    frame.insert(1, "year", year)
    return frame
