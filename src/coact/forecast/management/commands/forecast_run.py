"""`coact manage forecast_run [--as-of DATE] [--station CODE ...] [--baselines]`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coact.forecast import services


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"--as-of: expected YYYY-MM-DD, got {text!r}") from error


class Command(BaseCommand):
    help = (
        "Issue the O3 forecast for lead days 1-10 as of a day (default: the last day with "
        "station data) from data up to that day only, store it, and open the ozone warning "
        "case when a precise day (1-3) reaches grade 3."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", type=_date, help="issue day YYYY-MM-DD")
        parser.add_argument("--station", action="append", default=[], help="also a station")
        parser.add_argument(
            "--baselines", action="store_true", help="ignore trained models (baselines only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for area in [services.CITY, *options["station"]]:
            try:
                run = services.run_forecast(
                    options["as_of"], area=area, use_model=not options["baselines"]
                )
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            days = " ".join(f"{d.lead}:{d.point:.0f}/g{d.grade}" for d in run.days.all())
            self.stdout.write(
                f"{area} as of {run.as_of}: {run.model_version} ({run.method}, meteorology "
                f"{run.meteorology}) {run.seconds:.2f} s; {days}"
            )
            if run.note:
                self.stdout.write(f"  note: {run.note}")
            if run.warning_case_number:
                self.stdout.write(f"  ozone warning case {run.warning_case_number}")
