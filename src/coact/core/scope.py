"""Row-level scope: which records a user may see, enforced in the query layer.

Every scoped model declares a ``Scope`` naming the lookup paths from the model to the
department, region, enterprise or user it belongs to. ``Model.objects.visible_to(user)``
is the only way views, the API and exports read scoped records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    """Lookup paths from a model to the owners of a record.

    ``department`` and ``region`` may be a tuple of paths: a record belongs to a unit if
    any path matches. ``public`` is a Q of rows the anonymous public may read (None: none).
    ``all_staff`` means every signed-in staff role may read every row; ``county_all`` the
    same for county users only (every task is carried out in every county).
    """

    department: str | tuple[str, ...] | None = None
    region: str | tuple[str, ...] | None = None
    enterprise: str | None = None
    user: str | None = None
    public: Q | None = None
    all_staff: bool = False
    county_all: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _any_of(paths: str | tuple[str, ...] | None, value: Any, suffix: str = "") -> Q | None:
    if paths is None:
        return None
    if isinstance(paths, str):
        paths = (paths,)
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path}{suffix}": value})
    return condition


def scope_filter(model: type[models.Model], user: Any) -> Q | None:
    """The Q of rows ``user`` may read, or None for "nothing"; Q() means everything."""
    scope: Scope = model.scope  # type: ignore[attr-defined]
    if user is None or not user.is_authenticated:
        return scope.public
    if not user.is_active:
        return None
    if user.is_office:
        return Q()
    own_user = _any_of(scope.user, user.pk)
    if scope.all_staff and user.role in ("department", "county"):
        return Q()
    if scope.county_all and user.role == "county":
        return Q()
    role_filter: Q | None = None
    if user.role == "department" and user.department_id:
        role_filter = _any_of(scope.department, user.department_id)
    elif user.role == "county" and user.region_id:
        role_filter = _any_of(scope.region, user.region.subtree_ids(), "__in")
    elif user.role == "enterprise" and user.enterprise_id:
        role_filter = _any_of(scope.enterprise, user.enterprise_id)
    if role_filter is not None and own_user is not None:
        return role_filter | own_user
    return role_filter if role_filter is not None else own_user


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ScopedQuerySet:
        condition = scope_filter(self.model, user)
        if condition is None:
            return self.none()
        return self.filter(condition).distinct() if condition else self


def scope_key(user: Any) -> str:
    """A short key naming what ``user`` may see: users with the same key see the same rows."""
    if user is None or not user.is_authenticated:
        return "public"
    if user.is_office:
        return "office"
    key = {
        "department": user.department_id,
        "county": user.region_id,
        "enterprise": user.enterprise_id,
    }
    return f"{user.role}:{key.get(user.role)}:{user.pk if user.role == 'enterprise' else ''}"
