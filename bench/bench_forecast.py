"""Benchmark of the O3 forecast: rolling-origin backtest on the shipped UCI Beijing data.

Run: .venv/bin/python bench/bench_forecast.py [PRSA_DIR] [--train-end D] [--test-end D]
Prints per model, meteorology and lead day: exact grade accuracy, within-one, POD, FAR,
TS, RMSE, bias, r, and exact accuracy minus the persistence baseline measured in the same
run; then wall-clock timings. 'forecast' meteorology is SIMULATED (observed + noise).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from coact.cli.forecast import format_table
from coact.engines.forecast import read_prsa, run_backtest

DEFAULT_DIR = Path("/work/shared/data/air/beijing_prsa")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--train-end", default="2015-02-28")
    parser.add_argument("--test-end", default="2016-02-29")
    parser.add_argument("--retrain-days", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    history = read_prsa(args.directory)
    read_seconds = time.perf_counter() - started
    result = run_backtest(
        history,
        args.train_end,
        args.test_end,
        args.retrain_days,
        meteorology=("observed", "forecast", "none"),
    )
    total = time.perf_counter() - started
    print(format_table(result), end="")
    print("\nexact accuracy minus persistence (same run), leads 1..10:")
    for run in result["runs"]:
        deltas = [s.get("exact_minus_persistence") for s in run["lead_days"].values()]
        cells = " ".join("  -  " if d is None else f"{d:+.3f}" for d in deltas)
        print(f"  {run['model']:15} {run['meteorology']:9} {cells}")
    print(
        f"\nread {read_seconds:.1f} s; per meteorology {result['setup']['seconds_per_meteorology']}"
    )
    print(f"total {total:.1f} s (train end {args.train_end}, test end {args.test_end})")


if __name__ == "__main__":
    main()
