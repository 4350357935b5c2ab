"""Every write and rule of the complaints app: intake (web form, Open311, 12345 files),
routing to county and department, duplicates and merging, follow-up visits, public access.

Complaints are cases of type ``complaint`` in the case engine (coact.cases.services); this
module keeps only what is particular to complaints.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coact.cases import services as cases
from coact.core.importing import (
    ImportResult,
    RowError,
    Table,
    UnreadableFile,
    import_all_or_nothing,
    read_table,
)
from coact.core.models import Department, Enterprise, Notification, Region, Role, User
from coact.engines import sla as sla_engine
from coact.engines import textsim, workdays

from .models import Channel, Complaint, FollowUp, Satisfaction

ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY346789"  # no 0/O, 1/I, 2/Z, 5/S look-alikes
DUPLICATE_WINDOW_DAYS = 30
EARTH_RADIUS_M = 6_371_000.0


# --- taxonomy and routing --------------------------------------------------------------


def categories() -> dict[str, sla_engine.Category]:
    return sla_engine.complaint_categories()


def sub_categories() -> list[sla_engine.Category]:
    return [c for c in categories().values() if "." in c.code]


@cache
def _routing() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "routing.yaml").read_text("utf-8"))


def route_department(category: str) -> Department | None:
    """The department for a category: sub-type, then group, then the default (routing.yaml)."""
    table = _routing()
    code = (
        table["routes"].get(category)
        or table["routes"].get(category.split(".")[0])
        or table["default"]
    )
    return Department.objects.filter(code=code).first()


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres on a sphere of radius 6,371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def route_region(
    address: str = "", lon: float | None = None, lat: float | None = None
) -> Region | None:
    """The county-level unit of a complaint: the one whose name the address contains
    (longest name first, with or without its 市/区/县 suffix), else the nearest centre."""
    units = list(Region.objects.exclude(kind="city"))
    text = address or ""
    named = []
    for region in units:
        short = (
            region.name[:-1]
            if len(region.name) > 2 and region.name[-1] in "市区县"
            else region.name
        )
        if region.name in text or (len(short) >= 2 and short in text):
            named.append((len(region.name), region))
    if named:
        return max(named, key=lambda item: item[0])[1]
    if lon is None or lat is None:
        return None
    placed = [r for r in units if r.lon is not None and r.lat is not None and r.kind != "park"]
    return min(placed, key=lambda r: _distance_m(lon, lat, r.lon, r.lat), default=None)


# --- intake ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintInput:
    description: str
    category: str
    title: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    urgency: str = "normal"
    source: str = "online"
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    anonymous: bool = False
    enterprise: Enterprise | None = None


def _validate(data: ComplaintInput) -> None:
    errors: dict[str, str] = {}
    if not data.description.strip():
        errors["description"] = "describe the problem"
    if data.category not in categories() or "." not in data.category:
        errors["category"] = (
            f"unknown category {data.category!r}; use a sub-type code such as air.odour"
        )
    if not data.anonymous and not (data.reporter_phone.strip() or data.reporter_email.strip()):
        errors["reporter_phone"] = "give a phone number or e-mail, or report anonymously"
    if errors:
        raise ValidationError(errors)


def _new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(10))


def file_complaint(
    data: ComplaintInput,
    *,
    channel: str = Channel.WEB,
    by: User | None = None,
    received_at: dt.datetime | None = None,
    hotline_order_no: str | None = None,
    imported_from: str = "",
    imported_row: int | None = None,
    illustrative: bool = False,
) -> tuple[Complaint, str]:
    """File a complaint: route it, open its case, flag repeats, plan the follow-ups.

    Returns the complaint and its access code (shown once to the reporter; only a hash is
    kept). ``by=None`` is the public (web form, Open311) unless the channel is a file."""
    _validate(data)
    region = route_region(data.address, data.lon, data.lat)
    if region is None and data.enterprise is not None:
        region = data.enterprise.region
    category = categories()[data.category]
    title = data.title.strip() or f"{category.zh}：{(data.address or data.description)[:40]}"
    as_role = "system" if by is None and channel == Channel.HOTLINE_FILE else "public"
    with transaction.atomic():
        case = cases.open_case(
            "complaint",
            title=title,
            description=data.description,
            source=data.source,
            category=data.category,
            urgency=data.urgency,
            address=data.address,
            lon=data.lon,
            lat=data.lat,
            region=region,
            responsible_department=route_department(data.category),
            subject_enterprise=data.enterprise,
            opened_by=by,
            as_role=as_role if by is None else None,
            received_at=received_at,
            illustrative=illustrative,
        )
        code = _new_access_code()
        complaint = Complaint.objects.create(
            case=case,
            channel=channel,
            hotline_order_no=hotline_order_no or None,
            reporter_name="" if data.anonymous else data.reporter_name.strip(),
            reporter_phone="" if data.anonymous else data.reporter_phone.strip(),
            reporter_email="" if data.anonymous else data.reporter_email.strip(),
            anonymous=data.anonymous,
            access_code_hash=make_password(code),
            imported_from=imported_from,
            imported_row=imported_row,
            illustrative=illustrative,
        )
        matches = duplicates_for(complaint)
        if matches:
            complaint.is_repeat = True
            complaint.repeat_of_id = matches[0][0].case_id
            complaint.save(update_fields=["is_repeat", "repeat_of"])
        _plan_follow_ups(complaint)
    return complaint, code


# --- duplicates ------------------------------------------------------------------------


def _as_text(complaint: Complaint) -> textsim.ComplaintText:
    case = complaint.case
    return textsim.ComplaintText(
        id=str(complaint.pk),
        received_at=case.received_at,
        text=f"{case.title} {case.description}",
        address=case.address,
        category=case.category,
        enterprise_id=str(case.subject_enterprise_id) if case.subject_enterprise_id else None,
    )


def duplicates_for(
    complaint: Complaint, days: float = DUPLICATE_WINDOW_DAYS
) -> list[tuple[Complaint, textsim.DuplicateMatch]]:
    """Earlier or later complaints within ``days`` that are likely the same matter (textsim):
    the database pre-filters by date and by enterprise, county or category."""
    case = complaint.case
    window = dt.timedelta(days=days)
    near = Q(case__category__startswith=case.category.split(".")[0])
    if case.subject_enterprise_id:
        near |= Q(case__subject_enterprise_id=case.subject_enterprise_id)
    if case.region_id:
        near |= Q(case__region_id=case.region_id)
    candidates = list(
        Complaint.objects.filter(
            near, case__received_at__range=(case.received_at - window, case.received_at + window)
        )
        .exclude(pk=complaint.pk)
        .exclude(case__state="duplicate")
        .select_related("case")[:500]
    )
    by_id = {str(c.pk): c for c in candidates}
    matches = textsim.likely_duplicates(
        _as_text(complaint), [_as_text(c) for c in candidates], days=days
    )
    return [(by_id[m.candidate_id], m) for m in matches]


def merge(
    duplicate: Complaint, master: Complaint, by: User, expected_version: int | None = None
) -> Complaint:
    """One-click merge: the duplicate's case takes ``merge`` into the master's case."""
    cases.transition(
        duplicate.case,
        "merge",
        by,
        {"master_case_id": master.case.number},
        expected_version=expected_version,
    )
    duplicate.refresh_from_db()
    return duplicate


# --- follow-ups ------------------------------------------------------------------------


def _plan_name(complaint: Complaint) -> str | None:
    return cases.sla_for(complaint.case).follow_up_plan


def _plan_follow_ups(complaint: Complaint) -> None:
    name = _plan_name(complaint)
    if not name:
        return
    for visit in sla_engine.get_plan(name).visits:
        FollowUp.objects.get_or_create(
            complaint=complaint,
            seq=visit.seq,
            defaults={"anchor": visit.anchor, "planned_method": visit.method},
        )
    reschedule_follow_ups(complaint)


def reschedule_follow_ups(complaint: Complaint) -> None:
    """Due dates of the visits from the case events that have happened (engine schedule)."""
    name = _plan_name(complaint)
    if not name:
        return
    events = {
        k: dt.datetime.fromisoformat(v)
        for k, v in complaint.case.events.items()
        if isinstance(v, str) and k != "reopened_at"
    }
    for visit in sla_engine.follow_up_schedule(name, events):
        FollowUp.objects.filter(complaint=complaint, seq=visit.seq, done_at__isnull=True).update(
            due_at=visit.due
        )


def can_follow_up(user: User, complaint: Complaint) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_office:
        return True
    return (
        user.role in (Role.COUNTY, Role.DEPARTMENT)
        and Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()
    )


def record_follow_up(
    follow_up: FollowUp,
    by: User,
    *,
    method: str,
    result: str,
    satisfaction: str,
    notes: str = "",
    done_at: dt.datetime | None = None,
) -> FollowUp:
    """Record a visit: date, method, result and the reporter's satisfaction."""
    if not can_follow_up(by, follow_up.complaint):
        raise PermissionDenied(
            f"{by} may not record follow-ups of {follow_up.complaint.case.number}"
        )
    errors = {}
    if method not in ("phone", "on_site", "sms", "letter", "other"):
        errors["method"] = "phone, on_site, sms, letter or other"
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = f"one of {', '.join(Satisfaction.values)}"
    if not result.strip():
        errors["result"] = "say what the reporter said"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        changed = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
            done_at=done_at or timezone.now(),
            method=method,
            result=result.strip(),
            satisfaction=satisfaction,
            notes=notes,
            operator=by,
        )
        if not changed:
            raise cases.Conflict(
                _("Follow-up %(seq)s was already recorded by someone else.")
                % {"seq": follow_up.seq}
            )
        follow_up.refresh_from_db()
        cases.add_comment(
            follow_up.complaint.case,
            by,
            _("Follow-up %(seq)s (%(method)s): %(result)s — %(s)s")
            % {
                "seq": follow_up.seq,
                "method": method,
                "result": result.strip(),
                "s": follow_up.get_satisfaction_display(),
            },
        )
    return follow_up


def remind_missed_follow_ups(now: dt.datetime | None = None) -> int:
    """A reminder to the office and the unit for every visit past due and not done (once)."""
    now = now or timezone.now()
    missed = list(
        FollowUp.objects.filter(
            done_at__isnull=True, reminded=False, due_at__lt=now
        ).select_related("complaint__case")
    )
    if not missed:
        return 0
    office = list(
        User.objects.filter(
            Q(role__in=[Role.ADMIN, Role.SUPERVISOR]) | Q(is_superuser=True), is_active=True
        ).values_list("pk", flat=True)
    )
    notes = []
    for visit in missed:
        case = visit.complaint.case
        text = _("Missed follow-up %(seq)s of complaint %(number)s (due %(due)s)") % {
            "seq": visit.seq,
            "number": case.number,
            "due": workdays.to_local(visit.due_at).strftime("%Y-%m-%d"),
        }
        notes += [
            Notification(
                user_id=u, text=text, link=f"/cases/{case.pk}/", key=f"followup:{visit.pk}:missed"
            )
            for u in office
        ]
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    FollowUp.objects.filter(pk__in=[v.pk for v in missed]).update(reminded=True)
    return len(missed)


def on_case_transition(
    case: Any, name: str, actor: Any, payload: Mapping[str, Any], old_state: str, update: Any
) -> None:
    """Case-engine hook: reschedule the visits when an anchor event (accepted, dispatched,
    replied) happened; a reopened complaint gets its visits planned again."""
    complaint = Complaint.objects.filter(case=case).first()
    if complaint is None:
        return
    if name == "reopen":
        FollowUp.objects.filter(complaint=complaint, done_at__isnull=True).update(
            due_at=None, reminded=False
        )
    reschedule_follow_ups(complaint)


# --- public access ---------------------------------------------------------------------


def find_for_public(number: str, code: str) -> Complaint | None:
    """The complaint with this number if the access code matches (else None, same answer
    whether the number exists or not)."""
    complaint = Complaint.objects.select_related("case").filter(case__number=number.strip()).first()
    if complaint is None or not check_password(code.strip().upper(), complaint.access_code_hash):
        check_password("x", make_password("y"))  # same work either way: no timing oracle
        return None
    return complaint


def can_view_contact(user: Any) -> bool:
    """The reporter's contact: only with complaints.view_reporter_contact (the office has it)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_office or user.has_perm("complaints.view_reporter_contact")


def public_reopen(complaint: Complaint, code: str, reason: str) -> Any:
    """The reporter, dissatisfied, reopens a closed complaint with the access code."""
    if find_for_public(complaint.case.number, code) is None:
        raise PermissionDenied("wrong access code")
    return cases.transition(complaint.case, "reopen", None, {"reason": reason}, as_role="public")


# --- 12345 work-order files ------------------------------------------------------------

HOTLINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "order_no": ("工单编号", "order_no"),
    "received_at": ("受理时间", "received_at"),
    "description": ("诉求内容", "description"),
    "category": ("诉求类别", "category"),
    "title": ("标题", "title"),
    "urgency": ("紧急程度", "urgency"),
    "address": ("事发地址", "address"),
    "lon": ("经度", "lon"),
    "lat": ("纬度", "lat"),
    "reporter_name": ("诉求人", "reporter_name"),
    "reporter_phone": ("联系电话", "reporter_phone"),
    "anonymous": ("是否匿名", "anonymous"),
    "enterprise": ("涉及企业", "enterprise"),
}
REQUIRED_COLUMNS = ("order_no", "received_at", "description", "category")
URGENCY_WORDS = {
    "": "normal",
    "一般": "normal",
    "普通": "normal",
    "normal": "normal",
    "紧急": "urgent",
    "急": "urgent",
    "urgent": "urgent",
}
YES_WORDS = {"是", "yes", "y", "true", "1"}


@dataclass
class HotlineRow:
    row: int
    order_no: str
    received_at: dt.datetime
    data: ComplaintInput


def _column_index(header: list[str]) -> tuple[dict[str, int], list[str]]:
    index, missing = {}, []
    for key, names in HOTLINE_COLUMNS.items():
        found = next((header.index(n) for n in names if n in header), None)
        if found is not None:
            index[key] = found
        elif key in REQUIRED_COLUMNS:
            missing.append(names[0])
    return index, missing


def _category_code(value: str) -> str | None:
    value = value.strip()
    if value in categories() and "." in value:
        return value
    label = value.split("/")[-1].split("－")[-1].strip()
    matches = [c.code for c in sub_categories() if label in (c.zh, c.en)]
    return matches[0] if len(matches) == 1 else None


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time(0, 0))
    else:
        text = str(value or "").strip().replace("/", "-")
        moment = None
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"):
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    return moment.replace(tzinfo=workdays.LOCAL_TZ) if moment.tzinfo is None else moment


def _parse_hotline_rows(sheet: Table, filename: str) -> Iterator[HotlineRow | RowError]:
    index, missing = _column_index(sheet.header)
    sheet_name = sheet.name or None
    if missing:
        yield RowError(filename, 1, ", ".join(missing), "required column(s) missing", sheet_name)
        return
    seen: dict[str, int] = {}
    enterprises = {e.uscc: e for e in Enterprise.objects.all()}
    by_name = {e.name: e for e in enterprises.values()}
    for number, values in sheet.rows:
        yield from _parse_hotline_row(
            number, values, index, filename, sheet_name, seen, enterprises, by_name
        )


def _cell(values: list[Any], index: Mapping[str, int], key: str) -> str:
    position = index.get(key)
    if position is None or position >= len(values) or values[position] is None:
        return ""
    value = values[position]
    if isinstance(value, float) and value.is_integer() and key in ("order_no", "reporter_phone"):
        value = int(value)
    return str(value).strip()


def _parse_hotline_row(
    number: int,
    values: list[Any],
    index: Mapping[str, int],
    filename: str,
    sheet: str | None,
    seen: dict[str, int],
    enterprises: Mapping[str, Enterprise],
    by_name: Mapping[str, Enterprise],
) -> Iterator[HotlineRow | RowError]:
    def error(key: str, message: str) -> RowError:
        return RowError(filename, number, HOTLINE_COLUMNS[key][0], message, sheet)

    errors = []
    order_no = _cell(values, index, "order_no")
    if not order_no:
        errors.append(error("order_no", "the 12345 order number is empty"))
    elif order_no in seen:
        errors.append(error("order_no", f"order {order_no} is also on row {seen[order_no]}"))
    else:
        seen[order_no] = number
    position = index["received_at"]
    received = _parse_time(values[position] if position < len(values) else None)
    if received is None:
        errors.append(
            error(
                "received_at",
                f"{_cell(values, index, 'received_at')!r} is not a date and time "
                "(YYYY-MM-DD HH:MM)",
            )
        )
    description = _cell(values, index, "description")
    if not description:
        errors.append(error("description", "the complaint text is empty"))
    category = _category_code(_cell(values, index, "category"))
    if category is None:
        errors.append(
            error(
                "category",
                f"unknown category {_cell(values, index, 'category')!r}; use a code "
                "such as air.odour or a sub-type name such as 异味臭气",
            )
        )
    urgency = URGENCY_WORDS.get(_cell(values, index, "urgency").lower())
    if urgency is None:
        errors.append(error("urgency", "use 一般 or 紧急"))
    coords: list[float | None] = []
    for key, low, high in (("lon", 115.0, 125.0), ("lat", 28.0, 36.0)):
        text = _cell(values, index, key)
        try:
            value = float(text) if text else None
        except ValueError:
            value = None
            errors.append(error(key, f"{text!r} is not a number"))
        if value is not None and not low <= value <= high:
            errors.append(error(key, f"{value} is outside Jiangsu ({low}..{high})"))
        coords.append(value)
    if (coords[0] is None) != (coords[1] is None):
        errors.append(error("lon", "give both longitude and latitude, or neither"))
    enterprise_text = _cell(values, index, "enterprise")
    enterprise = (
        enterprises.get(enterprise_text) or by_name.get(enterprise_text)
        if enterprise_text
        else None
    )
    if enterprise_text and enterprise is None:
        errors.append(error("enterprise", f"no enterprise with code or name {enterprise_text!r}"))
    if errors:
        yield from errors
        return
    anonymous = _cell(values, index, "anonymous").lower() in YES_WORDS
    yield HotlineRow(
        number,
        order_no,
        received,
        ComplaintInput(  # type: ignore[arg-type]
            description=description,
            category=category,
            title=_cell(values, index, "title"),  # type: ignore[arg-type]
            address=_cell(values, index, "address"),
            lon=coords[0],
            lat=coords[1],
            urgency=urgency,
            source="12345",
            reporter_name=_cell(values, index, "reporter_name"),
            reporter_phone=_cell(values, index, "reporter_phone"),
            anonymous=anonymous or not _cell(values, index, "reporter_phone"),
            enterprise=enterprise,
        ),
    )


def import_hotline_file(
    content: bytes, filename: str, by: User | None = None
) -> ImportResult[Complaint]:
    """Import a 12345 work-order file (xlsx or csv), all or nothing.

    Orders already imported (same order number) are left alone, so importing the same file
    twice creates nothing; any malformed row rejects the whole file, naming file, row and column."""
    if by is not None and not by.is_office:
        raise PermissionDenied(f"{by} may not import 12345 work orders")
    name = Path(filename).name
    try:
        sheet = read_table(content, name)
    except UnreadableFile as exc:
        return import_all_or_nothing([RowError(name, None, None, str(exc))], _apply_rows)
    parsed = list(_parse_hotline_rows(sheet, name))

    def apply(rows: list[HotlineRow]) -> ImportResult[Complaint]:
        return _apply_rows(rows, name, by)

    return import_all_or_nothing(parsed, apply)  # type: ignore[arg-type]


def _apply_rows(
    rows: list[HotlineRow], filename: str = "", by: User | None = None
) -> ImportResult[Complaint]:
    result: ImportResult[Complaint] = ImportResult(items=[])
    known = set(
        Complaint.objects.filter(hotline_order_no__in=[r.order_no for r in rows]).values_list(
            "hotline_order_no", flat=True
        )
    )
    for row in rows:
        if row.order_no in known:
            result.unchanged += 1
            continue
        complaint, _code = file_complaint(
            row.data,
            channel=Channel.HOTLINE_FILE,
            by=by,
            received_at=row.received_at,
            hotline_order_no=row.order_no,
            imported_from=filename,
            imported_row=row.row,
        )
        result.created += 1
        result.items.append(complaint)  # type: ignore[union-attr]
    return result


def iter_visible(user: Any) -> Iterable[Complaint]:
    return Complaint.objects.visible_to(user).select_related("case")
