"""`coact air` commands: HJ 633 hourly AQI of a release file, annual HJ 663 evaluation.

No Django: the engines are pure (coact.engines.aqi, .evaluation, .airio).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from coact.engines import airio, aqi, evaluation

SIX_POLLUTANTS = ("SO2", "NO2", "PM10", "CO", "O3", "PM2.5")
MAX_PROBLEMS_SHOWN = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("air", help="air quality: HJ 633 AQI and HJ 663 evaluation")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    hourly = sub.add_parser("hourly-aqi", help="real-time AQI of a CNEMC long-format file")
    hourly.add_argument("file", type=Path, help="CSV: date,hour,station,<series...>[,AQI]")
    hourly.add_argument("-o", "--output", type=Path, help="write the file with computed columns")
    hourly.add_argument(
        "--edition", choices=("2012", "2026"), help="HJ 633 edition (default: by each row's date)"
    )
    hourly.add_argument("--json", action="store_true", help="print a JSON summary")
    hourly.set_defaults(handler=run_hourly_aqi)

    evaluate = sub.add_parser("evaluate", help="annual city statistics (HJ 663, GB 3095)")
    evaluate.add_argument("file", type=Path, help="CNEMC long-format hourly CSV")
    evaluate.add_argument("--stations", required=True, help="comma-separated station codes")
    evaluate.add_argument("--year", type=int, required=True)
    evaluate.add_argument(
        "--edition",
        choices=("2012", "2026"),
        help="standards set (default: in force on 31 December of the year)",
    )
    evaluate.add_argument("--json", action="store_true", help="print all statistics as JSON")
    evaluate.set_defaults(handler=run_evaluate)


def _read(path: Path) -> pd.DataFrame:
    from coact.cli import CliError

    if not path.is_file():
        raise CliError(f"{path}: no such file")
    frame, problems = airio.read_cnemc_long(path)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"coact: warning: {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(
            f"coact: warning: {len(problems) - MAX_PROBLEMS_SHOWN} more problems", file=sys.stderr
        )
    if frame.empty:
        raise CliError(f"{path}: no usable rows (see the warnings above)")
    frame.attrs["problem_count"] = len(problems)  # alongside airio's "source_columns"
    return frame


def _match_summary(frame: pd.DataFrame, computed: pd.Series) -> dict[str, Any]:
    if "AQI" not in frame.columns:
        return {}
    complete = frame[[*SIX_POLLUTANTS, "AQI"]].notna().all(axis=1).to_numpy()
    equal = complete & (computed.to_numpy() == frame["AQI"].to_numpy())
    count = int(complete.sum())
    return {
        "complete_rows": count,
        "matching_rows": int(equal.sum()),
        "mismatching_rows": count - int(equal.sum()),
        "match_ratio": (int(equal.sum()) / count) if count else None,
    }


def run_hourly_aqi(args: argparse.Namespace) -> int:
    frame = _read(args.file)
    result = aqi.hourly_aqi(frame, edition=args.edition)
    order = frame.attrs.get("source_columns") or [c for c in frame.columns if c != "time"]
    output = frame[order].copy()
    output["computed_aqi"] = result["aqi"].astype("Int64")
    output["computed_primary_pollutant"] = result["primary_pollutant"]
    if args.output:
        output.to_csv(args.output, index=False, float_format="%.10g")
    summary = {
        "file": str(args.file),
        "rows": len(frame),
        "problems": frame.attrs["problem_count"],
        "rows_with_aqi": int(result["aqi"].notna().sum()),
        "editions": {str(k): int(v) for k, v in result["edition"].value_counts().items()},
        **_match_summary(frame, result["aqi"]),
    }
    if args.output:
        summary["output"] = str(args.output)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    elif not args.output:
        print(output.to_csv(index=False, float_format="%.10g"), end="")
    else:
        ratio = summary.get("match_ratio")
        print(
            f"{summary['rows']} rows -> {args.output}"
            + (f"; match {ratio:.4%} of {summary['complete_rows']}" if ratio is not None else "")
        )
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def run_evaluate(args: argparse.Namespace) -> int:
    from coact.cli import CliError

    stations = [code.strip() for code in args.stations.split(",") if code.strip()]
    if not stations:
        raise CliError("--stations: give at least one station code, e.g. 1168A,1169A")
    frame = _read(args.file)
    absent = sorted(set(stations) - set(frame["station"]))
    if len(absent) == len(stations):
        raise CliError(f"{args.file}: none of the stations {stations} is in the file")
    frame = frame[frame["station"].isin(stations)]
    stats = evaluation.evaluate_year(frame, args.year, stations=stations, edition=args.edition)
    stats["stations"] = stations
    stats["stations_without_data"] = absent
    if stats["valid_days"] == 0:
        raise CliError(f"{args.file}: no valid day in {args.year} for stations {stations}")
    clean = {key: _jsonable(value) for key, value in stats.items()}
    if args.json:
        print(json.dumps(clean, ensure_ascii=False, indent=2))
    else:
        for key in (
            "valid_days",
            "pm25_annual_mean",
            "pm10_annual_mean",
            "no2_annual_mean",
            "so2_annual_mean",
            "co_p95",
            "o3_8h_p90",
            "good_day_ratio",
        ):
            print(f"{key}: {clean[key]}")
    return 0
