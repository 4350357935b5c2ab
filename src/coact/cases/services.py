"""Every write of the case engine: opening, transitions, comments, evidence, links, the
overdue scan; plus the small read helpers other apps may call (they import only this module).

Rules come from the pure engine: states and transitions (coact.engines.workflow), SLA
deadlines on the Chinese official calendar (coact.engines.sla / workdays). This module adds
what needs a database: scope (who may act on which case), serialised transitions (an
optimistic ``version`` column and a conditional UPDATE: of two people acting at once one
wins and the other gets :class:`Conflict`), the handler list for separation of duties, the
update stream and the audit trail.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from coact.core.audit import log_bulk_changes, log_update
from coact.core.bulk import insert_rows
from coact.core.models import Department, Enterprise, Notification, Region, Role, User
from coact.engines import sla as sla_engine
from coact.engines import workdays
from coact.engines.workflow import (
    CaseType,
    Decision,
    Transition,
    check_transition,
    default_case_types,
    vocabulary,
)

from . import registry
from .models import AssignedUnit, Case, CaseLink, CaseUpdate, Evidence, StateGroup, UpdateKind
from .registry import ExtraField

# Apps built on the engine register their hooks through this module (they import only it).
register_hooks = registry.register

NUMBER_PREFIX = {
    "complaint": "TS",
    "rectification": "ZG",
    "monitoring_alarm": "BJ",
    "ozone_warning": "CY",
    "hazardous_waste_warning": "WF",
}
# Payload fields the engine requires, and how a form asks for them.
FIELD_KINDS = {
    "evidence": "file",
    "assignee": "unit",
    "deadline": "date",
    "extension": "number",
    "master_case_id": "text",
    "transferred_to": "text",
}


class Conflict(Exception):
    """Someone else changed the case first; nothing of this action was stored."""

    def __init__(self, message: str, current: Case | None = None):
        super().__init__(message)
        self.current = current


class TransitionRefused(ValidationError):
    """The engine refused the transition (wrong state, missing fields, separation of duties)."""

    def __init__(self, decision: Decision, missing: Sequence[str] = ()):
        self.decision = decision
        if missing:
            super().__init__({name: _("required for this step") for name in missing})
        else:
            super().__init__({"transition": decision.message})


class TransitionForbidden(PermissionDenied):
    def __init__(self, message: str, decision: Decision | None = None):
        super().__init__(message)
        self.decision = decision


# --- case types and roles --------------------------------------------------------------


def case_types() -> dict[str, CaseType]:
    return default_case_types()


def case_type(name: str) -> CaseType:
    types = case_types()
    if name not in types:
        raise ValidationError(
            {"case_type": f"unknown case type {name!r}; known: {', '.join(types)}"}
        )
    return types[name]


def role_of(user: User | None, as_role: str | None = None) -> str:
    """The engine role a user acts in: one role per user; None is the system (or ``as_role``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return as_role or "system"
    if user.is_superuser or user.role == Role.ADMIN:
        return "administrator"
    return {
        Role.SUPERVISOR: "supervisor",
        Role.DEPARTMENT: "department",
        Role.COUNTY: "county",
        Role.ENTERPRISE: "enterprise",
    }.get(user.role, "public")


def visible_cases(user: Any) -> QuerySet[Case]:
    return Case.objects.visible_to(user)


def get_visible(user: Any, pk: int) -> Case:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Case.objects.visible_to(user), pk=pk)


def _actor(user: Any) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _check_acting_scope(case: Case, user: User | None) -> None:
    """Scope of acting: besides seeing the case, the unit must be the one holding it."""
    if user is None or user.is_office:
        return
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        raise PermissionDenied(
            _("%(user)s may not act on case %(number)s") % {"user": user, "number": case.number}
        )
    if case.assignee_id == user.pk:
        return
    if user.role == Role.DEPARTMENT and case.responsible_department_id != user.department_id:
        raise PermissionDenied(
            _("case %(number)s is not assigned to %(unit)s")
            % {"number": case.number, "unit": user.department}
        )
    if user.role == Role.COUNTY and case.assigned_unit == AssignedUnit.DEPARTMENT:
        raise PermissionDenied(
            _("case %(number)s is assigned to %(unit)s, not to the county")
            % {"number": case.number, "unit": case.responsible_department}
        )
    if user.role == Role.ENTERPRISE and case.subject_enterprise_id != user.enterprise_id:
        raise PermissionDenied(
            _("case %(number)s is not about your enterprise") % {"number": case.number}
        )


# --- SLA clock -------------------------------------------------------------------------


def sla_for(case: Case) -> sla_engine.Sla:
    return sla_engine.resolve_sla(
        case.case_type, case.source or None, case.category or None, case.urgency or None
    )


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _parse(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment)


def _clock(
    sla: sla_engine.Sla, due: dt.datetime | None, start: dt.datetime, estimated: bool = False
) -> dict[str, Any]:
    """The clock columns for a case due at ``due`` whose clock starts at ``start``.

    Nothing is marked here: reminders, the overdue flag and escalation are the scan's job
    (one place that also notifies), so a case entered late is caught up by the next scan."""
    if due is None:
        return {
            "due_at": None,
            "remind_at": None,
            "reminders_pending": [],
            "escalation_plan": [],
            "next_escalation_at": None,
            "escalation_level": 0,
            "overdue": False,
            "due_estimated": False,
        }
    moments = [m for m in sla_engine.reminders(sla, due) if m > start]
    plan = [
        [step.level, step.action, _iso(at)]
        for step, at in sla_engine.escalation_thresholds(sla, due)
    ]
    return {
        "due_at": due,
        "due_estimated": estimated,
        "remind_at": moments[0] if moments else None,
        "reminders_pending": [_iso(m) for m in moments[1:]],
        "escalation_plan": plan,
        "escalation_level": 0,
        "next_escalation_at": min((_parse(at) for _lvl, _a, at in plan), default=None),
        "overdue": False,
    }


def _main_due(sla: sla_engine.Sla, events: Mapping[str, str]) -> workdays.Deadline | None:
    """The ``resolve`` deadline once its start event happened, else the earliest milestone
    that can already be counted (信访: "accept" within 15 days until the case is accepted)."""
    resolve = sla.deadlines[sla_engine.MAIN_MILESTONE]
    if resolve.counted_from in events:
        return sla_engine.due_date(sla, _parse(events[resolve.counted_from]))
    interim = [
        sla_engine.due_date(sla, _parse(events[d.counted_from]), name)
        for name, d in sla.deadlines.items()
        if d.counted_from in events
    ]
    return min(interim, key=lambda d: d.due) if interim else None


def _scheduled(case: Case, start: dt.datetime, events: Mapping[str, str]) -> dict[str, Any]:
    sla = sla_for(case)
    deadline = _main_due(sla, events)
    return {
        "sla_rule": sla.rule_id,
        **_clock(
            sla,
            deadline.due if deadline else None,
            start,
            bool(deadline and deadline.calendar_estimated),
        ),
    }


# --- opening ---------------------------------------------------------------------------


def _location(
    location: Any, address: str, lon: float | None, lat: float | None
) -> tuple[str, float | None, float | None]:
    if isinstance(location, Mapping):
        return (
            location.get("address") or address,
            location.get("lon", lon),
            location.get("lat", lat),
        )
    if isinstance(location, (tuple, list)) and len(location) == 2:
        return address, float(location[0]), float(location[1])
    return address, lon, lat


def _validate_open(
    ct: CaseType,
    title: str,
    source: str,
    category: str,
    urgency: str,
    lon: float | None,
    lat: float | None,
) -> None:
    errors: dict[str, str] = {}
    vocab = vocabulary()
    if not title.strip():
        errors["title"] = "a case needs a title"
    if source and source not in vocab["sources"]:
        errors["source"] = f"unknown source {source!r}; known: {', '.join(vocab['sources'])}"
    if urgency not in vocab["urgencies"]:
        errors["urgency"] = f"unknown urgency {urgency!r}; known: {', '.join(vocab['urgencies'])}"
    if ct.name == "complaint" and category and category not in sla_engine.complaint_categories():
        errors["category"] = f"unknown complaint category {category!r}"
    if (lon is None) != (lat is None):
        errors["lon"] = "give both lon and lat, or neither"
    elif lon is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):  # type: ignore[operator]
        errors["lon"] = f"({lon}, {lat}) is not a WGS-84 position"
    if errors:
        raise ValidationError(errors)


def open_case(
    case_type: str,
    *,
    subject_enterprise: Enterprise | None = None,
    location: Any = None,
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    region: Region | None = None,
    responsible_department: Department | None = None,
    title: str,
    description: str = "",
    source: str = "",
    category: str = "",
    urgency: str = "normal",
    opened_by: User | None = None,
    as_role: str | None = None,
    links: Iterable[Any] = (),
    dedupe_key: str | None = None,
    received_at: dt.datetime | None = None,
    illustrative: bool = False,
) -> Case:
    """Open a case in its type's initial state, with its SLA clock; or, when an open case of
    the same type has the same ``dedupe_key``, add this report to it and return that case
    (``case.joined`` is True). ``opened_by=None`` is the system (or ``as_role``, e.g. public)."""
    ct = _case_type_or_error(case_type)
    actor = _actor(opened_by)
    role = role_of(actor, as_role)
    if not ct.can_open(role):
        raise PermissionDenied(
            f"role {role!r} may not open a {case_type}; allowed: {', '.join(sorted(ct.opened_by))}"
        )
    address, lon, lat = _location(location, address, lon, lat)
    _validate_open(ct, title, source, category, urgency, lon, lat)
    region, responsible_department = _own_unit(
        actor, region, responsible_department, subject_enterprise
    )
    now = timezone.now()
    received_at = received_at or now
    if dedupe_key:
        joined = _join_open(case_type, dedupe_key, title, description, actor, role)
        if joined is not None:
            return joined
    events = {"received": _iso(received_at), ct.initial_state: _iso(received_at)}
    fields = {
        "case_type": case_type,
        "state": ct.initial_state,
        "state_group": StateGroup.OPEN,
        "title": title.strip()[:300],
        "description": description,
        "source": source,
        "category": category,
        "urgency": urgency,
        "subject_enterprise": subject_enterprise,
        "address": address,
        "lon": lon,
        "lat": lat,
        "region": region,
        "responsible_department": responsible_department,
        "opened_by": actor,
        "received_at": received_at,
        "events": events,
        "dedupe_key": dedupe_key or "",
        "illustrative": illustrative,
    }
    probe = Case(**fields)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                number=f"new-{uuid.uuid4().hex}", **fields, **_scheduled(probe, received_at, events)
            )
            case.number = (
                f"{NUMBER_PREFIX.get(case_type, case_type[:2].upper())}-"
                f"{workdays.to_local(received_at):%Y}-{case.pk:06d}"
            )
            case.save(update_fields=["number"])
            CaseUpdate.objects.create(
                case=case,
                kind=UpdateKind.OPENED,
                to_state=case.state,
                text=description,
                actor=actor,
                actor_role=role,
                public=True,
            )
            for link in links:
                _add_link(case, link)
    except IntegrityError:
        # Someone opened the same dedupe_key at the same moment: join theirs.
        joined = _join_open(case_type, dedupe_key or "", title, description, actor, role)
        if joined is None:
            raise
        return joined
    case.joined = False  # type: ignore[attr-defined]
    return case


def _case_type_or_error(name: str) -> CaseType:
    return case_type(name)


def _own_unit(
    actor: User | None,
    region: Region | None,
    department: Department | None,
    enterprise: Enterprise | None,
) -> tuple[Region | None, Department | None]:
    """Units open cases in their own scope; the office and the system anywhere."""
    if region is None and enterprise is not None:
        region = enterprise.region
    if actor is None or actor.is_office:
        return region, department
    if actor.role == Role.COUNTY:
        own = set(actor.region.subtree_ids())
        if region is not None and region.pk not in own:
            raise PermissionDenied(f"{actor} may open cases only in {actor.region}")
        return region or actor.region, department
    if actor.role == Role.DEPARTMENT:
        if department is not None and department.pk != actor.department_id:
            raise PermissionDenied(f"{actor} may open cases only for {actor.department}")
        return region, actor.department
    if (
        actor.role == Role.ENTERPRISE
        and enterprise is not None
        and enterprise.pk != actor.enterprise_id
    ):
        raise PermissionDenied(f"{actor} may open cases only about its own enterprise")
    return region, department


def _join_open(
    case_type: str, dedupe_key: str, title: str, description: str, actor: User | None, role: str
) -> Case | None:
    with transaction.atomic():
        existing = (
            Case.objects.select_for_update()
            .filter(case_type=case_type, dedupe_key=dedupe_key, state_group=StateGroup.OPEN)
            .first()
        )
        if existing is None:
            return None
        CaseUpdate.objects.create(
            case=existing,
            kind=UpdateKind.INTAKE,
            text=description or title,
            payload={"title": title},
            actor=actor,
            actor_role=role,
        )
        Case.objects.filter(pk=existing.pk).update(updated_at=timezone.now())
    existing.joined = True  # type: ignore[attr-defined]
    return existing


def _add_link(case: Case, link: Any) -> CaseLink:
    if isinstance(link, Case):
        return CaseLink.objects.create(case=case, kind="related", target_case=link)
    if isinstance(link, Mapping):
        target_case = link.get("case")
        return CaseLink.objects.create(
            case=case,
            kind=link.get("kind", "related"),
            target_case=target_case,
            target=str(link.get("target", "")),
            note=str(link.get("note", "")),
        )
    if hasattr(link, "_meta"):
        return CaseLink.objects.create(
            case=case,
            kind="source",
            target=f"{link._meta.app_label}.{link._meta.model_name}:{link.pk}",
            note=str(link)[:300],
        )
    return CaseLink.objects.create(case=case, kind="related", target=str(link))


def link(case: Case, target: Any, kind: str = "related", note: str = "") -> CaseLink:
    """Link a case to another case, a record of any app, or an external id."""
    if isinstance(target, Case):
        return CaseLink.objects.create(case=case, kind=kind, target_case=target, note=note)
    return _add_link(
        case,
        {
            "kind": kind,
            "target": target
            if isinstance(target, str)
            else f"{target._meta.app_label}.{target._meta.model_name}:{target.pk}",
            "note": note,
        },
    )


# --- transitions -----------------------------------------------------------------------


def transition(
    case: Case,
    name: str,
    actor: User | None,
    payload: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    *,
    as_role: str | None = None,
    files: Sequence[File] = (),
) -> Case:
    """Take transition ``name`` on ``case``; returns the case as stored afterwards.

    Raises :class:`Conflict` when the case changed since ``expected_version`` (or while this
    ran), :class:`TransitionForbidden` / PermissionDenied for role or scope, and
    :class:`TransitionRefused` (a ValidationError naming the fields) for the rest."""
    actor = _actor(actor)
    role = role_of(actor, as_role)
    payload = dict(payload or {})
    with transaction.atomic():
        fresh = Case.objects.select_for_update().get(pk=case.pk)
        if expected_version is not None and fresh.version != expected_version:
            raise Conflict(_conflict_message(fresh, expected_version), fresh)
        _check_acting_scope(fresh, actor)
        for upload in files:
            payload.setdefault("evidence", [])
            payload["evidence"] = [*payload["evidence"], attach_evidence(fresh, actor, upload).pk]
        payload = _normalise_evidence(fresh, payload)
        ct = case_type(fresh.case_type)
        registry.run_validate(fresh.case_type, fresh, name, actor, payload)
        decision = check_transition(
            ct, fresh.state, name, role, str(actor.pk) if actor else None, fresh.handlers, payload
        )
        _raise_refusal(ct, decision, name, payload)
        now = timezone.now()
        fields = _effects(fresh, ct, name, payload, now)
        fields.update(_state_fields(fresh, ct, decision.to_state, now, fields))
        if decision.marks_handler and actor is not None and str(actor.pk) not in fresh.handlers:
            fields["handlers"] = [*fresh.handlers, str(actor.pk)]
        changed = Case.objects.filter(pk=fresh.pk, version=fresh.version).update(
            version=F("version") + 1, updated_at=now, **fields
        )
        if not changed:
            raise Conflict(_conflict_message(fresh, fresh.version), fresh)
        update = CaseUpdate.objects.create(
            case=fresh,
            kind=UpdateKind.TRANSITION,
            transition=name,
            from_state=fresh.state,
            to_state=decision.to_state or fresh.state,
            text=_summary(payload),
            payload=_jsonable(payload),
            actor=actor,
            actor_role=role,
            public=True,
        )
        _audit(
            fresh,
            {
                "state": [fresh.state, decision.to_state],
                "transition": [None, name],
                "version": [fresh.version, fresh.version + 1],
            },
            actor,
        )
        old_state = fresh.state
        fresh.refresh_from_db()
        if name == "merge":
            _after_merge(fresh, actor)
        registry.run_after(fresh.case_type, fresh, name, actor, payload, old_state, update)
    return fresh


def _raise_refusal(ct: CaseType, decision: Decision, name: str, payload: Mapping[str, Any]) -> None:
    if decision.allowed:
        return
    if decision.reason_code == "role_not_allowed":
        raise TransitionForbidden(decision.message, decision)
    missing: list[str] = []
    if decision.reason_code == "missing_fields":
        missing = [f for f in ct.transitions[name].requires if not _filled(payload.get(f))]
    raise TransitionRefused(decision, missing)


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, set, dict)):
        return bool(value)
    return True


def _conflict_message(current: Case, expected: int) -> str:
    last = current.updates.exclude(kind=UpdateKind.REMINDER).order_by("-created", "-pk").first()
    who = str(last.actor or _("the system")) if last else _("someone")
    what = (last.transition or last.get_kind_display()) if last else ""
    return _(
        "Case %(number)s was changed by %(who)s (%(what)s, now “%(state)s”) after you opened it "
        "(your version %(mine)s, current %(now)s). Your action was not applied and nothing was "
        "stored; your input is kept - check the case and submit again if it still applies."
    ) % {
        "number": current.number,
        "who": who,
        "what": what,
        "state": current.state,
        "mine": expected,
        "now": current.version,
    }


def _normalise_evidence(case: Case, payload: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` may name ids of files already attached to this case (API clients)."""
    value = payload.get("evidence")
    if value in (None, "", []):
        return payload
    ids = value if isinstance(value, (list, tuple)) else [value]
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {"evidence": "give the ids of evidence files attached to this case"}
        ) from exc
    found = set(Evidence.objects.filter(case=case, pk__in=wanted).values_list("pk", flat=True))
    if found != wanted:
        raise ValidationError(
            {"evidence": f"no evidence {sorted(wanted - found)} on case {case.number}"}
        )
    return {**payload, "evidence": sorted(wanted)}


def _summary(payload: Mapping[str, Any]) -> str:
    for key in (
        "reply",
        "conclusion",
        "reason",
        "progress",
        "plan",
        "measures",
        "explanation",
        "completion_report",
        "verification_report",
        "document",
        "comment",
    ):
        if _filled(payload.get(key)):
            return str(payload[key])
    return ""


def _jsonable(payload: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in payload.items():
        if isinstance(value, (str, int, float, bool, type(None))):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = [v if isinstance(v, (str, int, float, bool)) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def _audit(case: Case, changes: dict[str, Any], actor: User | None) -> None:
    # Conditional UPDATEs bypass model signals, so the audit entry is written explicitly.
    log_update(case, changes, actor)


def _state_fields(
    case: Case, ct: CaseType, to_state: str | None, now: dt.datetime, effects: Mapping[str, Any]
) -> dict[str, Any]:
    if to_state is None or (to_state == case.state and "events" not in effects):
        return {}
    fields: dict[str, Any] = {"state": to_state, "state_group": ct.group(to_state)}
    events = dict(effects.get("events", case.events))
    if to_state not in events:
        events[to_state] = _iso(now)
        # A deadline counted from this event (信访: 60 days from acceptance) starts now.
        if "due_at" not in effects and _counts_from(case, to_state):
            fields.update(_scheduled(case, now, events))
    fields["events"] = events
    if not ct.is_open(to_state):
        fields.update(
            {
                "closed_at": now,
                "remind_at": None,
                "reminders_pending": [],
                "next_escalation_at": None,
            }
        )
    elif case.closed_at is not None:
        fields["closed_at"] = None
    return fields


def _counts_from(case: Case, event: str) -> bool:
    sla = sla_for(case)
    return sla.deadlines[sla_engine.MAIN_MILESTONE].counted_from == event


def _effects(
    case: Case, ct: CaseType, name: str, payload: Mapping[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """Column changes a transition implies beyond the state (assignment, deadlines, merge)."""
    fields: dict[str, Any] = {}
    if _filled(payload.get("assignee")):
        fields.update(resolve_assignee(str(payload["assignee"])))
    if _filled(payload.get("deadline")):
        fields.update(_deadline_fields(case, payload["deadline"], now))
    if name == "request_extension":
        fields["pending_extension"] = _extension_request(case, payload.get("extension"), now)
    elif name == "approve_extension":
        fields.update(_apply_extension(case, now))
    elif name == "deny_extension":
        fields["pending_extension"] = None
    elif name == "merge":
        fields["master"] = _master(case, payload.get("master_case_id"))
    elif ct.transitions[name].reopen:
        sla = sla_for(case)
        duration = sla.deadlines[sla_engine.MAIN_MILESTONE]
        deadline = duration.after(now, roll_to_working_day=sla.roll_to_working_day)
        fields.update(_clock(sla, deadline.due, now, deadline.calendar_estimated))
        fields["events"] = {**case.events, "reopened_at": _iso(now)}
    return fields


def unit_choices() -> list[tuple[str, str]]:
    """Units a case can be dispatched or assigned to: ``county:<code>``, ``department:<code>``."""
    counties = [
        (f"county:{r.code}", str(r)) for r in Region.objects.exclude(kind="city").order_by("sort")
    ]
    departments = [(f"department:{d.code}", str(d)) for d in Department.objects.order_by("code")]
    return counties + departments


def resolve_assignee(value: str) -> dict[str, Any]:
    """``county:<region code>``, ``department:<code>`` or ``user:<username>`` -> case columns."""
    kind, _sep, code = value.partition(":")
    if kind == "county":
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise ValidationError({"assignee": f"unknown region code {code!r}"})
        return {"region": region, "assigned_unit": AssignedUnit.COUNTY, "assignee": None}
    if kind == "department":
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise ValidationError({"assignee": f"unknown department code {code!r}"})
        return {
            "responsible_department": department,
            "assigned_unit": AssignedUnit.DEPARTMENT,
            "assignee": None,
        }
    if kind == "user":
        user = User.objects.filter(username=code, is_active=True).first()
        if user is None:
            raise ValidationError({"assignee": f"unknown user {code!r}"})
        unit = {
            Role.COUNTY: AssignedUnit.COUNTY,
            Role.DEPARTMENT: AssignedUnit.DEPARTMENT,
            Role.ENTERPRISE: AssignedUnit.ENTERPRISE,
        }.get(user.role, AssignedUnit.NONE)
        fields: dict[str, Any] = {"assignee": user, "assigned_unit": unit}
        if user.role == Role.COUNTY:
            fields["region"] = user.region
        if user.role == Role.DEPARTMENT:
            fields["responsible_department"] = user.department
        return fields
    raise ValidationError(
        {"assignee": f"{value!r}: use county:<code>, department:<code> or user:<name>"}
    )


def _deadline_fields(case: Case, value: Any, now: dt.datetime) -> dict[str, Any]:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ValidationError({"deadline": f"{value!r} is not a date (YYYY-MM-DD)"}) from exc
    if day < workdays.to_local(now).date():
        raise ValidationError({"deadline": f"{day} is in the past"})
    return _clock(sla_for(case), workdays.end_of_day(day), now)


def _extension_request(case: Case, value: Any, now: dt.datetime) -> dict[str, Any]:
    sla = sla_for(case)
    if sla.extension is None:
        raise ValidationError({"extension": f"the SLA rule {sla.rule_id} allows no extension"})
    try:
        amount = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            {"extension": f"{value!r} is not a number of {sla.extension.max.unit}"}
        ) from exc
    requested = sla_engine.Duration(amount, sla.extension.max.unit)
    check = sla_engine.check_extension(sla, case.due_at, requested, case.extensions_granted, now)
    if not check.allowed:
        raise ValidationError({"extension": check.message})
    return {"value": amount, "unit": requested.unit, "requested_at": _iso(now)}


def _apply_extension(case: Case, now: dt.datetime) -> dict[str, Any]:
    pending = case.pending_extension
    if not pending:
        raise ValidationError({"transition": "there is no pending extension request"})
    sla = sla_for(case)
    requested = sla_engine.Duration(pending["value"], pending["unit"])
    check = sla_engine.check_extension(
        sla, case.due_at, requested, case.extensions_granted, _parse(pending["requested_at"])
    )
    if not check.allowed or check.new_due is None:
        raise ValidationError({"extension": check.message})
    return {
        **_clock(sla, check.new_due, now),
        "pending_extension": None,
        "extensions_granted": case.extensions_granted + 1,
    }


def _master(case: Case, value: Any) -> Case:
    text = str(value or "").strip()
    query = Q(number=text) | (Q(pk=int(text)) if text.isdigit() else Q(pk__in=[]))
    master = Case.objects.filter(query, case_type=case.case_type).first()
    if master is None:
        raise ValidationError({"master_case_id": f"no {case.case_type} case {text!r}"})
    if master.pk == case.pk or master.master_id == case.pk:
        raise ValidationError({"master_case_id": "a case cannot be merged into itself"})
    return master.master or master


def _after_merge(case: Case, actor: User | None) -> None:
    master = case.master
    CaseLink.objects.create(case=case, kind="duplicate_of", target_case=master)
    CaseLink.objects.create(case=master, kind="duplicate", target_case=case)
    CaseUpdate.objects.create(
        case=master,
        kind=UpdateKind.LINK,
        actor=actor,
        actor_role=role_of(actor),
        text=_("%(number)s merged into this case as a duplicate") % {"number": case.number},
        payload={"duplicate": case.number},
    )


# --- comments, evidence ----------------------------------------------------------------


def _check_may_write(case: Case, user: User | None) -> None:
    if user is None or user.is_office:
        return
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        raise PermissionDenied(f"{user} may not write on case {case.number}")


def add_comment(case: Case, actor: User | None, text: str, *, public: bool = False) -> CaseUpdate:
    actor = _actor(actor)
    _check_may_write(case, actor)
    if not text.strip():
        raise ValidationError({"text": "write a comment"})
    update = CaseUpdate.objects.create(
        case=case,
        kind=UpdateKind.COMMENT,
        text=text.strip(),
        actor=actor,
        actor_role=role_of(actor),
        public=public,
    )
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    return update


def attach_evidence(case: Case, actor: User | None, upload: File, note: str = "") -> Evidence:
    actor = _actor(actor)
    _check_may_write(case, actor)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = Path(upload.name or "evidence").name[:200]
    evidence = Evidence(
        case=case, name=name, sha256=digest.hexdigest(), note=note, uploaded_by=actor
    )
    evidence.file.save(name, upload, save=True)
    CaseUpdate.objects.create(
        case=case,
        kind=UpdateKind.EVIDENCE,
        text=name,
        actor=actor,
        actor_role=role_of(actor),
        payload={"evidence": evidence.pk},
    )
    return evidence


# --- what a user may do ----------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    label: str
    required: bool


@dataclass(frozen=True)
class Action:
    transition: Transition
    fields: tuple[FieldSpec, ...]
    disabled_reason: str = ""


def transition_fields(case_type_name: str, name: str) -> tuple[FieldSpec, ...]:
    t = case_type(case_type_name).transitions[name]
    required = tuple(
        FieldSpec(f, FIELD_KINDS.get(f, "textarea"), f.replace("_", " "), True) for f in t.requires
    )
    extras = tuple(
        FieldSpec(e.name, e.kind, e.label, e.required)
        for e in registry.hooks(case_type_name).extra_fields.get(name, [])
        if e.name not in t.requires
    )
    return required + extras


def available_actions(case: Case, user: User | None) -> list[Action]:
    """Transitions ``user`` may take now (role, scope and state), with the fields they need."""
    actor = _actor(user)
    try:
        _check_acting_scope(case, actor)
    except PermissionDenied:
        return []
    ct = case_type(case.case_type)
    actions = []
    for t in ct.available_transitions(case.state, role_of(actor)):
        reason = ""
        if t.sign_off and actor is not None and str(actor.pk) in case.handlers:
            reason = _("you handled this case: someone else must sign it off")
        actions.append(Action(t, transition_fields(case.case_type, t.name), reason))
    return actions


# --- the overdue scan ------------------------------------------------------------------


@dataclass
class ScanResult:
    marked_overdue: int = 0
    reminders: int = 0
    escalated: dict[int, int] = field(default_factory=dict)
    notifications: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "marked_overdue": self.marked_overdue,
            "reminders": self.reminders,
            "escalated": self.escalated,
            "notifications": self.notifications,
        }


SCAN_COLUMNS = (
    "id",
    "number",
    "title",
    "due_at",
    "assignee_id",
    "responsible_department_id",
    "region_id",
    "assigned_unit",
    "subject_enterprise_id",
)


def scan_overdue(now: dt.datetime | None = None) -> ScanResult:
    """Mark overdue cases, send due reminders and escalate, with set-based queries.

    Each step touches only rows whose stored moment (``due_at``, ``remind_at``,
    ``next_escalation_at``, indexed with ``state_group``) has passed, so a scan over many
    open cases costs what the cases that changed cost. The steps only gather what to write;
    :class:`_ScanWrites` stores it at the end, in the same transaction. Notifications carry
    a dedupe key: running the scan twice sends nothing twice."""
    now = now or timezone.now()
    result = ScanResult()
    recipients = _Recipients()
    with transaction.atomic():
        writes = _ScanWrites(now)
        result.marked_overdue = _mark_overdue(now, writes)
        result.reminders, sent = _send_reminders(now, recipients, writes)
        result.escalated, sent_esc = _escalate(now, recipients, writes)
        writes.store()
    result.notifications = sent + sent_esc
    changed = result.marked_overdue + result.reminders + sum(result.escalated.values())
    if changed >= REFRESH_STATISTICS_AFTER:
        _refresh_statistics()
    return result


# A scan that changed this many cases (a catch-up, a mass import) shifts the columns the case
# list filters on: fresh planner statistics at once, not when autovacuum comes round. Measured
# on PostgreSQL with 100,000 cases: the office's list p95 265-391 ms after a 50,000-case
# catch-up, 13-41 ms after ANALYZE (which takes ~0.1 s). A regular night changes ~5,000.
REFRESH_STATISTICS_AFTER = 10_000


def _refresh_statistics() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Case._meta.db_table)}")


UPDATE_FIELDS = (
    "case",
    "kind",
    "transition",
    "from_state",
    "to_state",
    "text",
    "payload",
    "actor",
    "actor_role",
    "public",
    "created",
)
NOTE_FIELDS = ("user", "created", "text", "link", "key", "read")


@dataclass
class _ScanWrites:
    """What one scan stores, gathered by its steps and written with few statements: each
    changed case gets one UPDATE even when it turns overdue and escalates in the same scan
    (an UPDATE of a case row costs its ~20 index entries), and the update stream, the audit
    entries and the notifications go in as plain rows (no model instances), which on
    PostgreSQL means COPY. JSON values shared by many rows are one object, encoded once."""

    now: dt.datetime
    # case id -> {field: new value}; values hashable (tuples for JSON lists) to group by.
    case_changes: dict[int, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    updates: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    logs: list[tuple[int, str, dict[str, list[str]]]] = field(default_factory=list)
    notes: list[tuple[int, str, str, str]] = field(default_factory=list)

    def store(self) -> None:
        _apply_case_changes(self.case_changes)
        created = timezone.now()  # what auto_now_add would set (the stream orders by pk next)
        insert_rows(
            CaseUpdate,
            UPDATE_FIELDS,
            [
                (case_id, kind, "", "", "", text, payload, None, "system", False, created)
                for case_id, kind, text, payload in self.updates
            ],
        )
        log_bulk_changes(Case, self.logs, timestamp=self.now)
        insert_rows(
            Notification,
            NOTE_FIELDS,
            [(user, created, text, link, key, False) for user, text, link, key in self.notes],
            ignore_conflicts=True,
        )


def _mark_overdue(now: dt.datetime, writes: _ScanWrites) -> int:
    newly = Case.objects.filter(state_group=StateGroup.OPEN, overdue=False, due_at__lt=now)
    ids = list(newly.values_list("id", flat=True))
    text, no_payload = _("Deadline passed"), {}
    for pk in ids:
        writes.case_changes[pk]["overdue"] = True
        writes.updates.append((pk, UpdateKind.OVERDUE, text, no_payload))
    return len(ids)


def _send_reminders(
    now: dt.datetime, recipients: _Recipients, writes: _ScanWrites
) -> tuple[int, int]:
    rows = list(
        Case.objects.filter(state_group=StateGroup.OPEN, remind_at__lte=now).values(
            *SCAN_COLUMNS, "remind_at", "reminders_pending"
        )
    )
    template = _("Reminder: case %(number)s “%(title)s” is due %(due)s")
    local_text = functools.cache(_local_text)  # due moments repeat: ends of days
    sent = 0
    for row in rows:
        # Already overdue: escalation speaks now, not a "due soon" reminder.
        if row["due_at"] is None or row["due_at"] >= now:
            text = template % {
                "number": row["number"],
                "title": row["title"][:80],
                "due": local_text(row["due_at"]),
            }
            key = f"case:{row['id']}:remind:{row['remind_at'].isoformat()}"
            sent += recipients.add_notes(writes.notes, row, text, key)
        later = tuple(m for m in row["reminders_pending"] if _parse(m) > now)
        changes = writes.case_changes[row["id"]]
        changes["remind_at"] = _parse(later[0]) if later else None
        changes["reminders_pending"] = later[1:]
    return len(rows), sent


def _apply_case_changes(changes: Mapping[int, Mapping[str, Any]]) -> None:
    """One UPDATE per group of cases sharing the same new values. Moments are ends of days or
    fixed times of day, so the cases of a scan fall into few such groups."""
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for pk, values in changes.items():
        groups[tuple(sorted(values.items()))].append(pk)
    for values, ids in groups.items():
        _update_ids(ids, **{name: list(v) if isinstance(v, tuple) else v for name, v in values})


def _update_ids(ids: list[int], **values: Any) -> None:
    """Set ``values`` on the cases ``ids``: on PostgreSQL in one statement with the ids as
    one array parameter, elsewhere in chunks (SQLite limits the parameters of a statement)."""
    if connection.vendor != "postgresql":
        for chunk in _chunks(ids):
            Case.objects.filter(pk__in=chunk).update(**values)
        return
    meta, quote = Case._meta, connection.ops.quote_name
    columns, params = [], []
    for name, value in values.items():
        model_field = meta.get_field(name)
        columns.append(f"{quote(model_field.column)} = %s")
        params.append(model_field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(columns)} "
            f"WHERE {quote(meta.pk.column)} = ANY(%s)",
            [*params, ids],
        )


def _escalate(
    now: dt.datetime, recipients: _Recipients, writes: _ScanWrites
) -> tuple[dict[int, int], int]:
    rows = list(
        Case.objects.filter(state_group=StateGroup.OPEN, next_escalation_at__lte=now).values(
            *SCAN_COLUMNS, "escalation_level", "escalation_plan"
        )
    )
    counts: dict[int, int] = defaultdict(int)
    template = _("Escalation %(level)s (%(action)s): case %(number)s “%(title)s” was due %(due)s")
    # Due moments and plans repeat across many cases (ends of days, fixed times of day).
    parse, local_text = functools.cache(_parse), functools.cache(_local_text)
    payloads: dict[tuple[int, str], dict[str, Any]] = {}
    diffs: dict[tuple[int, int], dict[str, list[str]]] = {}
    sent = 0
    for row in rows:
        plan = [(lvl, action, parse(at)) for lvl, action, at in row["escalation_plan"]]
        before = row["escalation_level"]
        level = max((lvl for lvl, _a, at in plan if at < now), default=before)
        action = next((a for lvl, a, _at in plan if lvl == level), "")
        upcoming = [at for lvl, _a, at in plan if lvl > level]
        changes = writes.case_changes[row["id"]]
        changes["escalation_level"] = level
        changes["next_escalation_at"] = min(upcoming) if upcoming else None
        if level <= before:
            continue
        counts[level] += 1
        text = template % {
            "level": level,
            "action": action,
            "number": row["number"],
            "title": row["title"][:80],
            "due": local_text(row["due_at"]),
        }
        key = f"case:{row['id']}:escalate:{level}"
        sent += recipients.add_notes(writes.notes, row, text, key, supervisors=action != "urge")
        payload = payloads.setdefault((level, action), {"level": level, "action": action})
        writes.updates.append((row["id"], UpdateKind.ESCALATION, text, payload))
        diff = diffs.setdefault((before, level), {"escalation_level": [str(before), str(level)]})
        writes.logs.append((row["id"], row["number"], diff))
    return dict(counts), sent


def _local_text(moment: dt.datetime | None) -> str:
    return workdays.to_local(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _chunks(ids: list[int], size: int = 900) -> Iterable[list[int]]:
    # SQLite limits the number of bound parameters of one statement.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class _Recipients:
    """Who hears about a case: its assignee, else the users of the unit holding it, else the
    office; escalations that report to the supervisor also go to the office."""

    def __init__(self) -> None:
        self.by_department: dict[int, list[int]] = defaultdict(list)
        self.by_region: dict[int, list[int]] = defaultdict(list)
        self.by_enterprise: dict[int, list[int]] = defaultdict(list)
        self.office: list[int] = []
        for pk, role, dept, region, ent, superuser in User.objects.filter(
            is_active=True
        ).values_list("pk", "role", "department_id", "region_id", "enterprise_id", "is_superuser"):
            if superuser or role in (Role.ADMIN, Role.SUPERVISOR):
                self.office.append(pk)
            elif role == Role.DEPARTMENT and dept:
                self.by_department[dept].append(pk)
            elif role == Role.COUNTY and region:
                self.by_region[region].append(pk)
            elif role == Role.ENTERPRISE and ent:
                self.by_enterprise[ent].append(pk)

    def users_for(self, row: Mapping[str, Any]) -> list[int]:
        if row["assignee_id"]:
            return [row["assignee_id"]]
        unit = row["assigned_unit"]
        if unit == AssignedUnit.DEPARTMENT and row["responsible_department_id"]:
            return self.by_department.get(row["responsible_department_id"], [])
        if unit == AssignedUnit.COUNTY and row["region_id"]:
            return self.by_region.get(row["region_id"], [])
        if unit == AssignedUnit.ENTERPRISE and row["subject_enterprise_id"]:
            return self.by_enterprise.get(row["subject_enterprise_id"], [])
        return self.office

    def add_notes(
        self,
        notes: list[tuple[int, str, str, str]],
        row: Mapping[str, Any],
        text: str,
        key: str,
        supervisors: bool = False,
    ) -> int:
        """Append (user id, text, link, key) for each user to hear about ``row``; how many."""
        users = set(self.users_for(row)) | (set(self.office) if supervisors else set())
        link, text = f"/cases/{row['id']}/", text[:500]
        notes.extend((user, text, link, key) for user in sorted(users))
        return len(users)


# --- statistics ------------------------------------------------------------------------


def counts_by(cases: QuerySet[Case], field_name: str) -> dict[Any, dict[str, int]]:
    """Per value of ``field_name``: total, open, closed, fixed and overdue (still open)."""
    rows = (
        cases.values(field_name)
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(state_group=StateGroup.OPEN)),
            closed=Count("id", filter=Q(state_group=StateGroup.CLOSED)),
            fixed=Count("id", filter=Q(state_group=StateGroup.FIXED)),
            overdue=Count("id", filter=Q(state_group=StateGroup.OPEN, overdue=True)),
            on_time=Count(
                "id", filter=~Q(state_group=StateGroup.OPEN) & Q(closed_at__lte=F("due_at"))
            ),
        )
        .order_by(field_name)
    )
    return {
        row[field_name]: {
            k: row[k] for k in ("total", "open", "closed", "fixed", "overdue", "on_time")
        }
        for row in rows
    }


def on_time_rate(cases: QuerySet[Case]) -> float | None:
    """Share (0..1) of ended cases that ended by their deadline; None when none ended."""
    ended = cases.exclude(state_group=StateGroup.OPEN).exclude(due_at=None)
    total = ended.count()
    if not total:
        return None
    return ended.filter(closed_at__lte=F("due_at")).count() / total


def summary(cases: QuerySet[Case]) -> dict[str, Any]:
    totals = cases.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state_group=StateGroup.OPEN)),
        overdue=Count("id", filter=Q(state_group=StateGroup.OPEN, overdue=True)),
        ended=Count("id", filter=~Q(state_group=StateGroup.OPEN)),
    )
    return {**totals, "on_time_rate": on_time_rate(cases)}


def state_label(case_type_name: str, state: str, language: str = "zh") -> str:
    ct = case_types().get(case_type_name)
    if ct is None or state not in ct.states:
        return state
    item = ct.states[state]
    return item.en if language.startswith("en") else item.zh


def transition_label(case_type_name: str, name: str, language: str = "zh") -> str:
    ct = case_types().get(case_type_name)
    if ct is None or name not in ct.transitions:
        return name
    item = ct.transitions[name]
    return (item.en if language.startswith("en") else item.zh) or name


__all__ = [
    "Conflict",
    "ExtraField",
    "TransitionForbidden",
    "TransitionRefused",
    "add_comment",
    "attach_evidence",
    "available_actions",
    "case_type",
    "case_types",
    "counts_by",
    "link",
    "on_time_rate",
    "open_case",
    "register_hooks",
    "resolve_assignee",
    "role_of",
    "scan_overdue",
    "summary",
    "transition",
    "transition_fields",
    "unit_choices",
    "visible_cases",
]
