"""Least-cost portfolios meeting co-control targets (GAINS-style optimisation), and MAC curves.

Mixed-integer programme solved with ``scipy.optimize.milp`` (HiGHS):

    min  sum_c cost_c x_c + sum_m F_m z_m
    s.t. sum_c dE[c,t] x_c >= R_t            for each target t (reduction needed in the target year)
         sum_c cost_c x_c + sum_m F_m z_m <= B   (optional budget, CNY/yr)
         x_c <= ub_c z_m                     for measures with a fixed cost or a yes/no decision
         sum_{c in group, same source} x_c <= 1   exclusive measures (shares of one population)
         0 <= x_c <= ub_c, z_m in {0, 1}

A candidate c is a measure (granularity 'measure') or a measure-source pair ('pair'); x_c is its
uptake. dE are the exact slopes of each measure alone (its effect is linear in uptake); measures
stacked on the same sources interact, so the chosen portfolio is re-run through the full kernel and
targets missed because of interactions are tightened and re-solved (at most ``refine`` times).
When the targets cannot all be met, slack variables find the portfolio closest to them (least total
shortfall in percent of base-year emissions) and the binding targets are named with their shortfall.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .emissions import Model, simulate
from .io import InventoryError
from .metrics import _with_totals, full_uptake_coefficients
from .scenarios import Scenario, build_model

TARGET_PATTERN = re.compile(r"^\s*([A-Za-z0-9_.]+)\s*=\s*([+-]?\d+(?:\.\d+)?)\s*(%?)\s*$")
RELATIVE_TOLERANCE = 1e-6
MET_TOLERANCE = 1e-5  # a target counts as met within 0.001 % of its base-year value


@dataclass(frozen=True)
class Target:
    """A change against the base year: ``change`` -0.10 is 10 % below the base-year value."""

    name: str  # as written: NOx, VOCs, CO2, CO2e, CO2_intensity
    pollutant: str
    change: float
    intensity: bool = False


def parse_target(text: str, pollutants: Sequence[str]) -> Target:
    """Parse 'NOx=-10%', 'CO2=-5%', 'CO2_intensity=-18%' (or a fraction '-0.1')."""
    match = TARGET_PATTERN.match(text)
    if not match:
        raise InventoryError(
            f"target {text!r}: write NAME=VALUE%, e.g. NOx=-10% or CO2_intensity=-18%"
        )
    name, number, percent = match.groups()
    change = float(number) / 100.0 if percent else float(number)
    known = [*pollutants, "CO2e"]
    if name.endswith("_intensity"):
        pollutant = name[: -len("_intensity")]
        if pollutant not in ("CO2", "CO2e"):
            raise InventoryError(
                f"target {text!r}: only CO2_intensity or CO2e_intensity are supported"
            )
        return Target(name, pollutant, change, intensity=True)
    if name not in known:
        raise InventoryError(
            f"target {text!r}: unknown pollutant {name!r}; use one of {known} or CO2_intensity"
        )
    if change <= -1.0:
        raise InventoryError(
            f"target {text!r}: a change of {change:.0%} would need negative emissions"
        )
    return Target(name, name, change)


@dataclass
class Candidates:
    """Decision columns of the programme."""

    coefficients: (
        np.ndarray
    )  # (N, P+1) t reduced at full uptake (CO2 incl. electricity, last = CO2e)
    cost: np.ndarray  # (N,) CNY/yr at full uptake
    upper: np.ndarray  # (N,) uptake limit
    measure: np.ndarray  # (N,) compiled measure index
    source: np.ndarray  # (N,) source position, -1 for whole measures
    weight: np.ndarray  # (N,) activity covered, for averaging pair uptakes


def build_candidates(
    model: Model,
    scenario: Scenario,
    year_index: int,
    granularity: str,
    measure_ids: Sequence[str] | None = None,
) -> Candidates:
    """Slopes and costs of every candidate in the target year."""
    if granularity not in ("measure", "pair"):
        raise InventoryError(f"granularity {granularity!r}: use 'measure' or 'pair'")
    gwp = scenario.reference.gwp(scenario.gwp)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("coef", "cost", "upper", "measure", "source", "weight")
    }
    chosen = set(measure_ids) if measure_ids is not None else None
    for compiled in model.measures:
        if len(compiled.rows) == 0 or (chosen is not None and compiled.id not in chosen):
            continue
        coef, cost = full_uptake_coefficients(model, compiled, year_index, gwp)
        weight = model.activity[compiled.rows, year_index]
        if granularity == "measure":
            coef, cost, weight = (
                coef.sum(axis=0, keepdims=True),
                np.array([cost.sum()]),
                np.array([weight.sum()]),
            )
            source = np.array([-1])
        else:
            source = compiled.rows
        parts["coef"].append(coef)
        parts["cost"].append(cost)
        parts["upper"].append(np.full(len(cost), compiled.measure.max_uptake))
        parts["measure"].append(np.full(len(cost), compiled.index))
        parts["source"].append(source)
        parts["weight"].append(weight)
    if not parts["coef"]:
        raise InventoryError("no candidate measures touch any source of the scenario")
    return Candidates(
        np.vstack(parts["coef"]),
        np.concatenate(parts["cost"]),
        np.concatenate(parts["upper"]),
        np.concatenate(parts["measure"]),
        np.concatenate(parts["source"]),
        np.concatenate(parts["weight"]),
    )


@dataclass
class TargetStatus:
    target: Target
    base: float  # base-year value (t, or t per 1e8 CNY for intensity)
    reference: float  # target-year value without measures
    allowed_tonnes: float  # target-year tonnes allowed by the target
    achieved_tonnes: float = float("nan")

    @property
    def required_reduction(self) -> float:
        return self.reference - self.allowed_tonnes


@dataclass
class OptimisationResult:
    """What the optimiser chose and how far each target got (percent changes vs the base year)."""

    feasible: bool
    message: str
    year: int
    granularity: str
    measures: list[dict[str, object]]
    total_annual_cost: float
    targets: list[dict[str, object]]
    binding: list[dict[str, object]] = field(default_factory=list)
    budget: float | None = None
    iterations: int = 0
    solve_seconds: float = 0.0
    candidates: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "feasible": self.feasible,
            "message": self.message,
            "year": self.year,
            "granularity": self.granularity,
            "measures": self.measures,
            "total_annual_cost": self.total_annual_cost,
            "targets": self.targets,
            "binding": self.binding,
            "budget": self.budget,
            "iterations": self.iterations,
            "solve_seconds": self.solve_seconds,
            "candidates": self.candidates,
        }


def _column(model: Model, pollutant: str) -> int:
    return len(model.pollutants) if pollutant == "CO2e" else model.pollutants.index(pollutant)


def _statuses(
    model: Model,
    scenario: Scenario,
    targets: Sequence[Target],
    year_index: int,
    totals_ref: np.ndarray,
) -> list[TargetStatus]:
    gdp = scenario.gdp()
    statuses = []
    for target in targets:
        column = _column(model, target.pollutant)
        base, reference = totals_ref[0, column], totals_ref[year_index, column]
        if target.intensity:
            if gdp is None:
                raise InventoryError(
                    f"target {target.name}: the scenario has no GDP driver for an intensity target"
                )
            ratio = gdp[model.years[year_index]] / gdp[model.years[0]]
            allowed = (1.0 + target.change) * base * ratio
        else:
            allowed = (1.0 + target.change) * base
        statuses.append(TargetStatus(target, base, reference, allowed))
    return statuses


def _structure(
    cands: Candidates, model: Model
) -> tuple[list[int], np.ndarray, np.ndarray, list[tuple[np.ndarray, float]]]:
    """Binary measures, their fixed costs, link rows, and exclusivity rows (column indices, rhs)."""
    binaries = [
        m.index
        for m in model.measures
        if m.measure.needs_binary and (cands.measure == m.index).any()
    ]
    fixed = np.array([model.measures[i].measure.cost.annual_fixed for i in binaries])
    link = np.array([binaries.index(m) if m in binaries else -1 for m in cands.measure])
    groups: dict[tuple[str, int], list[int]] = {}
    for column, (measure_index, source) in enumerate(zip(cands.measure, cands.source, strict=True)):
        group = model.measures[measure_index].measure.exclusive_group
        if group:
            groups.setdefault((group, int(source)), []).append(column)
    exclusive = [(np.array(cols), 1.0) for cols in groups.values() if len(cols) > 1]
    return binaries, fixed, link, exclusive


def _solve(
    cands: Candidates,
    model: Model,
    needs: np.ndarray,
    columns: Sequence[int],
    budget: float | None,
    slack_scale: np.ndarray | None,
    slack_cap: float | None,
) -> tuple[object, int]:
    """One MILP over variables x, z and (with slack) s; returns the result and the binary count."""
    binaries, fixed, link, exclusive = _structure(cands, model)
    n, b = len(cands.cost), len(binaries)
    t = len(needs) if slack_scale is not None else 0
    size = n + b + t
    rows, lower, upper = [], [], []

    def add(row: sparse.spmatrix, lo: float, hi: float) -> None:
        rows.append(row)
        lower.append(lo)
        upper.append(hi)

    for k, column in enumerate(columns):
        coef = np.zeros(size)
        coef[:n] = cands.coefficients[:, column]
        if t:
            coef[n + b + k] = 1.0
        add(sparse.csr_matrix(coef), needs[k], np.inf)
    cost_row = np.concatenate([cands.cost, fixed, np.zeros(t)])
    if budget is not None:
        add(sparse.csr_matrix(cost_row), -np.inf, budget)
    linked = np.flatnonzero(link >= 0)
    if len(linked):
        data = np.concatenate([np.ones(len(linked)), -cands.upper[linked]])
        row_idx = np.concatenate([np.arange(len(linked)), np.arange(len(linked))])
        col_idx = np.concatenate([linked, n + link[linked]])
        block = sparse.csr_matrix((data, (row_idx, col_idx)), shape=(len(linked), size))
        rows.append(block)
        lower.extend([-np.inf] * len(linked))
        upper.extend([0.0] * len(linked))
    if exclusive:
        r = np.concatenate([np.full(len(cols), i) for i, (cols, _) in enumerate(exclusive)])
        c = np.concatenate([cols for cols, _ in exclusive])
        rows.append(sparse.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(exclusive), size)))
        lower.extend([-np.inf] * len(exclusive))
        upper.extend([1.0] * len(exclusive))
    if t and slack_cap is not None:
        cap = np.zeros(size)
        cap[n + b :] = 1.0 / slack_scale
        add(sparse.csr_matrix(cap), -np.inf, slack_cap)
    if t and slack_cap is None:
        objective = np.concatenate([np.zeros(n + b), 1.0 / slack_scale])
    else:
        objective = cost_row
    integrality = np.concatenate([np.zeros(n), np.ones(b), np.zeros(t)])
    bounds = Bounds(np.zeros(size), np.concatenate([cands.upper, np.ones(b), np.full(t, np.inf)]))
    constraint = (
        LinearConstraint(sparse.vstack(rows, format="csr"), np.array(lower), np.array(upper))
        if rows
        else None
    )
    result = milp(
        objective,
        integrality=integrality,
        bounds=bounds,
        constraints=constraint,
        options={"mip_rel_gap": 1e-7, "time_limit": 60},
    )
    return result, b


def _exact(
    model: Model, scenario: Scenario, cands: Candidates, x: np.ndarray, year_index: int
) -> np.ndarray:
    """Run the full kernel with the chosen uptakes: totals (Y, P+1)."""
    uptake: dict[int, np.ndarray] = {}
    for measure_index in np.unique(cands.measure):
        columns = np.flatnonzero(cands.measure == measure_index)
        if cands.source[columns[0]] < 0:
            value = float(x[columns[0]])
            if value > 0:
                uptake[int(measure_index)] = np.full(len(model.years), value)
        else:
            compiled = model.measures[int(measure_index)]
            lookup = dict(zip(cands.source[columns], x[columns], strict=True))
            share = np.array([lookup.get(int(s), 0.0) for s in compiled.rows])
            if share.any():
                uptake[int(measure_index)] = share[:, None]
    run = simulate(model, uptake)
    gwp = scenario.reference.gwp(scenario.gwp)
    return _with_totals(model, run.direct, run.electricity_co2, gwp).sum(axis=0)


def optimise(
    scenario: Scenario,
    targets: Sequence[Target | str],
    budget: float | None = None,
    year: int | None = None,
    granularity: str = "measure",
    model: Model | None = None,
    measure_ids: Sequence[str] | None = None,
    refine: int = 5,
) -> OptimisationResult:
    """Least-cost uptake of the scenario's catalogue measures meeting ``targets`` in ``year``.

    ``budget`` caps the annual cost (CNY/yr, annualised investment + O&M - savings + fixed costs).
    ``measure_ids`` limits the candidates (default: the whole catalogue).
    """
    started = time.perf_counter()
    model = model or build_model(scenario)
    year = year or scenario.years[-1]
    if year not in model.years:
        raise InventoryError(f"year {year} is not a scenario year {list(model.years)}")
    year_index = model.years.index(year)
    parsed = [t if isinstance(t, Target) else parse_target(t, model.pollutants) for t in targets]
    if not parsed:
        raise InventoryError("give at least one target, e.g. NOx=-10%")
    gwp = scenario.reference.gwp(scenario.gwp)
    reference = simulate(model, {})
    totals_ref = _with_totals(model, reference.direct, reference.electricity_co2, gwp).sum(axis=0)
    statuses = _statuses(model, scenario, parsed, year_index, totals_ref)
    cands = build_candidates(model, scenario, year_index, granularity, measure_ids)
    columns = [_column(model, s.target.pollutant) for s in statuses]
    needs = np.array([s.required_reduction for s in statuses])
    scale = np.array(
        [max(abs(s.base), 1e-9) / 100.0 for s in statuses]
    )  # slack in percentage points
    iterations, feasible, binding, message = 0, True, [], ""
    x = np.zeros(len(cands.cost))
    z = np.zeros(0)
    for iterations in range(1, refine + 2):
        result, b = _solve(cands, model, needs, columns, budget, None, None)
        if result.status == 0:
            x, z = result.x[: len(cands.cost)], result.x[len(cands.cost) : len(cands.cost) + b]
        else:
            feasible = False
            x, z, binding, message = _closest(cands, model, needs, columns, budget, scale, statuses)
            break
        exact = _exact(model, scenario, cands, x, year_index)
        gaps = np.array(
            [
                exact[year_index, c] - s.allowed_tonnes
                for c, s in zip(columns, statuses, strict=True)
            ]
        )
        slack = MET_TOLERANCE * np.array([max(abs(s.base), 1.0) for s in statuses])
        if (gaps <= slack).all() or iterations > refine:
            break
        # Interactions make the linear model optimistic: ask for the missing tonnes again, with a
        # margin.
        needs = needs + np.clip(gaps, 0.0, None) * 1.1 + slack * (gaps > slack)
    exact = _exact(model, scenario, cands, x, year_index)
    for column, status in zip(columns, statuses, strict=True):
        status.achieved_tonnes = float(exact[year_index, column])
    missed = [_shortfall(s) for s in statuses if not _met(s)]
    budget_rows = [item for item in binding if item["name"] == "budget"]
    binding = missed + budget_rows
    if feasible and missed:
        feasible = False
        message = (
            "interactions between stacked measures leave "
            + ", ".join(b["name"] for b in missed)
            + " short"
        )
    elif feasible:
        message = "all targets met at least cost"
    else:
        message = _infeasible_message(binding, budget)
    measures_out, total = _portfolio(model, cands, x, z)
    return OptimisationResult(
        feasible=feasible,
        message=message,
        year=year,
        granularity=granularity,
        measures=measures_out,
        total_annual_cost=total,
        targets=[_target_row(s, scenario, model, year_index) for s in statuses],
        binding=binding,
        budget=budget,
        iterations=iterations,
        solve_seconds=time.perf_counter() - started,
        candidates=len(cands.cost),
    )


def _closest(
    cands: Candidates,
    model: Model,
    needs: np.ndarray,
    columns: Sequence[int],
    budget: float | None,
    scale: np.ndarray,
    statuses: Sequence[TargetStatus],
) -> tuple[np.ndarray, np.ndarray, list[dict[str, object]], str]:
    """Infeasible: least total shortfall, then least cost at that shortfall; name what binds."""
    phase1, _ = _solve(cands, model, needs, columns, budget, scale, None)
    if phase1.status != 0:
        raise InventoryError(f"optimisation failed: {phase1.message}")
    phase2, b = _solve(
        cands, model, needs, columns, budget, scale, float(phase1.fun) * (1 + 1e-7) + 1e-9
    )
    solution = phase2 if phase2.status == 0 else phase1
    n = len(cands.cost)
    x, z = solution.x[:n], solution.x[n : n + b]
    binding: list[dict[str, object]] = []
    if budget is not None:
        free, _ = _solve(cands, model, needs, columns, None, None, None)
        if free.status == 0:  # targets reachable without the budget: the budget is what binds
            binding.append(
                {"name": "budget", "budget": budget, "minimum_cost_for_targets": float(free.fun)}
            )
    return x, z, binding, ""


def _infeasible_message(binding: Sequence[Mapping[str, object]], budget: float | None) -> str:
    """One line naming every binding target and its shortfall (exact kernel figures)."""
    names = ", ".join(str(item["name"]) for item in binding) or "none"
    parts = [
        f"{item['name']} short by {item['shortfall_percentage_points']:.2f} percentage points "
        f"({item['shortfall_tonnes']:.1f} t)"
        for item in binding
        if "shortfall_tonnes" in item
    ]
    for item in binding:
        if item["name"] == "budget":
            parts.append(
                f"the targets alone need at least {item['minimum_cost_for_targets']:.0f} CNY/yr "
                f"against a budget of {budget:.0f} CNY/yr"
            )
    return (
        f"infeasible: binding {names}: "
        + "; ".join(parts)
        + " (best achievable portfolio reported)"
    )


def _met(status: TargetStatus) -> bool:
    return bool(
        status.achieved_tonnes <= status.allowed_tonnes + MET_TOLERANCE * max(abs(status.base), 1.0)
    )


def _shortfall(status: TargetStatus) -> dict[str, object]:
    gap = status.achieved_tonnes - status.allowed_tonnes
    return {
        "name": status.target.name,
        "shortfall_tonnes": float(gap),
        "shortfall_percentage_points": float(gap / max(abs(status.base), 1e-9) * 100.0),
    }


def _target_row(
    status: TargetStatus, scenario: Scenario, model: Model, year_index: int
) -> dict[str, object]:
    target = status.target
    if target.intensity:
        gdp = scenario.gdp() or {}
        ratio = gdp[model.years[year_index]] / gdp[model.years[0]]
        achieved = (status.achieved_tonnes / ratio / status.base - 1.0) * 100.0
        reference = (status.reference / ratio / status.base - 1.0) * 100.0
    else:
        achieved = (status.achieved_tonnes / status.base - 1.0) * 100.0
        reference = (status.reference / status.base - 1.0) * 100.0
    return {
        "name": target.name,
        "required": float(target.change * 100.0),
        "achieved": float(achieved),
        "unit": "% vs base year",
        "without_measures": float(reference),
        "base_year_tonnes": float(status.base),
        "allowed_tonnes": float(status.allowed_tonnes),
        "achieved_tonnes": float(status.achieved_tonnes),
        "met": _met(status),
    }


def _portfolio(
    model: Model, cands: Candidates, x: np.ndarray, z: np.ndarray
) -> tuple[list[dict[str, object]], float]:
    binaries, fixed, _, _ = _structure(cands, model)
    adopted_fixed = {m: f * round(v) for m, f, v in zip(binaries, fixed, z, strict=True)}
    out, total = [], 0.0
    for measure_index in np.unique(cands.measure):
        columns = np.flatnonzero(cands.measure == measure_index)
        share = x[columns]
        if share.max(initial=0.0) <= 1e-9:
            continue
        weight = cands.weight[columns]
        uptake = (
            float((share * weight).sum() / weight.sum())
            if weight.sum() > 0
            else float(share.mean())
        )
        cost = float((share * cands.cost[columns]).sum()) + adopted_fixed.get(
            int(measure_index), 0.0
        )
        total += cost
        compiled = model.measures[int(measure_index)]
        item: dict[str, object] = {
            "id": compiled.id,
            "uptake": uptake,
            "annual_cost": cost,
            "name": compiled.measure.name,
        }
        if cands.source[columns[0]] >= 0:
            item["sources_used"] = int((share > 1e-9).sum())
        out.append(item)
    return out, total


def macc_simple(
    scenario: Scenario, pollutant: str = "CO2", year: int | None = None, model: Model | None = None
) -> pd.DataFrame:
    """Sorted per-measure curve: each measure alone at its uptake limit, by cost per t reduced.

    Exact only when measures do not act on the same sources (stacked measures interact).
    """
    model = model or build_model(scenario)
    year = year or scenario.years[-1]
    cands = build_candidates(model, scenario, model.years.index(year), "measure")
    column = _column(model, pollutant)
    reduction = cands.coefficients[:, column] * cands.upper
    cost = cands.cost * cands.upper + np.array(
        [model.measures[m].measure.cost.annual_fixed for m in cands.measure]
    )
    frame = pd.DataFrame(
        {
            "measure": [model.measures[m].id for m in cands.measure],
            "uptake": cands.upper,
            "reduction_t": reduction,
            "annual_cost_cny": cost,
        }
    )
    frame = frame[frame["reduction_t"] > 0].copy()
    frame["cost_per_t"] = frame["annual_cost_cny"] / frame["reduction_t"]
    frame = frame.sort_values("cost_per_t").reset_index(drop=True)
    frame["cumulative_reduction_t"] = frame["reduction_t"].cumsum()
    frame.insert(0, "pollutant", pollutant)
    return frame


def macc_optimised(
    scenario: Scenario,
    pollutant: str = "CO2",
    steps: int = 8,
    year: int | None = None,
    model: Model | None = None,
    granularity: str = "measure",
) -> pd.DataFrame:
    """Marginal abatement cost curve by re-solving least cost under tightening reduction targets.

    Step k asks for k/steps of the largest reduction the catalogue can give; marginal cost is the
    extra cost per extra tonne between steps (GAINS: a sequence of optimisations,
    co-control.md 1.1).
    """
    model = model or build_model(scenario)
    year = year or scenario.years[-1]
    year_index = model.years.index(year)
    cands = build_candidates(model, scenario, year_index, granularity)
    column = _column(model, pollutant)
    _, _, _, exclusive = _structure(cands, model)
    best = _max_reduction(cands, column, exclusive)
    # Step 0: least cost without a target (negative-cost, 'no-regret' measures are taken anyway).
    start, _ = _solve(cands, model, np.array([-np.inf]), [column], None, None, None)
    previous_cost = float(start.fun)
    previous_red = float(cands.coefficients[:, column] @ start.x[: len(cands.cost)])
    rows = [
        {
            "pollutant": pollutant,
            "step": 0,
            "required_reduction_t": 0.0,
            "reduction_t": previous_red,
            "total_annual_cost_cny": previous_cost,
            "marginal_cost_per_t": float("nan"),
            "average_cost_per_t": float("nan"),
            "measures": "no-regret measures only",
        }
    ]
    for k in range(1, steps + 1):
        need = rows[0]["reduction_t"] + (best - rows[0]["reduction_t"]) * k / steps
        result, _ = _solve(cands, model, np.array([need]), [column], None, None, None)
        if result.status != 0:
            break
        cost = float(result.fun)
        x = result.x[: len(cands.cost)]
        achieved = float(cands.coefficients[:, column] @ x)
        marginal = (
            (cost - previous_cost) / (achieved - previous_red)
            if achieved > previous_red
            else float("nan")
        )
        chosen = sorted(
            {model.measures[m].id for m, v in zip(cands.measure, x, strict=True) if v > 1e-9}
        )
        rows.append(
            {
                "pollutant": pollutant,
                "step": k,
                "required_reduction_t": need,
                "reduction_t": achieved,
                "total_annual_cost_cny": cost,
                "marginal_cost_per_t": marginal,
                "average_cost_per_t": cost / achieved if achieved > 0 else float("nan"),
                "measures": ", ".join(chosen),
            }
        )
        previous_cost, previous_red = cost, achieved
    return pd.DataFrame(rows)


def _max_reduction(
    cands: Candidates, column: int, exclusive: list[tuple[np.ndarray, float]]
) -> float:
    """Largest linear reduction of one pollutant the candidates allow (an LP)."""
    n = len(cands.cost)
    constraints = []
    if exclusive:
        r = np.concatenate([np.full(len(cols), i) for i, (cols, _) in enumerate(exclusive)])
        c = np.concatenate([cols for cols, _ in exclusive])
        constraints.append(
            LinearConstraint(
                sparse.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(exclusive), n)),
                -np.inf,
                1.0,
            )
        )
    result = milp(
        -cands.coefficients[:, column],
        bounds=Bounds(np.zeros(n), cands.upper),
        constraints=constraints,
    )
    return float(-result.fun) if result.status == 0 else 0.0


def targets_from_mapping(values: Mapping[str, float], pollutants: Sequence[str]) -> list[Target]:
    """{'NOx': -0.10, 'CO2_intensity': -0.18} -> targets (fractions)."""
    return [parse_target(f"{name}={value}", pollutants) for name, value in values.items()]
