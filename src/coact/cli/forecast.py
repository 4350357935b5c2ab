"""`coact forecast` commands: O3 forecast backtest (no Django)."""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd

from coact.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("forecast", help="ozone forecast: backtest")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    backtest = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of the MDA8 O3 forecast and its baselines",
        description=(
            "Train up to --train-end, forecast every later day up to --test-end (leads 1-10), "
            "retraining every --retrain-days on an expanding window; score per lead day."
        ),
    )
    backtest.add_argument("--source", required=True, choices=("prsa", "cnemc"))
    backtest.add_argument("path", help="PRSA folder, or CNEMC long-format CSV file")
    backtest.add_argument("--stations", help="comma-separated station codes (cnemc; default all)")
    backtest.add_argument("--station", help="forecast this one station instead of the city mean")
    backtest.add_argument("--train-end", required=True, help="YYYY-MM-DD, last training day")
    backtest.add_argument("--test-end", help="YYYY-MM-DD, last test day (default: end of data)")
    backtest.add_argument("--retrain-days", type=int, default=30)
    backtest.add_argument(
        "--simulate-forecast-met",
        action="store_true",
        help="also run with observed weather plus lead-dependent noise, labelled 'forecast'",
    )
    backtest.add_argument("--json", action="store_true", help="print JSON")
    backtest.set_defaults(handler=run_backtest_command)


def _date(text: str | None, option: str) -> pd.Timestamp | None:
    if text is None:
        return None
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except ValueError as error:
        raise CliError(f"{option}: expected YYYY-MM-DD, got {text!r}") from error


def run_backtest_command(args: argparse.Namespace) -> int:
    # Imported here so `coact --help` stays fast (LightGBM loads in ~1 s).
    from coact.engines.forecast import ForecastInputError, read_cnemc, read_prsa, run_backtest

    train_end = _date(args.train_end, "--train-end")
    test_end = _date(args.test_end, "--test-end")
    started = time.perf_counter()
    try:
        if args.source == "prsa":
            history = read_prsa(args.path)
            if args.stations:
                history = history.select_stations(args.stations.split(","))
        else:
            stations = args.stations.split(",") if args.stations else None
            history = read_cnemc(args.path, stations)
        modes = (
            ("observed", "forecast", "none") if args.simulate_forecast_met else ("observed", "none")
        )
        result = run_backtest(
            history, train_end, test_end, args.retrain_days, modes, station=args.station
        )
    except (ForecastInputError, KeyError, ValueError, OSError) as error:
        raise CliError(f"forecast backtest: {error}") from error
    result["setup"]["seconds_total"] = round(time.perf_counter() - started, 1)
    if args.simulate_forecast_met:
        result["setup"]["note_forecast"] = (
            "meteorology 'forecast' is SIMULATED: observed weather plus lead-dependent noise"
        )
    if args.json:
        json.dump(result, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(result))
    return 0


def format_table(result: dict) -> str:
    """A plain-text table: one line per run and lead day."""
    head = f"{'model':15} {'met':9} {'lead':>4} {'n':>4} {'exact':>6} {'±1':>6} "
    head += f"{'POD':>5} {'FAR':>5} {'TS':>5} {'RMSE':>6} {'bias':>6} {'r':>5}\n"
    lines = [head]

    def fmt(value: float | None, width: int, digits: int) -> str:
        return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"

    for run in result["runs"]:
        for lead, s in run["lead_days"].items():
            lines.append(
                f"{run['model']:15} {run['meteorology']:9} {lead:>4} {s.get('n', 0):>4} "
                f"{fmt(s.get('exact'), 6, 3)} {fmt(s.get('within_one'), 6, 3)} "
                f"{fmt(s.get('pod'), 5, 2)} {fmt(s.get('far'), 5, 2)} {fmt(s.get('ts'), 5, 2)} "
                f"{fmt(s.get('rmse'), 6, 1)} {fmt(s.get('bias'), 6, 1)} {fmt(s.get('r'), 5, 2)}\n"
            )
    setup = result.get("setup", {})
    lines.append(
        f"setup: {json.dumps({k: v for k, v in setup.items() if k != 'per_lead_choice'})}\n"
    )
    return "".join(lines)
