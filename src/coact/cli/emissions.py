"""`coact emissions`: run a co-control scenario, its metrics, least-cost portfolios, MAC curves.

No Django: the engine (coact.engines.inventory) is pure. SCENARIO is ``demo`` (the shipped
illustrative Nantong scenario) or a path to a scenario YAML file.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emissions", help="co-control emissions: scenarios, metrics, optimisation"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser("run", help="emissions per pollutant and year of a scenario")
    run.add_argument("scenario", metavar="SCENARIO", help="'demo' or a scenario YAML file")
    run.add_argument(
        "--by", choices=("sector", "county"), help="also break totals down by sector or county"
    )
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(handler=_run)

    metrics = sub.add_parser("metrics", help="co-control metrics of each applied measure")
    metrics.add_argument("scenario", metavar="SCENARIO")
    metrics.add_argument("--year", type=int, help="year (default: last scenario year)")
    metrics.add_argument("--json", action="store_true")
    metrics.set_defaults(handler=_metrics)

    opt = sub.add_parser(
        "optimize", aliases=["optimise"], help="least-cost portfolio meeting targets"
    )
    opt.add_argument("scenario", metavar="SCENARIO")
    opt.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="e.g. NOx=-10%%, VOCs=-12%%, CO2=-5%%, CO2_intensity=-18%% (change vs base year)",
    )
    opt.add_argument("--budget", type=float, help="cap on total annual cost, CNY/yr")
    opt.add_argument("--year", type=int, help="target year (default: last scenario year)")
    opt.add_argument(
        "--granularity",
        choices=("measure", "pair"),
        default="measure",
        help="decide uptake per measure or per measure-source pair",
    )
    opt.add_argument("--json", action="store_true")
    opt.set_defaults(handler=_optimise)

    macc = sub.add_parser("macc", help="marginal abatement cost curve of one pollutant")
    macc.add_argument("scenario", metavar="SCENARIO")
    macc.add_argument("--pollutant", default="CO2")
    macc.add_argument("--steps", type=int, default=8)
    macc.add_argument(
        "--simple", action="store_true", help="sorted per-measure curve instead of re-solving"
    )
    macc.add_argument("--year", type=int)
    macc.add_argument("--json", action="store_true")
    macc.set_defaults(handler=_macc)


def _load(spec: str) -> Any:
    from coact.cli import CliError
    from coact.engines.inventory import InventoryError, load_scenario

    try:
        return load_scenario(spec)
    except InventoryError as error:
        raise CliError(str(error)) from error


def _clean(value: Any) -> Any:
    """JSON-safe: NaN -> null, numpy scalars -> Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _print_json(payload: Any) -> None:
    print(json.dumps(_clean(payload), ensure_ascii=False, indent=2))


def _run(args: argparse.Namespace) -> int:
    from coact.engines.inventory import run_scenario

    scenario = _load(args.scenario)
    result = run_scenario(scenario)
    totals = result.totals()
    payload: dict[str, Any] = {
        "scenario": scenario.name,
        "base_year": scenario.base_year,
        "years": list(scenario.all_years),
        "unit": "t",
        "gwp": scenario.gwp,
        "totals": {
            p: {str(y): float(totals.at[p, y]) for y in totals.columns} for p in totals.index
        },
    }
    if args.by:
        grouped = result.by("pollutant", args.by, "year")
        payload[f"by_{args.by}"] = [
            {
                "pollutant": r.pollutant,
                args.by: getattr(r, args.by),
                "year": int(r.year),
                "tonnes": float(r.tonnes),
            }
            for r in grouped.itertuples(index=False)
        ]
    if args.json:
        _print_json(payload)
        return 0
    print(
        f"scenario {scenario.name}: emissions in t/yr "
        f"(CO2 includes purchased electricity; CO2e {scenario.gwp})"
    )
    print(totals.round(1).to_string())
    return 0


def _metrics(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.engines.inventory import measure_metrics

    scenario = _load(args.scenario)
    if args.year is not None and args.year not in scenario.all_years:
        raise CliError(
            f"--year {args.year} is not a year of scenario {scenario.name} "
            f"{list(scenario.all_years)}"
        )
    frame = measure_metrics(scenario, args.year)
    if args.json:
        _print_json(frame.to_dict(orient="records"))
        return 0
    columns = [
        "measure",
        "reduction_NOx",
        "reduction_VOCs",
        "reduction_CO2",
        "reduction_APeq",
        "annual_cost_cny",
        "cost_per_t_CO2",
        "cost_per_t_APeq",
        "els_APeq",
        "quadrant",
        "classification",
    ]
    print(frame[columns].round(2).to_string(index=False))
    return 0


def _optimise(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.engines.inventory import InventoryError, optimise

    scenario = _load(args.scenario)
    if not args.target:
        raise CliError("give at least one --target NAME=VALUE, e.g. --target NOx=-10%")
    try:
        result = optimise(
            scenario, args.target, budget=args.budget, year=args.year, granularity=args.granularity
        )
    except InventoryError as error:
        raise CliError(str(error)) from error
    if args.json:
        _print_json(result.to_dict())
    else:
        print(
            f"{result.message}; year {result.year}; "
            f"total annual cost {result.total_annual_cost:,.0f} CNY/yr"
        )
        for item in result.measures:
            print(
                f"  {item['id']:<32} uptake {item['uptake']:.3f}  "
                f"cost {item['annual_cost']:>16,.0f} CNY/yr"
            )
        for target in result.targets:
            print(
                f"  target {target['name']:<14} required {target['required']:+.2f} %  "
                f"achieved {target['achieved']:+.2f} %"
            )
    if not result.feasible:
        print(f"coact: error: {result.message}", file=sys.stderr)
        return 3
    return 0


def _macc(args: argparse.Namespace) -> int:
    from coact.cli import CliError
    from coact.engines.inventory import InventoryError, macc_optimised, macc_simple

    scenario = _load(args.scenario)
    try:
        if args.simple:
            frame = macc_simple(scenario, args.pollutant, args.year)
        else:
            frame = macc_optimised(scenario, args.pollutant, args.steps, args.year)
    except (InventoryError, ValueError) as error:
        raise CliError(str(error)) from error
    if args.json:
        _print_json(frame.to_dict(orient="records"))
    else:
        print(frame.round(1).to_string(index=False))
    return 0
