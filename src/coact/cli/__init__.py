"""The ``coact`` command line.

Each command group lives in its own module under ``coact.cli`` and exposes
``register(subparsers)``; engine commands (air, hj212, emissions, forecast) never
start Django, so they stay fast and usable on a machine without a database.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Order is the order shown in ``coact --help``.
COMMAND_GROUPS = ("server", "plan", "air", "forecast", "hj212", "emissions")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coact", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="group", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_GROUPS:
        module = importlib.import_module(f"coact.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except BrokenPipeError:
        return 0
    except CliError as error:
        print(f"coact: error: {error}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A user error: printed as one line, exit status 2, no traceback."""


if __name__ == "__main__":
    sys.exit(main())
