"""The one audit trail: django-auditlog's LogEntry, one table for every app.

Apps register their models with :func:`track`; views show :func:`history_for`. The
actor is taken from the request (session or API token) by auditlog's middleware, and
from :func:`acting_as` in jobs and command-line imports.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from auditlog.context import set_actor
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

from .bulk import insert_rows


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

    content_type_id = ContentType.objects.get_for_model(model).pk
    now = timestamp or timezone.now()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    update = LogEntry.Action.UPDATE
    insert_rows(
        LogEntry,
        LOG_FIELDS,
        [
            (content_type_id, str(pk), pk, text[:200], update, "", diff, actor_id, now)
            for pk, text, diff in changes
        ],
    )


LOG_FIELDS = (
    "content_type",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes_text",
    "changes",
    "actor",
    "timestamp",
)


# --- reading the trail ------------------------------------------------------------------------
#
# How entries are *shown*; what is recorded stays as auditlog (and log_update) wrote it. A
# model tunes the display with optional class attributes, no migration needed:
#   audit_hidden_fields = ("sla_rule", ...)   bookkeeping columns nobody reads
#   audit_labels = {"region": _("County")}     labels better than the field's verbose_name
#   def audit_value(self, field_name, value) -> str | None   its own wording of a value
#                                                           (used when the record is given)

EMPTY = "—"
VALUE_LIMIT = 80  # characters of a value shown before it is cut (long text, JSON)
_EMPTY_VALUES = (None, "", "None", "null", "[]", "{}")

ACTION_LABELS = {
    LogEntry.Action.CREATE: gettext_lazy("created"),
    LogEntry.Action.UPDATE: gettext_lazy("changed"),
    LogEntry.Action.DELETE: gettext_lazy("deleted"),
}


class Change(NamedTuple):
    """One field of an audit entry as people read it; ``before`` is None for a creation."""

    label: str
    before: str | None
    after: str


def action_label(entry: LogEntry) -> str:
    label = ACTION_LABELS.get(entry.action)
    return str(label) if label is not None else entry.get_action_display()


def readable_changes(entry: LogEntry, obj: models.Model | None = None) -> list[Change]:
    """The changes of one audit entry as (label, before, after) in the page language.

    Reverse relations, primary keys and the model's ``audit_hidden_fields`` are left out; a
    creation lists only the values that say something (not empty, not the field default);
    foreign keys show the related record's name while it exists (else the raw id); empty
    values show as "—"; long text and JSON are cut to ``VALUE_LIMIT`` characters."""
    model = entry.content_type.model_class()
    creating = entry.action == LogEntry.Action.CREATE
    rows = []
    for name, pair in (entry.changes_dict or {}).items():
        before, after = [*pair, None, None][:2]
        field = _field(model, name)
        if field is False:
            continue
        after_text = _value(field, name, after, obj)
        if creating and _says_nothing(field, after, after_text):
            continue
        before_text = None if creating else _value(field, name, before, obj)
        rows.append(Change(_label(model, field, name), before_text, after_text))
    return rows


def _field(model: type[models.Model] | None, name: str) -> models.Field | bool | None:
    """The model field behind a change; None when unknown (a removed field); False to hide."""
    if model is None:
        return None
    if name in getattr(model, "audit_hidden_fields", ()):
        return False
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if (field.auto_created and not field.concrete) or getattr(field, "primary_key", False):
        return False  # reverse relations (auditlog writes "cases.CaseUpdate.None") and ids
    return field


def _says_nothing(field: Any, value: Any, shown: str) -> bool:
    if shown == EMPTY:
        return True
    if field is None or getattr(field, "choices", None) or not field.has_default():
        return False
    return str(value) == str(field.get_default())  # False, 0: the untouched default


def _label(model: Any, field: Any, name: str) -> str:
    custom = getattr(model, "audit_labels", {}).get(name)
    if custom:
        return capfirst(str(custom))
    english = capfirst(str(field.verbose_name)) if field is not None else name
    translated = gettext(english)
    if translated == english and field is not None:
        translated = gettext(str(field.verbose_name))
    return capfirst(translated)


def _value(field: Any, name: str, value: Any, obj: Any) -> str:
    if value in _EMPTY_VALUES or value == [] or value == {}:
        return EMPTY
    own = getattr(obj, "audit_value", None)
    if own is not None:
        worded = own(name, value)
        if worded is not None:
            return _short(worded) if worded not in _EMPTY_VALUES else EMPTY
    if field is None:
        return _short(value)
    if field.choices:
        labels = dict(field.flatchoices)
        return str(labels.get(value, labels.get(str(value), value)))
    if isinstance(field, models.BooleanField):
        return gettext("yes") if str(value) == "True" else gettext("no")
    if field.many_to_one or field.one_to_one:
        related = field.related_model._base_manager.filter(pk=value).first()
        return _short(str(related) if related is not None else value)
    if isinstance(field, models.DateTimeField):
        return _moment(value)
    return _short(value)


def _moment(value: Any) -> str:
    """auditlog stores datetimes as UTC text without an offset ("2026-11-25 23:57:31.86")."""
    from django.utils import timezone

    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        return _short(value)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _short(value: Any) -> str:
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = " ".join(str(value).split())
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"
