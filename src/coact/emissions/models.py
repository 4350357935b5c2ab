"""Emission scenarios (the engine's scenario document as JSON) and imported source inventories.

Who sees what: the office and the editing departments (``EDITOR_DEPARTMENTS``) see every
scenario and inventory; other departments and counties see published scenarios only; the
public sees none (published projections reach the public through the plan dashboard).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coact.core.models import Department
from coact.core.scope import Scope, ScopedQuerySet

# Departments that build, run and publish scenarios besides the office (plan task 1-3, 14-16
# lead: the ecology and environment bureau).
EDITOR_DEPARTMENTS = ("ecology",)


def is_editor(user: Any) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_office:
        return True
    department = getattr(user, "department", None)
    return (
        user.role == "department"
        and department is not None
        and (department.code in EDITOR_DEPARTMENTS)
    )


class EditorQuerySet(ScopedQuerySet):
    """Editors read every row; other staff what ``staff_rows`` allows; the public nothing."""

    staff_rows: Q | None = None

    def visible_to(self, user: Any) -> ScopedQuerySet:
        if is_editor(user):
            return self
        if (
            user is not None
            and user.is_authenticated
            and user.is_active
            and user.role in ("department", "county")
            and self.staff_rows is not None
        ):
            return self.filter(self.staff_rows)
        return self.none()


class ScenarioQuerySet(EditorQuerySet):
    staff_rows = Q(published=True)


class Inventory(models.Model):
    """Activity data (emission sources) imported from the Excel template: one row per source."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rows = models.JSONField(default=list, help_text=_("source rows in the engine's columns"))
    file_name = models.CharField(max_length=300, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo data"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EditorQuerySet.as_manager()
    scope = Scope(department="department", user="created_by")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Scenario(models.Model):
    """A co-control scenario: the engine's scenario document, its last run and its publication."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    document = models.JSONField(help_text=_("the engine's scenario document"))
    illustrative = models.BooleanField(default=False, help_text=_("built on invented demo data"))
    inventory = models.ForeignKey(
        Inventory, null=True, blank=True, on_delete=models.SET_NULL, related_name="scenarios"
    )
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    results = models.JSONField(null=True, blank=True, help_text=_("summary of the last run"))
    run_at = models.DateTimeField(null=True, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published = models.BooleanField(default=False)
    # A string reference: this app reaches the plan only through coact.plan.services.
    published_plan = models.ForeignKey(
        "plan.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ScenarioQuerySet.as_manager()
    scope = Scope(department="department", user="created_by")

    class Meta:
        ordering = ["-published", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["published_plan"],
                condition=Q(published=True),
                name="one_published_scenario_per_plan",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        """True when the stored results come from the current document."""
        return bool(self.results) and self.results.get("version") == self.version
