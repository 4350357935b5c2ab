"""Stations, hourly station values (one row per station-hour), daily AQI, imports, corrections.

Units: ug/m3, CO mg/m3. ``HourlyValue.time`` is the END of the hour (CNEMC labels), stored
timezone-aware (Asia/Shanghai local hours). Air quality is public information: stations and
values are readable by everyone; import records and corrections by staff only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coact.core.models import Region
from coact.core.scope import Scope, ScopedQuerySet

#: Model field of each series name used by the engines and readers (CNEMC names).
SERIES_FIELDS: dict[str, str] = {
    "SO2": "so2",
    "NO2": "no2",
    "PM10": "pm10",
    "CO": "co",
    "O3": "o3",
    "PM2.5": "pm25",
    "SO2_24h": "so2_24h",
    "AQI": "aqi_published",
}


class Station(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    evaluation = models.BooleanField(
        default=False, help_text=_("enters the city's HJ 663 evaluation")
    )
    source = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True, public=Q())

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HourlyValue(models.Model):
    """One station-hour: the 1-h means as released, and the AQI CoAct computed from them."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="hourly")
    time = models.DateTimeField(help_text=_("end of the hour"))
    so2 = models.FloatField(null=True, blank=True)
    no2 = models.FloatField(null=True, blank=True)
    pm10 = models.FloatField(null=True, blank=True)
    co = models.FloatField(null=True, blank=True)
    o3 = models.FloatField(null=True, blank=True)
    pm25 = models.FloatField(null=True, blank=True)
    so2_24h = models.FloatField(
        null=True, blank=True, help_text=_("24-h moving mean (HJ 633-2012 SO2 rule)")
    )
    aqi_published = models.FloatField(
        null=True, blank=True, help_text=_("AQI as released by the source")
    )
    # Computed by coact.engines.aqi.hourly_aqi (edition by date) whenever the row changes.
    aqi = models.FloatField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    primary = models.CharField(max_length=40, blank=True)
    edition = models.CharField(max_length=8, blank=True)
    batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("the import that last changed the row"),
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True, public=Q())

    class Meta:
        ordering = ["station", "time"]
        constraints = [
            models.UniqueConstraint(fields=["station", "time"], name="one_value_per_station_hour")
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {self.time:%Y-%m-%d %H:%M}"


class DailyValue(models.Model):
    """Daily values and HJ 633 daily AQI of a station or of the city (station empty), per
    edition set ("2012", "2026"), derived from HourlyValue after each import."""

    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="daily",
        help_text=_("empty: the city"),
    )
    date = models.DateField()
    edition = models.CharField(max_length=8)
    so2 = models.FloatField(null=True, blank=True)
    no2 = models.FloatField(null=True, blank=True)
    pm10 = models.FloatField(null=True, blank=True)
    co = models.FloatField(null=True, blank=True)
    pm25 = models.FloatField(null=True, blank=True)
    o3_8h = models.FloatField(null=True, blank=True)
    o3_1h = models.FloatField(null=True, blank=True)
    aqi = models.FloatField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0)
    primary = models.CharField(max_length=60, blank=True)
    published = models.BooleanField(default=False, help_text=_("counts for the good-day ratio"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, county_all=True, public=Q())

    class Meta:
        ordering = ["station", "date", "edition"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "date", "edition"],
                condition=Q(station__isnull=False),
                name="one_daily_value_per_station",
            ),
            models.UniqueConstraint(
                fields=["date", "edition"],
                condition=Q(station__isnull=True),
                name="one_daily_value_per_city_day",
            ),
        ]
        indexes = [models.Index(fields=["edition", "date"])]


class ImportFormat(models.TextChoices):
    CNEMC = "cnemc", _("CNEMC long format (date,hour,station,...)")
    CHINA_SITES = "china_sites", _("china_sites daily file (date,hour,type,<stations>)")
    GENERIC = "generic", _("Generic CSV (station,time,<series>)")
    PUSH = "push", _("API push (JSON)")


class ImportState(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    PARTIAL = "partial", _("Imported, bad rows skipped")
    REJECTED = "rejected", _("Rejected, nothing imported")


class ImportBatch(models.Model):
    file_name = models.CharField(max_length=300)
    format = models.CharField(max_length=16, choices=ImportFormat.choices)
    sha256 = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=16, choices=ImportState.choices)
    skip_bad_rows = models.BooleanField(default=False)
    rows_read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.JSONField(
        default=list, blank=True, help_text=_("first problems, by file/row/field")
    )
    problem_count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"


class Correction(models.Model):
    """A stored station-hour changed by a later import: before and after, field by field."""

    value = models.ForeignKey(HourlyValue, on_delete=models.CASCADE, related_name="corrections")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="corrections")
    changes = models.JSONField(help_text=_("{field: [before, after]}"))
    at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True)

    class Meta:
        ordering = ["-at"]
