"""`coact manage forecast_train [--as-of DATE]`: train on stored history, save the model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand

from coact.forecast import services


class Command(BaseCommand):
    help = (
        "Train the met-free O3 forecaster on the stored city history up to --as-of (default: "
        "all), save it under COACT_VAR_DIR/models (joblib + JSON sidecar). With too little "
        "history nothing is saved and the daily runs keep using baselines."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="last training day")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            model = services.train_model(options["as_of"])
        except services.TooLittleHistory as error:
            self.stdout.write(f"no model trained: {error}")
            return
        choice = model.sidecar.get("choice_per_lead", {})
        self.stdout.write(
            f"saved {model.path} (+ .json), training {model.first_issue_day}.."
            f"{model.last_target_day}, {model.seconds} s; per-lead choice {choice}"
        )
