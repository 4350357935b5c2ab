"""Organisation, users and roles, API tokens and notifications: what every app shares."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coact.engines.uscc import uscc_problem

from .scope import Scope, ScopedQuerySet


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor (pollution-prevention office)")
    DEPARTMENT = "department", _("Department reporter")
    COUNTY = "county", _("County user")
    ENTERPRISE = "enterprise", _("Enterprise user")


class RegionKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County-level city or county")
    PARK = "park", _("Park")


class Region(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=16, choices=RegionKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    sort = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name

    def subtree_ids(self) -> list[int]:
        """This region and every region below it (the tree is shallow: a few levels)."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(
                Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.extend(frontier)
        return ids


class Department(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    short = models.CharField(max_length=50, blank=True)
    name_en = models.CharField(max_length=120, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short or self.name


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(
            _("Unified social credit code %(code)s: %(problem)s"),
            params={"code": value, "problem": problem},
        )


class Enterprise(models.Model):
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT)
    address = models.CharField(max_length=300, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    illustrative = models.BooleanField(default=False, help_text=_("invented demo record"))

    objects = ScopedQuerySet.as_manager()
    scope = Scope(region="region", enterprise="pk")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CoactUserManager(UserManager):
    pass


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.DEPARTMENT)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.PROTECT)
    display_name = models.CharField(max_length=100, blank=True)

    objects = CoactUserManager()

    @property
    def is_office(self) -> bool:
        """Administrators and the supervising office see and approve everything."""
        return self.is_superuser or self.role in (Role.ADMIN, Role.SUPERVISOR)

    def clean(self) -> None:
        needs = {
            Role.DEPARTMENT: "department",
            Role.COUNTY: "region",
            Role.ENTERPRISE: "enterprise",
        }
        field = needs.get(self.role)
        if field and getattr(self, f"{field}_id") is None:
            raise ValidationError(
                {field: _("required for the role %(role)s") % {"role": self.role}}
            )

    def __str__(self) -> str:
        return self.display_name or self.username


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A machine client's bearer token. Only its hash is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=_hash_token(raw), prefix=raw[:8])
        return token, raw

    @classmethod
    def user_for(cls, raw: str) -> User | None:
        token = (
            cls.objects.select_related("user")
            .filter(key_hash=_hash_token(raw), revoked=False)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        cls.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return token.user


class Notification(models.Model):
    """A message for one user (reminders, approvals): shown in the header, never e-mailed here."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    created = models.DateTimeField(auto_now_add=True)
    text = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=200, blank=True, help_text="dedupe key: one reminder per key")
    read = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(user="user")

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]


def model_label(obj: Any) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"
