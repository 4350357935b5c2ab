"""Online monitoring (HJ 212): outlets, devices, factors and limits, stored values, the raw
packet archive, quarantine, alarms and data-sharing subscriptions.

High-volume tables (Reading, RawPacket) are written by the gateway's group-commit writer with
plain SQL in batches (``gateway/store.py``), not through model ``save()``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coact.core.models import Department, Enterprise, Region
from coact.core.scope import Scope, ScopedQuerySet


class Medium(models.TextChoices):
    AIR = "air", _("Flue gas (air)")
    WATER = "water", _("Wastewater (water)")


# Who sees an outlet's records: the supervising department, the county (region subtree) and
# the enterprise itself; the office sees everything. Public: nothing.
def _outlet_scope(prefix: str = "") -> Scope:
    return Scope(
        department=f"{prefix}supervising_department",
        region=f"{prefix}region",
        enterprise=f"{prefix}enterprise",
    )


class Outlet(models.Model):
    """A permitted discharge outlet (排放口) with automatic monitoring."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=32, help_text=_("outlet code in the permit, e.g. DA001"))
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    medium = models.CharField(max_length=8, choices=Medium.choices)
    permit_number = models.CharField(max_length=64, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    supervising_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    standard = models.CharField(
        max_length=64, blank=True, help_text=_("key in data/monitoring/emission_standards.yaml")
    )
    reference_o2 = models.FloatField(
        null=True, blank=True, help_text=_("reference O2 (%) for converted concentrations")
    )
    rule_set = models.CharField(max_length=32, default="default")
    requires_automatic_monitoring = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope()

    class Meta:
        ordering = ["region", "enterprise", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "code"], name="outlet_code_per_enterprise"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Device(models.Model):
    """A data logger (数采仪) identified by its MN; PW is HJ 212's access password (sent in
    clear by the device, so it is compared as sent)."""

    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="devices")
    mn = models.CharField(max_length=64, unique=True)
    password = models.CharField(max_length=64)
    edition = models.CharField(max_length=8, blank=True, help_text=_("2005, 2017 or 2025"))
    tolerances = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("codec tolerances, e.g. swapped-crc,wrong-length (see docs/hj212.md)"),
    )
    # HJ 212-2025 §6.4: the device's SM4 key (32 hex digits or 16 ASCII characters) for its
    # encrypted data areas; a secret like PW, kept out of the audit trail and the API.
    sm4_key = models.CharField(
        max_length=64, blank=True, help_text=_("SM4 key of an HJ 212-2025 device (§6.4)")
    )
    active = models.BooleanField(default=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_peer = models.CharField(max_length=64, blank=True)
    illustrative = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("outlet__")

    class Meta:
        ordering = ["mn"]

    def __str__(self) -> str:
        return self.mn


class MonitoredFactor(models.Model):
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="factors")
    code = models.CharField(max_length=16, help_text=_("HJ 212-2017 factor code, e.g. a21026"))
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=16, blank=True)
    convert_o2 = models.BooleanField(
        default=False, help_text=_("judge the converted concentration (reference O2)")
    )

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("outlet__")

    class Meta:
        ordering = ["outlet", "code"]
        constraints = [models.UniqueConstraint(fields=["outlet", "code"], name="factor_per_outlet")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Limit(models.Model):
    """A limit for one averaging period, from the permit or the emission standard."""

    factor = models.ForeignKey(MonitoredFactor, on_delete=models.CASCADE, related_name="limits")
    period = models.CharField(max_length=8, help_text=_("hour or day"))
    value = models.FloatField()
    unit = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=300)

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("factor__outlet__")

    class Meta:
        ordering = ["factor", "period"]
        constraints = [
            models.UniqueConstraint(fields=["factor", "period"], name="limit_per_period")
        ]


class Reading(models.Model):
    """One uploaded record: realtime, minute, hourly, daily values, run state/time, restart.

    ``values`` maps factor code to its fields as numbers (flags as text), e.g.
    ``{"a21026": {"Avg": 35.2, "ZsAvg": 41.0, "Flag": "N"}}``. ``data_time`` is the start of
    the period (HJ 212-2017 6.6) or the sampling moment for realtime data.
    """

    # No single-column indexes on the keys: "reading_series" starts with outlet and the
    # unique constraint with device, and every index costs each of thousands of inserts a second.
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+", db_index=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=10)
    data_time = models.DateTimeField()
    received_at = models.DateTimeField()
    qn = models.CharField(max_length=20, blank=True)
    values = models.JSONField(default=dict)

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("outlet__")

    class Meta:
        ordering = ["outlet", "kind", "data_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind", "data_time"], name="one_reading_per_period"
            )
        ]
        indexes = [models.Index(fields=["outlet", "kind", "data_time"], name="reading_series")]


class PacketStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    DUPLICATE = "duplicate", _("Duplicate (already stored)")
    REJECTED = "rejected", _("Rejected by the codec")
    FRAMING = "framing", _("Framing error")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Accepted, no data stored")


class RawPacket(models.Model):
    """Every frame the gateway received, as bytes, with receipt time, peer and parse result."""

    received_at = models.DateTimeField()
    peer = models.CharField(max_length=64)
    mn = models.CharField(max_length=64, blank=True)
    cn = models.CharField(max_length=8, blank=True)
    qn = models.CharField(max_length=20, blank=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outlet = models.ForeignKey(  # indexed by "raw_by_outlet" (outlet, received_at)
        Outlet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    status = models.CharField(max_length=12, choices=PacketStatus.choices)
    error = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=300, blank=True)
    data = models.BinaryField()

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("outlet__")

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["mn", "received_at"], name="raw_by_mn"),
            models.Index(fields=["outlet", "received_at"], name="raw_by_outlet"),
            models.Index(fields=["received_at"], name="raw_by_time"),
        ]


class QuarantineReason(models.TextChoices):
    UNKNOWN_DEVICE = "unknown_device", _("Unknown MN")
    WRONG_PASSWORD = "wrong_password", _("Wrong password")


class QuarantineEntry(models.Model):
    """Packets from an unregistered MN or with a wrong PW: counted here, never stored as data."""

    mn = models.CharField(max_length=64)
    reason = models.CharField(max_length=16, choices=QuarantineReason.choices)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    last_peer = models.CharField(max_length=64, blank=True)
    last_packet = models.BinaryField(blank=True)

    objects = ScopedQuerySet.as_manager()
    # Unknown MNs belong to nobody: only the office sees them (and all the rest).
    scope = Scope(
        department="device__outlet__supervising_department",
        region="device__outlet__region",
        enterprise="device__outlet__enterprise",
    )

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["mn", "reason"], name="one_quarantine_per_mn_reason")
        ]


class Alarm(models.Model):
    """One alarm condition found on stored data; each opens or joins a monitoring_alarm case."""

    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.CASCADE, related_name="alarms"
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mn = models.CharField(max_length=64, blank=True)
    rule = models.CharField(max_length=48)
    kind = models.CharField(max_length=24)
    category = models.CharField(max_length=16)
    factor = models.CharField(max_length=16, blank=True)
    data_time = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    limit = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=500)
    received_at = models.DateTimeField(
        null=True, blank=True, help_text=_("receipt of the packet that completed the condition")
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    case_id_ref = models.BigIntegerField(null=True, blank=True)
    case_number = models.CharField(max_length=40, blank=True)
    case_joined = models.BooleanField(default=False)
    case_linked_at = models.DateTimeField(null=True, blank=True)
    illustrative = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = _outlet_scope("outlet__")

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["outlet", "mn", "rule", "factor", "data_time"],
                name="alarm_once_per_condition",
            )
        ]
        indexes = [models.Index(fields=["rule", "raised_at"], name="alarm_by_rule")]

    def __str__(self) -> str:
        """Rule, factor and period, e.g. "小时均值超标 二氧化硫(a21026) 2026-11-26 07:00"."""
        from django.utils import timezone
        from django.utils.translation import get_language

        from . import rules

        rule = rules.rule_book().rules.get(self.rule)
        english = (get_language() or "").startswith("en")
        name = (rule.get("label_en") if english else rule.label) if rule else ""
        factor = (self.factor if english else rules.factor_label_zh(self.factor)) or ""
        when = f"{timezone.localtime(self.data_time):%Y-%m-%d %H:%M}" if self.data_time else ""
        return " ".join(part for part in (name or self.rule, factor, when) if part)


def _new_secret() -> str:
    return secrets.token_hex(32)


class Subscription(models.Model):
    """A receiving enterprise (e.g. a sewage plant) subscribed to an outlet that feeds it."""

    subscriber = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="+")
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="subscriptions")
    kinds = models.JSONField(default=list, help_text=_('reading kinds sent, e.g. ["hour"]'))
    webhook_url = models.URLField(blank=True)
    secret = models.CharField(max_length=64, default=_new_secret)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(
        department="outlet__supervising_department",
        region="outlet__region",
        enterprise="subscriber",
    )

    class Meta:
        ordering = ["subscriber", "outlet"]
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "outlet"], name="one_subscription"),
            models.CheckConstraint(condition=~Q(secret=""), name="subscription_has_secret"),
        ]


class Delivery(models.Model):
    """One webhook POST (a batch of readings) and its attempts."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    payload = models.JSONField()
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(enterprise="subscription__subscriber", region="subscription__outlet__region")

    class Meta:
        ordering = ["-created"]
