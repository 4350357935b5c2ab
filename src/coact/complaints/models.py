"""Complaints on the case engine: the reporter (contact under a permission), the hotline's
order number, the public access code, repeat flags and the four follow-up visits."""

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


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    OPEN311 = "open311", _("Open311 API")
    HOTLINE_FILE = "hotline_file", _("12345 work-order file")
    STAFF = "staff", _("Entered by staff")


class Complaint(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="complaint")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    hotline_order_no = models.CharField(
        _("12345 order number"), max_length=64, null=True, blank=True, unique=True
    )
    reporter_name = models.CharField(max_length=100, blank=True)
    reporter_phone = models.CharField(max_length=40, blank=True)
    reporter_email = models.CharField(max_length=200, blank=True)
    anonymous = models.BooleanField(default=False)
    access_code_hash = models.CharField(max_length=200, blank=True)
    is_repeat = models.BooleanField(default=False, help_text=_("an earlier complaint matches it"))
    repeat_of = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_from = models.CharField(max_length=200, blank=True)
    imported_row = models.PositiveIntegerField(null=True, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))

    objects = ScopedQuerySet.as_manager()
    scope = CASE_SCOPE

    class Meta:
        ordering = ["-case__received_at"]
        permissions = [("view_reporter_contact", "Can see the reporter's contact details")]

    def __str__(self) -> str:
        return str(self.case)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Could not be reached")


class FollowUp(models.Model):
    """One of the follow-up visits (回访) planned by the SLA's follow-up plan."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="follow_ups")
    seq = models.PositiveSmallIntegerField()
    anchor = models.CharField(max_length=40)
    planned_method = models.CharField(max_length=16)
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    method = models.CharField(max_length=16, blank=True)
    result = models.TextField(blank=True)
    satisfaction = models.CharField(max_length=16, choices=Satisfaction.choices, blank=True)
    notes = models.TextField(blank=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="complaint__case__responsible_department",
        region="complaint__case__region",
        enterprise="complaint__case__subject_enterprise",
        user="complaint__case__assignee",
    )

    class Meta:
        ordering = ["complaint", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "seq"], name="one_follow_up_per_seq")
        ]
        indexes = [models.Index(fields=["done_at", "reminded", "due_at"], name="followup_missed")]
