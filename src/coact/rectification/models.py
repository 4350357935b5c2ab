"""Problem rectification on the case engine: the problem record, its rectification plans
with milestones (approved by someone other than the author)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coact.core.scope import Scope, ScopedQuerySet

CASE_SCOPE = Scope(
    department="case__responsible_department",
    region="case__region",
    enterprise="case__subject_enterprise",
    user="case__assignee",
)


class ProblemSource(models.TextChoices):
    INSPECTION = "inspection", _("Enforcement inspection")
    CENTRAL_INSPECTION = "central_inspection", _("Central inspection feedback")
    PROVINCIAL_INSPECTION = "provincial_inspection", _("Provincial inspection feedback")
    MONITORING = "monitoring", _("Monitoring exceedance")
    COMPLAINT = "complaint", _("Complaint")
    SELF_CHECK = "self_check", _("Enterprise self-check")
    HAZARD_SURVEY = "hazard_survey", _("Hidden-hazard survey")


# The case engine's intake vocabulary (src/coact/data/cases/vocabulary.yaml) for each source.
CASE_SOURCE = {
    "inspection": "enforcement",
    "central_inspection": "inspection_referral",
    "provincial_inspection": "inspection_referral",
    "monitoring": "monitoring",
    "complaint": "complaint",
    "self_check": "self_check",
    "hazard_survey": "hazard_survey",
}


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")
    MAJOR = "major", _("Major")


class Problem(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="problem")
    source = models.CharField(max_length=32, choices=ProblemSource.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.GENERAL)
    category = models.CharField(
        max_length=80, help_text=_("taxonomy code, e.g. air.industrial_emission")
    )
    legal_basis = models.TextField(blank=True)
    found_by = models.CharField(max_length=200, blank=True)
    found_on = models.DateField()
    recurrence_of = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recurrence_warning = models.CharField(max_length=500, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))

    objects = ScopedQuerySet.as_manager()
    scope = CASE_SCOPE

    class Meta:
        ordering = ["-found_on", "-pk"]
        indexes = [models.Index(fields=["category", "found_on"], name="problem_category_found")]

    def __str__(self) -> str:
        return str(self.case)


class PlanState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Returned")


class RectificationPlan(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField()
    measures = models.TextField()
    responsible_person = models.CharField(max_length=100, blank=True)
    deadline = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=PlanState.choices, default=PlanState.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="problem__case__responsible_department",
        region="problem__case__region",
        enterprise="problem__case__subject_enterprise",
        user="problem__case__assignee",
    )

    class Meta:
        ordering = ["problem", "version"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "version"], name="one_plan_per_version")
        ]


class Milestone(models.Model):
    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField()
    due = models.DateField()
    title = models.CharField(max_length=300)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="plan__problem__case__responsible_department",
        region="plan__problem__case__region",
        enterprise="plan__problem__case__subject_enterprise",
        user="plan__problem__case__assignee",
    )

    class Meta:
        ordering = ["plan", "seq"]
