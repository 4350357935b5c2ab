"""One closed-loop case table for every kind of "something must be handled and closed".

States and transitions are data (coact.engines.workflow); this app stores the case, its
update stream (comments, transitions, system events), evidence files and links, and the
SLA clock columns the overdue scan reads with set-based queries (``due_at``,
``remind_at``, ``next_escalation_at`` and ``escalation_level``, all indexed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coact.core.models import Department, Enterprise, Region
from coact.core.scope import Scope, ScopedQuerySet


class StateGroup(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    FIXED = "fixed", _("Fixed")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class AssignedUnit(models.TextChoices):
    NONE = "", _("Not assigned")
    COUNTY = "county", _("County")
    DEPARTMENT = "department", _("Department")
    ENTERPRISE = "enterprise", _("Enterprise")


class Case(models.Model):
    number = models.CharField(max_length=40, unique=True)
    case_type = models.CharField(max_length=40)
    state = models.CharField(max_length=40)
    state_group = models.CharField(
        max_length=8, choices=StateGroup.choices, default=StateGroup.OPEN
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=80, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    # Subject: who or where the case is about.
    subject_enterprise = models.ForeignKey(
        Enterprise, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    address = models.CharField(max_length=300, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    # Responsibility: the county the case belongs to, the department handling it, and the
    # person; ``assigned_unit`` says which kind of unit holds it now (who may act on it).
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responsible_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_unit = models.CharField(
        max_length=16, choices=AssignedUnit.choices, blank=True, default=""
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # SLA clock (Asia/Shanghai deadlines from coact.engines.sla, stored as aware datetimes).
    sla_rule = models.CharField(max_length=80, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    due_estimated = models.BooleanField(
        default=False, help_text=_("calendar outside the official data")
    )
    remind_at = models.DateTimeField(null=True, blank=True, help_text=_("next reminder moment"))
    reminders_pending = models.JSONField(
        default=list, blank=True, help_text=_("later reminder moments")
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalation_plan = models.JSONField(
        default=list, blank=True, help_text=_("[[level, action, moment], ...] from the SLA")
    )
    overdue = models.BooleanField(default=False)
    extensions_granted = models.PositiveSmallIntegerField(default=0)
    pending_extension = models.JSONField(null=True, blank=True)
    events = models.JSONField(
        default=dict, blank=True, help_text=_("first time each state was entered")
    )
    handlers = models.JSONField(
        default=list, blank=True, help_text=_("ids of users who handled the case")
    )
    dedupe_key = models.CharField(max_length=200, blank=True)
    master = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    version = models.PositiveIntegerField(default=1)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="responsible_department",
        region="region",
        enterprise="subject_enterprise",
        user="assignee",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["state_group", "overdue", "due_at"], name="case_open_due"),
            models.Index(fields=["state_group", "remind_at"], name="case_open_remind"),
            models.Index(fields=["state_group", "next_escalation_at"], name="case_open_escalate"),
            models.Index(
                fields=["case_type", "state_group", "region"], name="case_type_group_region"
            ),
            models.Index(
                fields=["state_group", "overdue", "received_at"], name="case_group_overdue"
            ),
            models.Index(fields=["region", "received_at"], name="case_region_received"),
            models.Index(
                fields=["responsible_department", "received_at"], name="case_dept_received"
            ),
            models.Index(
                fields=["subject_enterprise", "received_at"], name="case_enterprise_received"
            ),
            models.Index(fields=["received_at", "id"], name="case_received_id"),
        ]
        constraints = [
            # At most one open case per type and dedupe key: a repeated report joins it.
            models.UniqueConstraint(
                fields=["case_type", "dedupe_key"],
                name="case_open_dedupe_once",
                condition=Q(state_group="open") & ~Q(dedupe_key=""),
            ),
        ]

    # How the audit trail reads on the case page (coact.core.audit.readable_changes): the SLA
    # clock's bookkeeping, the dedupe key and the concurrency counter are not for people, and
    # a transition is already told by the update stream.
    audit_hidden_fields = (
        "state_group",
        "sla_rule",
        "remind_at",
        "reminders_pending",
        "next_escalation_at",
        "escalation_plan",
        "events",
        "handlers",
        "dedupe_key",
        "version",
        "transition",
        "updated_at",
    )
    audit_labels = {
        "number": _("Case number"),
        "case_type": _("Case type"),
        "state": _("State"),
        "title": _("Title"),
        "description": _("Description"),
        "source": _("Source"),
        "category": _("Category"),
        "urgency": _("Urgency"),
        "subject_enterprise": _("Enterprise"),
        "address": _("Location"),
        "lon": _("Longitude"),
        "lat": _("Latitude"),
        "region": _("County"),
        "responsible_department": _("Responsible department"),
        "assigned_unit": _("Held by"),
        "assignee": _("Assignee"),
        "opened_by": _("Opened by"),
        "received_at": _("Received"),
        "closed_at": _("Closed"),
        "due_at": _("Due"),
        "due_estimated": _("Due date estimated"),
        "escalation_level": _("Escalation level"),
        "overdue": _("Overdue"),
        "extensions_granted": _("Extensions granted"),
        "pending_extension": _("Extension requested"),
        "master": _("Merged into"),
        "illustrative": _("illustrative"),
    }

    def audit_value(self, field_name: str, value: object) -> str | None:
        """A value of this case's audit trail in the page language (None: the default)."""
        from django.utils.translation import get_language

        from . import services

        language = get_language() or "zh"
        if field_name == "state":
            return services.state_label(self.case_type, str(value), language)
        if field_name == "case_type":
            found = services.case_types().get(str(value))
            return (found.en if language.startswith("en") else found.zh) if found else None
        if field_name in ("source", "category"):
            from .templatetags.cases import category_label, source_label

            return (source_label if field_name == "source" else category_label)(str(value))
        if field_name == "number" and str(value).startswith("new-"):
            return ""  # the placeholder before the number is drawn
        return None

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        from .registry import detail_url_name

        return reverse(detail_url_name(self.case_type), args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state_group == StateGroup.OPEN


class UpdateKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    TRANSITION = "transition", _("Transition")
    COMMENT = "comment", _("Comment")
    EVIDENCE = "evidence", _("Evidence")
    REMINDER = "reminder", _("Reminder")
    ESCALATION = "escalation", _("Escalation")
    OVERDUE = "overdue", _("Overdue")
    INTAKE = "intake", _("Repeated report joined")
    LINK = "link", _("Link")


class CaseUpdate(models.Model):
    """One entry of a case's update stream (FixMyStreet's servicerequestupdates)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=UpdateKind.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=16, blank=True)
    public = models.BooleanField(default=False, help_text=_("shown to the reporter"))
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="case__responsible_department",
        region="case__region",
        enterprise="case__subject_enterprise",
        user="case__assignee",
    )

    class Meta:
        ordering = ["created", "pk"]
        indexes = [models.Index(fields=["case", "created"], name="caseupdate_case_created")]


class Evidence(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="cases/%Y/%m/")
    name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="case__responsible_department",
        region="case__region",
        enterprise="case__subject_enterprise",
        user="case__assignee",
    )

    class Meta:
        ordering = ["uploaded_at", "pk"]


class CaseLink(models.Model):
    """A link from a case to another case (duplicate, related, source) or to any record."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=32)
    target_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target = models.CharField(
        max_length=200, blank=True, help_text=_("app_label.model:pk or an external id")
    )
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="case__responsible_department",
        region="case__region",
        enterprise="case__subject_enterprise",
        user="case__assignee",
    )

    class Meta:
        ordering = ["created", "pk"]
