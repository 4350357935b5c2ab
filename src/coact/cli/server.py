"""`coact setup | serve | jobs | demo-users | manage`: the platform itself (needs Django)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from .django_setup import setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "setup", help="migrate, load the plans and organisation, create demo data"
    )
    p.add_argument("--no-demo", action="store_true", help="no demo users or illustrative values")
    p.set_defaults(handler=cmd_setup)
    p = subparsers.add_parser("serve", help="set up, then serve on 127.0.0.1 with in-process jobs")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--no-setup", action="store_true")
    p.add_argument("--no-jobs", action="store_true")
    p.set_defaults(handler=cmd_serve)
    p = subparsers.add_parser("jobs", help="run the job worker (django-q2 cluster)")
    p.set_defaults(handler=cmd_jobs)
    p = subparsers.add_parser("manage", help="Django's manage.py commands", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_manage)


def cmd_setup(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("coact_setup", demo=not args.no_demo)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if not args.no_setup:
        cmd_setup(argparse.Namespace(no_demo=False))
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from waitress import serve

    call_command("collectstatic", interactive=False, verbosity=0)
    from coact.wsgi import application  # after collectstatic: WhiteNoise indexes files on import

    worker = None
    if not args.no_jobs:
        worker = subprocess.Popen(
            [sys.executable, "-m", "coact.cli", "jobs"], env=os.environ.copy()
        )
    print(
        f"CoAct serving on http://{args.host}:{args.port}/  (data in {settings.VAR_DIR})",
        flush=True,
    )
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads, ident="CoAct")
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import call_command

    from coact.core.jobs import ensure_schedules

    ensure_schedules()
    call_command("qcluster")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["coact manage", *args.rest])
    return 0


def var_dir() -> Path:
    return Path(os.environ.get("COACT_VAR_DIR", Path.cwd() / "var"))
