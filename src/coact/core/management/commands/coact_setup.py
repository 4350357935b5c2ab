"""Load organisation and plans, register schedules, and (optionally) demo data and users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from coact.core.demo import ensure_demo_users
from coact.core.hooks import app_modules
from coact.core.jobs import ensure_schedules


class Command(BaseCommand):
    help = "Load regions, departments and every plan file; create demo users and data."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        for label, setup in app_modules("setup"):
            if hasattr(setup, "load_reference_data"):
                self.stdout.write(f"{label}: {setup.load_reference_data()}")
        ensure_schedules()
        if options["demo"]:
            credentials = ensure_demo_users(_credentials_file())
            for label, setup in app_modules("setup"):
                if hasattr(setup, "load_demo_data"):
                    self.stdout.write(f"{label} demo: {setup.load_demo_data()}")
            self.stdout.write(
                "\nDemo users (passwords are random per installation, kept in "
                f"{_credentials_file()}):"
            )
            for row in credentials:
                self.stdout.write(f"  {row['username']:<10} {row['password']:<22} {row['role']}")


def _credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"
