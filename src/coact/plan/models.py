"""The plan as data (plans, goals, tasks, indicators) and the progress reported against it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coact.core.models import Department, Region
from coact.core.scope import Scope, ScopedQuerySet


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")
    NO_DATA = "no_data", _("No data")


class Comparator(models.TextChoices):
    """How a target is written in a plan (the values of engines.planfile.Comparator)."""

    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")
    ABOUT = "about", _("about")
    FULL_COVERAGE = "full_coverage", _("full coverage")
    COUNT_REACHED = "count_reached", _("count reached")
    EXCEED_PROVINCIAL_TARGET = "exceed_provincial_target", _("exceed the provincial target")
    NEGATIVE_GROWTH_VS_BASE = "negative_growth_vs_base", _("negative growth vs the base year")
    MULTIPLE_OF_BASE = "multiple_of_base", _("multiple of the base year")
    PCT_CHANGE_VS_BASE = "pct_change_vs_base", _("% change vs the base year")
    MAINTAIN = "maintain", _("maintain")


class Plan(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=300, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    issued = models.DateField(null=True, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    source = models.TextField(blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    loaded_at = models.DateTimeField(auto_now=True)
    # Bumped by every change that alters what the dashboards show; part of their cache keys.
    data_version = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, public=Q())

    class Meta:
        ordering = ["-period_end", "code"]

    def __str__(self) -> str:
        return self.title


class Goal(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    code = models.CharField(max_length=16)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(all_staff=True, public=Q())

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="goal_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Task(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="tasks")
    number = models.PositiveIntegerField()
    chapter = models.CharField(max_length=32, blank=True)
    chapter_title = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200)
    title_en = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    lead = models.ManyToManyField(Department, related_name="lead_tasks")
    co = models.ManyToManyField(Department, related_name="co_tasks", blank=True)
    local_implementation = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(department=("lead", "co"), county_all=True, public=Q())

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="task_number_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Indicator(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    unit = models.CharField(max_length=32, blank=True)
    comparator = models.CharField(max_length=32, choices=Comparator.choices)
    target = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    strict = models.BooleanField(
        default=False, help_text=_("reaching the target exactly is not enough")
    )
    level = models.CharField(
        max_length=16, default="city", help_text=_("city or county: who reports it")
    )
    baseline_value = models.FloatField(null=True, blank=True)
    baseline_year = models.PositiveIntegerField(null=True, blank=True)
    deadline = models.DateField()
    annual = models.BooleanField(default=False)
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="indicators"
    )
    tasks = models.ManyToManyField(Task, related_name="indicators", blank=True)
    responsible = models.ManyToManyField(Department, related_name="indicators", blank=True)
    reporting = models.CharField(max_length=16, default="reported")
    computed_by = models.CharField(max_length=100, blank=True)
    higher_is_better = models.BooleanField(default=True)
    quote = models.TextField(blank=True)
    # Cached result of the progress engine, refreshed whenever an observation is approved.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NO_DATA)
    status_detail = models.JSONField(default=dict, blank=True)
    status_updated = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department=("responsible", "tasks__lead", "tasks__co"), county_all=True, public=Q()
    )
    # How its history reads (coact.core.audit.readable_changes); no migration needed.
    audit_hidden_fields = ("status_detail", "status_updated", "name_en")
    audit_labels = {
        "plan": _("Plan"),
        "code": _("Code"),
        "name": _("Name"),
        "unit": _("Unit"),
        "comparator": _("Comparator"),
        "target": _("Target"),
        "tolerance": _("Tolerance"),
        "strict": _("Strict"),
        "level": _("Level"),
        "baseline_value": _("Baseline value"),
        "baseline_year": _("Baseline year"),
        "deadline": _("Deadline"),
        "annual": _("Annual"),
        "goal": _("Goal"),
        "reporting": _("Reporting"),
        "computed_by": _("Computed by"),
        "higher_is_better": _("Higher is better"),
        "quote": _("Plan text"),
        "status": _("Status"),
    }

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ObservationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class Observation(models.Model):
    """One value of an indicator for a period, reported by a unit or computed by a module."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="observations")
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("empty: the whole plan area"),
    )
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    value = models.FloatField()
    period_start = models.DateField()
    period_end = models.DateField()
    as_of = models.DateField()
    source = models.CharField(max_length=300)
    evidence = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    note = models.TextField(blank=True)
    computed_by = models.CharField(max_length=100, blank=True)
    projection = models.BooleanField(
        default=False, help_text=_("a modelled projection, not a measured value")
    )
    illustrative = models.BooleanField(default=False, help_text=_("invented demo value"))
    state = models.CharField(
        max_length=16, choices=ObservationState.choices, default=ObservationState.SUBMITTED
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department=("department", "indicator__responsible"),
        region="region",
        public=Q(state="approved"),
    )

    class Meta:
        ordering = ["indicator", "period_end", "reported_at"]
        indexes = [models.Index(fields=["indicator", "state", "period_end"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period_end}: {self.value}"


class StatusOverride(models.Model):
    """A manual status set by the office, with who and why; the latest active one wins."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="overrides")
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.TextField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(department="indicator__responsible", county_all=True, public=Q(active=True))

    class Meta:
        ordering = ["-set_at"]


class ReportState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for revision")


class TaskReport(models.Model):
    """A responsible unit's quarterly progress report on one task."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    quarter = models.PositiveSmallIntegerField()
    narrative = models.TextField()
    percent_done = models.PositiveSmallIntegerField()
    problems = models.TextField(blank=True)
    evidence = models.FileField(upload_to="evidence/%Y/%m/", blank=True)
    state = models.CharField(
        max_length=16, choices=ReportState.choices, default=ReportState.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(department="department", region="region")

    class Meta:
        ordering = ["task", "-year", "-quarter"]
        constraints = [
            # One report per unit and quarter; a unit is a department or a region, never both.
            models.UniqueConstraint(
                fields=["task", "department", "year", "quarter"],
                condition=Q(region__isnull=True),
                name="one_report_per_department_quarter",
            ),
            models.UniqueConstraint(
                fields=["task", "region", "year", "quarter"],
                condition=Q(department__isnull=True),
                name="one_report_per_region_quarter",
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=True) ^ Q(region__isnull=True),
                name="report_unit_is_department_xor_region",
            ),
            models.CheckConstraint(
                condition=Q(percent_done__lte=100), name="percent_done_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1) & Q(quarter__lte=4), name="quarter_1_to_4"
            ),
        ]
