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
    p = subparsers.add_parser("serve", help="set up, then serve on 127.0.0.1 with the job worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=max(2, min(4, (os.cpu_count() or 1) + 1)))
    p.add_argument("--threads", type=int, default=4)
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
    """gunicorn with a few worker processes (the GIL makes one process use one core) and the
    job worker beside it; both stop together."""
    if not args.no_setup:
        cmd_setup(argparse.Namespace(no_demo=False))
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    worker = None
    if not args.no_jobs:
        worker = subprocess.Popen(
            [sys.executable, "-m", "coact.cli", "jobs"], env=os.environ.copy()
        )
    print(
        f"CoAct serving on http://{args.host}:{args.port}/  (data in {settings.VAR_DIR})",
        flush=True,
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "coact.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]
    server = subprocess.Popen(command, env=os.environ.copy())
    # A plain SIGTERM would end this process without the clean-up below and orphan the
    # job worker: turn it into SystemExit so `finally` stops both children.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (server, worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


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
