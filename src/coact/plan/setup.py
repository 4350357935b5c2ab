"""Reference data and demo data of the plan app, called by `coact setup`."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from . import services
from .models import Indicator, Observation


def load_reference_data() -> str:
    plans = services.load_all()
    count = services.refresh_all_statuses()
    return f"{len(plans)} plan(s) loaded, {count} indicator statuses computed"


def load_demo_data(seed: int = 2023) -> str:
    """Illustrative yearly values (flagged ``illustrative``) for about two thirds of the
    reported indicators, so the dashboard shows every status. Never official figures."""
    if Observation.objects.filter(illustrative=True).exists():
        return "already present"
    rng = random.Random(seed)
    created = 0
    with transaction.atomic():
        for indicator in Indicator.objects.filter(reporting="reported").select_related("plan"):
            if indicator.target is None or rng.random() < 0.3:
                continue
            created += _demo_series(indicator, rng)
        for indicator in Indicator.objects.all():
            services.refresh_status(indicator)
    return f"{created} illustrative values"


def _demo_series(indicator: Indicator, rng: random.Random) -> int:
    target = float(indicator.target)
    start_year = indicator.plan.period_start.year
    base = (
        indicator.baseline_value
        if indicator.baseline_value is not None
        else target * rng.uniform(0.7, 0.95)
    )
    fate = rng.choice(["achieve", "achieve", "lag", "far"])  # how the invented series ends
    end = {"achieve": target * rng.uniform(1.0, 1.05), "lag": target * 0.96, "far": target * 0.8}[
        fate
    ]
    if not indicator.higher_is_better:
        end = {"achieve": target * 0.97, "lag": target * 1.05, "far": target * 1.25}[fate]
    years = list(range(start_year, min(indicator.deadline.year, dt.date.today().year) + 1))
    for n, year in enumerate(years, start=1):
        value = round(base + (end - base) * n / len(years), 2)
        services.record_observation(
            indicator,
            services.ObservationInput(
                value=value,
                period_start=dt.date(year, 1, 1),
                period_end=dt.date(year, 12, 31),
                source="演示数据(虚构) illustrative demo value",
            ),
            computed_by="demo",
            illustrative=True,
            auto_approve=True,
        )
    return len(years)
