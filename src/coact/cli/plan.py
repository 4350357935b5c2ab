"""`coact plan` commands: check and show action-plan files ("coact-plan/1"). No Django."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from coact.cli import CliError
from coact.engines.planfile import (
    Indicator,
    Org,
    Plan,
    PlanFormatError,
    check_plan,
    default_org_folder,
    describe_target,
    load_org,
    load_plan,
    plan_files,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("plan", help="check and show action-plan files")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    check = sub.add_parser("check", help="check a plan file; exit 1 when it has problems")
    check.add_argument("file", type=Path, help="plan file (YAML, format coact-plan/1)")
    check.add_argument("--org", type=Path, help="org folder (regions.yaml, departments.yaml)")
    check.set_defaults(handler=run_check)

    show = sub.add_parser("show", help="print plans (default: every shipped plan)")
    show.add_argument("files", type=Path, nargs="*", help="plan files")
    show.add_argument("--org", type=Path, help="org folder (regions.yaml, departments.yaml)")
    show.add_argument("--json", action="store_true", help="print a JSON array of plans")
    show.set_defaults(handler=run_show)


def run_check(args: argparse.Namespace) -> int:
    _require_file(args.file)
    if args.org is not None and not args.org.is_dir():
        raise CliError(f"--org {args.org}: not a folder")
    problems = check_plan(args.file, args.org)
    for problem in problems:
        print(f"{problem.location}: {problem.message}")
    if problems:
        return 1
    plan = load_plan(args.file, args.org)
    print(
        f"ok: {len(plan.goals)} goals, {len(plan.tasks)} tasks, {len(plan.indicators)} indicators"
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    files = list(args.files) or plan_files()
    if not files:
        raise CliError("no plan files given and none shipped in coact/data/plans")
    plans = [_load(path, args.org) for path in files]
    if args.json:
        print(
            json.dumps(
                [plan.model_dump(mode="json") for plan in plans], ensure_ascii=False, indent=2
            )
        )
        return 0
    for plan in plans:
        print("\n".join(describe_plan(plan, _org_for(plan, args.org))))
    return 0


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise CliError(f"{path}: no such plan file")


def _load(path: Path, org: Path | None) -> Plan:
    _require_file(path)
    try:
        return load_plan(path, org)
    except PlanFormatError as error:
        raise CliError(f"{path} does not pass `coact plan check`:\n{error}") from error


def _org_for(plan: Plan, org: Path | None) -> Org | None:
    folder = org or default_org_folder(plan.plan.region)
    return load_org(folder) if folder else None


def describe_plan(plan: Plan, org: Org | None) -> list[str]:
    """Human-readable summary: header, goals, tasks with departments, indicators."""
    header = plan.plan
    lines = [
        f"{header.code} v{header.version}: {header.title}",
        f"  {header.title_en}",
        f"  issued {header.issued} by {header.issuer}",
        f"  period {header.period_start}..{header.period_end}, region {header.region}",
        "",
        "Goals:",
    ]
    lines += [f"  {g.code} {g.title}  [{', '.join(g.indicators) or '-'}]" for g in plan.goals]
    lines += ["", "Tasks (lead / co):"]
    for task in plan.tasks:
        lines.append(f"  {task.number:>2} {task.chapter} {task.title}")
        lines.append(f"      lead: {_names(task.lead, org)}")
        co = [_names(task.co, org)] if task.co else []
        lines.append(f"      co:   {'; '.join(co + task.co_collective) or '-'}")
    lines += ["", "Indicators:"]
    lines += [f"  {_indicator_line(i)}" for i in plan.indicators]
    return [*lines, ""]


def _names(codes: Sequence[str], org: Org | None) -> str:
    if org is None:
        return ", ".join(codes)
    shorts = {d.code: d.short for d in org.departments}
    return ", ".join(f"{shorts.get(code, '?')} ({code})" for code in codes)


def _indicator_line(i: Indicator) -> str:
    return f"{i.code:<36} {describe_target(i):<28} by {i.deadline}  {i.name}"
