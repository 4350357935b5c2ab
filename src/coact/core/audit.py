"""The one audit trail: django-auditlog's LogEntry, one table for every app.

Apps register their models with :func:`track`; views show :func:`history_for`. The
actor is taken from the request (session or API token) by auditlog's middleware, and
from :func:`acting_as` in jobs and command-line imports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db import models


def track(model: type[models.Model], **options: Any) -> None:
    """Record every create, change and delete of ``model`` (who, when, before and after)."""
    if not auditlog.contains(model):
        auditlog.register(model, **options)


def register_core_models() -> None:
    from .models import ApiToken, Department, Enterprise, Region, User

    for model in (Region, Department, Enterprise):
        track(model)
    track(User, exclude_fields=["password", "last_login"])
    track(ApiToken, exclude_fields=["key_hash"])


def history_for(obj: models.Model) -> models.QuerySet[LogEntry]:
    return LogEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp")


@contextmanager
def acting_as(user: Any, remote_addr: str | None = None) -> Iterator[None]:
    """Attribute every change inside the block to ``user`` (jobs, command-line imports)."""
    with set_actor(user, remote_addr=remote_addr):
        yield


def log_update(obj: models.Model, changes: dict[str, Any], actor: Any = None) -> None:
    """Audit one change made with ``QuerySet.update()`` (a conditional update, the concurrency
    guard), which sends no model signals: ``changes`` is {field: [before, after]}."""
    LogEntry.objects.log_create(
        obj, action=LogEntry.Action.UPDATE, force_log=True, changes=changes, actor=actor
    )


def log_bulk_changes(
    model: type[models.Model],
    changes: list[tuple[int, str, dict[str, list[Any]]]],
    actor: Any = None,
    timestamp: Any = None,
) -> None:
    """Audit entries for rows changed by a bulk update, which sends no model signals:
    ``changes`` holds (primary key, short description, {field: [before, after]})."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    content_type = ContentType.objects.get_for_model(model)
    now = timestamp or timezone.now()
    entries = [
        LogEntry(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk,
            object_repr=text[:200],
            action=LogEntry.Action.UPDATE,
            timestamp=now,
            changes=diff,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        for pk, text, diff in changes
    ]
    LogEntry.objects.bulk_create(entries, batch_size=2000)
