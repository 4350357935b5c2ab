"""Stored ozone forecasts, trained model files, backtests, and the emergency-measure lists.

Units: MDA8 = daily maximum 8-h mean O3 in µg/m³ (HJ 663); grades are HJ 633 IAQI levels
1..6 (edition by the target date, decided by the AQI engine). Forecasts are public
information like the air data they come from; model files and backtests are staff records;
emergency measures belong to an enterprise (enterprise sees its own, county its
enterprises', the supervising department and the office all).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coact.core.models import Department, Enterprise
from coact.core.scope import Scope, ScopedQuerySet

CITY = "city"


class Meteorology(models.TextChoices):
    NONE = "none", _("none (no weather input)")
    OBSERVED = "observed", _("observed weather (perfect-forecast upper bound)")
    FORECAST = "forecast", _("weather-model forecast")


class ForecastModel(models.Model):
    """A trained forecaster saved as joblib + JSON sidecar under COACT_VAR_DIR/models."""

    area = models.CharField(max_length=32, default=CITY)
    version = models.CharField(max_length=100, unique=True, help_text=_("file name"))
    path = models.CharField(max_length=500)
    engine_version = models.CharField(max_length=20, blank=True)
    first_issue_day = models.DateField()
    last_target_day = models.DateField(help_text=_("no training target after this day"))
    meteorology = models.CharField(
        max_length=16, choices=Meteorology.choices, default=Meteorology.NONE
    )
    sidecar = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.version


class ForecastRun(models.Model):
    """The forecasts of lead days 1..10 issued at the end of ``as_of`` for one area."""

    area = models.CharField(max_length=32, default=CITY, help_text=_("city or a station code"))
    as_of = models.DateField(help_text=_("issue day: only data up to its end are used"))
    model = models.ForeignKey(ForecastModel, null=True, blank=True, on_delete=models.SET_NULL)
    model_version = models.CharField(max_length=100, help_text=_("model file, or baselines"))
    method = models.CharField(max_length=16, help_text=_("model or baselines"))
    data_start = models.DateField(null=True, blank=True)
    data_end = models.DateField(null=True, blank=True)
    meteorology = models.CharField(
        max_length=16, choices=Meteorology.choices, default=Meteorology.NONE
    )
    note = models.TextField(blank=True)
    warning_from = models.DateField(
        null=True, blank=True, help_text=_("first day of the warned episode (case dedupe key)")
    )
    warning_case_id = models.PositiveIntegerField(null=True, blank=True)
    warning_case_number = models.CharField(max_length=40, blank=True)
    seconds = models.FloatField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True, public=Q())

    class Meta:
        ordering = ["-as_of", "area"]
        constraints = [
            models.UniqueConstraint(fields=["area", "as_of"], name="one_forecast_run_per_day")
        ]

    def __str__(self) -> str:
        return f"O3 forecast {self.area} as of {self.as_of}"


class ForecastDay(models.Model):
    """One lead day of a run: point MDA8, quantiles, grade and grade probabilities."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="days")
    lead = models.PositiveSmallIntegerField()
    date = models.DateField()
    kind = models.CharField(max_length=8, help_text=_("precise (leads 1-3) or outlook"))
    point = models.FloatField(help_text=_("µg/m³; the grade is that of this value"))
    median = models.FloatField()
    q05 = models.FloatField(null=True, blank=True)
    q10 = models.FloatField(null=True, blank=True)
    q25 = models.FloatField(null=True, blank=True)
    q75 = models.FloatField(null=True, blank=True)
    q90 = models.FloatField(null=True, blank=True)
    q95 = models.FloatField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField()
    probabilities = models.JSONField(default=list, help_text=_("P(grade 1..6)"))
    source = models.CharField(
        max_length=16, help_text=_("model, blend, or baseline persistence/climatology")
    )
    persistence = models.FloatField(null=True, blank=True, help_text=_("baseline, µg/m³"))
    climatology = models.FloatField(null=True, blank=True, help_text=_("baseline, µg/m³"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True, public=Q())

    class Meta:
        ordering = ["run", "lead"]
        constraints = [
            models.UniqueConstraint(fields=["run", "lead"], name="one_forecast_day_per_lead")
        ]

    @property
    def is_baseline(self) -> bool:
        return self.source in ("persistence", "climatology")


class BacktestState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Backtest(models.Model):
    """An engine backtest on the stored history, run as a background job."""

    state = models.CharField(max_length=8, choices=BacktestState.choices)
    setup = models.JSONField(default=dict, blank=True, help_text=_("backtest settings"))
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True)

    class Meta:
        ordering = ["-created"]


class WarningLevel(models.TextChoices):
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


class EmergencyMeasure(models.Model):
    """One measure of an enterprise's emergency emission-reduction list at a warning level."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.PROTECT, related_name="emergency_measures"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("supervising department (ecology)"),
    )
    level = models.CharField(max_length=8, choices=WarningLevel.choices)
    measure = models.TextField()
    nox_kg_day = models.FloatField(default=0, help_text=_("expected NOx reduction, kg/day"))
    vocs_kg_day = models.FloatField(default=0, help_text=_("expected VOCs reduction, kg/day"))
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text=_("empty: open-ended"))
    source = models.CharField(max_length=300, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))
    updated = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(department="department", region="enterprise__region", enterprise="enterprise")

    class Meta:
        ordering = ["level", "enterprise__name", "pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_level_display()}: {self.measure[:40]}"
