"""Every write and business rule of online monitoring: registering outlets and devices,
alarms from stored data (after each gateway batch, and a periodic scan), the case each alarm
opens, data sharing (signed webhooks), and the plan's coverage indicator.

The gateway's hot path (archive and readings) is in gateway/store.py; everything here runs
after a batch is committed, in the gateway's alarm thread, in jobs or in requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.request
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from coact.core.audit import acting_as, log_update
from coact.core.importing import ImportResult, import_all_or_nothing
from coact.core.models import Department, Enterprise, Region, Role, User
from coact.engines.hj212 import Tolerance
from coact.engines.hj212.sm4 import parse_sm4_key, sm4_ecb_decryptor

from . import rules
from .gateway.handler import DeviceInfo, Item
from .gateway.store import BatchResult
from .gateway.writer import DB_WRITE_LOCK
from .models import (
    Alarm,
    Delivery,
    Device,
    Limit,
    MonitoredFactor,
    Outlet,
    Reading,
    Subscription,
)

log = logging.getLogger("coact.monitoring")

CASE_TYPE = "monitoring_alarm"
COVERAGE_INDICATOR = "monitoring.automatic_monitoring_coverage"
REPORTING_WINDOW = dt.timedelta(hours=24)  # "connected and reporting": a packet in the last 24 h
FACTOR_NAMES = {  # display names of the factors the demo and the simulator use
    "a34013": ("烟尘", "mg/m3"),
    "a21026": ("二氧化硫", "mg/m3"),
    "a21002": ("氮氧化物", "mg/m3"),
    "a21005": ("一氧化碳", "mg/m3"),
    "a21024": ("氯化氢", "mg/m3"),
    "a19001": ("氧含量", "%"),
    "a00000": ("废气流量", "m3/s"),
    "a01012": ("烟气温度", "°C"),
    "a01901": ("炉膛内焚烧平均温度", "°C"),
    "w01018": ("化学需氧量", "mg/L"),
    "w21003": ("氨氮", "mg/L"),
    "w21011": ("总磷", "mg/L"),
    "w21001": ("总氮", "mg/L"),
    "w00000": ("污水流量", "L/s"),
    "w01001": ("pH值", ""),
}


# --- registration ------------------------------------------------------------------------------


def can_manage(user: User | None) -> bool:
    return user is None or (
        user.is_authenticated
        and (user.is_office or (user.role == Role.DEPARTMENT and user.department is not None))
    )


def register_outlet(
    enterprise: Enterprise,
    *,
    code: str,
    name: str,
    medium: str,
    region: Region | None = None,
    standard: str = "",
    factors: Sequence[str] = (),
    permit_number: str = "",
    lon: float | None = None,
    lat: float | None = None,
    rule_set: str = "default",
    supervising_department: Department | None = None,
    illustrative: bool = False,
    by: User | None = None,
) -> Outlet:
    """An outlet with its monitored factors and the limits of ``standard`` (a key of
    emission_standards.yaml). Permit limits can then replace them (``set_limit``)."""
    if not can_manage(by):
        raise PermissionDenied(f"{by} may not register outlets")
    known = rules.standards()
    if standard and standard not in known:
        raise ValidationError(
            {"standard": f"unknown standard {standard!r}; known: {', '.join(known)}"}
        )
    if rule_set not in rules.rule_book().rule_sets:
        raise ValidationError({"rule_set": f"unknown rule set {rule_set!r}"})
    spec = known.get(standard)
    with transaction.atomic():
        outlet = Outlet.objects.create(
            enterprise=enterprise,
            code=code,
            name=name,
            medium=medium,
            region=region or enterprise.region,
            permit_number=permit_number,
            lon=lon,
            lat=lat,
            standard=standard,
            reference_o2=spec.reference_o2 if spec else None,
            rule_set=rule_set,
            supervising_department=supervising_department
            or Department.objects.filter(code="ecology").first(),
            illustrative=illustrative,
        )
        codes = list(
            dict.fromkeys([*factors, *(lim.factor for lim in spec.limits)] if spec else factors)
        )
        for factor_code in codes:
            label, unit = FACTOR_NAMES.get(factor_code, (factor_code, ""))
            factor = MonitoredFactor.objects.create(
                outlet=outlet,
                code=factor_code,
                name=label,
                unit=unit,
                convert_o2=bool(spec and spec.reference_o2 and unit == "mg/m3"),
            )
            for lim in spec.limits if spec else ():
                if lim.factor == factor_code:
                    Limit.objects.create(
                        factor=factor,
                        period=lim.period,
                        value=lim.value,
                        unit=lim.unit,
                        source=f"{spec.title} ({spec.source})",
                    )
    return outlet


def set_limit(outlet: Outlet, code: str, period: str, value: float, source: str) -> Limit:
    """A permit's limit replaces the standard's for that factor and period."""
    if period not in ("hour", "day") or value <= 0 or not source.strip():
        raise ValidationError(
            {"limit": "period hour/day, a positive value and a source are required"}
        )
    factor, _ = MonitoredFactor.objects.get_or_create(
        outlet=outlet, code=code, defaults={"name": FACTOR_NAMES.get(code, (code, ""))[0]}
    )
    limit, _ = Limit.objects.update_or_create(
        factor=factor, period=period, defaults={"value": value, "source": source}
    )
    _contexts.clear()
    return limit


def register_device(
    outlet: Outlet,
    mn: str,
    password: str,
    *,
    tolerances: str = "",
    edition: str = "",
    sm4_key: str = "",
    illustrative: bool = False,
) -> Device:
    if not mn.strip() or len(mn) > 64:
        raise ValidationError({"mn": "an MN of 1 to 64 characters is required"})
    try:
        Tolerance.from_names(tolerances)
    except ValueError as exc:
        raise ValidationError({"tolerances": str(exc)}) from exc
    if sm4_key:
        try:
            parse_sm4_key(sm4_key)
        except ValueError as exc:
            raise ValidationError({"sm4_key": str(exc)}) from exc
    return Device.objects.create(
        outlet=outlet,
        mn=mn,
        password=password,
        tolerances=tolerances,
        edition=edition,
        sm4_key=sm4_key.strip(),
        illustrative=illustrative,
    )


def device_directory() -> dict[str, DeviceInfo]:
    """MN -> DeviceInfo of every active device (the gateway's registry)."""
    rows = Device.objects.filter(active=True, outlet__active=True).values_list(
        "pk", "mn", "password", "outlet_id", "tolerances", "outlet__rule_set", "edition", "sm4_key"
    )
    tolerances: dict[str, Tolerance] = {}
    out = {}
    for pk, mn, password, outlet_id, names, rule_set, edition, key in rows:
        if names not in tolerances:
            try:
                tolerances[names] = Tolerance.from_names(names)
            except ValueError:
                log.warning("device %s: bad tolerances %r, using the default", mn, names)
                tolerances[names] = Tolerance()
        out[mn] = DeviceInfo(
            pk, mn, password, outlet_id, tolerances[names], rule_set, edition, _decryptor(mn, key)
        )
    return out


def _decryptor(mn: str, key: str) -> Any:
    """The SM4 decryptor of a device's HJ 212-2025 data areas, None without a (valid) key."""
    if not key:
        return None
    try:
        return sm4_ecb_decryptor(parse_sm4_key(key))
    except ValueError as exc:
        log.warning("device %s: unusable SM4 key (%s); its encrypted packets are refused", mn, exc)
        return None


# --- the registry import: outlets and devices from the bureau's sheet ---------------------------


@dataclass
class RegistryResult(ImportResult[Device]):
    """``created``/``updated``/``unchanged`` count devices (rows); the outlets' counts below."""

    outlets_created: int = 0
    outlets_updated: int = 0
    outlets_unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "outlets": {
                "created": self.outlets_created,
                "updated": self.outlets_updated,
                "unchanged": self.outlets_unchanged,
            },
            "devices": {
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
            },
        }


def can_view_registry(user: User | None) -> bool:
    """Staff see the device registry (their scope of it); enterprises and the public do not."""
    return bool(user is not None and user.is_authenticated and user.role != Role.ENTERPRISE)


def can_import_registry(user: User | None) -> bool:
    """The office imports for the whole city, county staff for enterprises of their county."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_office or (user.role == Role.COUNTY and user.region_id is not None))
    )


def registry_regions(user: User | None) -> set[int] | None:
    """Regions whose enterprises' outlets ``user`` may register: None = all (the office, or a
    system call without a user); a county its region subtree. PermissionDenied for others."""
    if user is None or user.is_office:
        return None
    if not can_import_registry(user):
        raise PermissionDenied(f"{user} may not register outlets and devices")
    return set(user.region.subtree_ids())


def _check_registry_scope(outlet: Outlet, by: User | None) -> None:
    regions = registry_regions(by)
    if regions is not None and outlet.enterprise.region_id not in regions:
        raise PermissionDenied(f"{by} may not change outlets of {outlet.enterprise}")


OUTLET_REGISTRY_FIELDS = ("name", "medium", "standard", "reference_o2", "lon", "lat", "rule_set")


def update_outlet(outlet: Outlet, wanted: dict[str, Any], *, by: User | None = None) -> list[str]:
    """Set the registry fields of ``outlet`` that differ from ``wanted``; returns the changed
    field names (saved through the model, so the audit trail records before and after). A new
    standard replaces the old standard's limits; a permit's limits (``set_limit``) stay."""
    _check_registry_scope(outlet, by)
    changes = {
        name: value
        for name, value in wanted.items()
        if name in OUTLET_REGISTRY_FIELDS and getattr(outlet, name) != value
    }
    if not changes:
        return []
    known = rules.standards()
    if changes.get("standard") and changes["standard"] not in known:
        raise ValidationError({"standard": f"unknown standard {changes['standard']!r}"})
    if "rule_set" in changes and changes["rule_set"] not in rules.rule_book().rule_sets:
        raise ValidationError({"rule_set": f"unknown rule set {changes['rule_set']!r}"})
    with transaction.atomic():
        if "standard" in changes:
            _replace_standard_limits(outlet, outlet.standard, changes["standard"])
        for name, value in changes.items():
            setattr(outlet, name, value)
        outlet.save(update_fields=list(changes))
    _contexts.pop(outlet.pk, None)
    return list(changes)


def _replace_standard_limits(outlet: Outlet, old_key: str, new_key: str) -> None:
    """Drop the limits that came from the old standard; add the new standard's factors and
    limits where the outlet has no limit for that factor and period (a permit's stays)."""
    known = rules.standards()
    old, new = known.get(old_key), known.get(new_key)
    if old is not None:
        # delete() sends the model signals per row, so the audit trail records each limit.
        Limit.objects.filter(factor__outlet=outlet, source=f"{old.title} ({old.source})").delete()
    if new is None:
        return
    for lim in new.limits:
        label, unit = FACTOR_NAMES.get(lim.factor, (lim.factor, ""))
        factor, _created = MonitoredFactor.objects.get_or_create(
            outlet=outlet, code=lim.factor, defaults={"name": label, "unit": unit}
        )
        convert = bool(new.reference_o2 and factor.unit == "mg/m3")
        if factor.convert_o2 != convert:
            factor.convert_o2 = convert
            factor.save(update_fields=["convert_o2"])
        Limit.objects.get_or_create(
            factor=factor,
            period=lim.period,
            defaults={
                "value": lim.value,
                "unit": lim.unit,
                "source": f"{new.title} ({new.source})",
            },
        )


SECRET_DEVICE_FIELDS = ("password", "sm4_key")  # kept out of the audit values and the API


def update_device(device: Device, wanted: dict[str, Any], *, by: User | None = None) -> list[str]:
    """Set the password, edition, tolerances or SM4 key of ``device`` where they differ; returns
    the changed field names. A changed secret is audited as changed, never with its value."""
    _check_registry_scope(device.outlet, by)
    changes = {
        name: value
        for name, value in wanted.items()
        if name in ("password", "edition", "tolerances", "sm4_key")
        and getattr(device, name) != value
    }
    if not changes:
        return []
    if "tolerances" in changes:
        try:
            Tolerance.from_names(changes["tolerances"])
        except ValueError as exc:
            raise ValidationError({"tolerances": str(exc)}) from exc
    if changes.get("sm4_key"):
        try:
            parse_sm4_key(changes["sm4_key"])
        except ValueError as exc:
            raise ValidationError({"sm4_key": str(exc)}) from exc
    with transaction.atomic():
        for name, value in changes.items():
            setattr(device, name, value.strip() if name == "sm4_key" else value)
        device.save(update_fields=list(changes))
        secrets_changed = {
            name: ["(hidden)", "(changed)"] for name in changes if name in SECRET_DEVICE_FIELDS
        }
        if secrets_changed:  # the tracker excludes these fields: record that they changed
            log_update(device, secrets_changed, actor=by)
    return list(changes)


def import_registry(content: bytes, filename: str, by: User | None = None) -> RegistryResult:
    """Import the outlet and device registry sheet (.xlsx or .csv, one row per data logger),
    all or nothing: ImportRejected lists every problem by file, row and column.

    An outlet is matched by enterprise (USCC) and outlet code, a device by MN; each is created
    or updated where the sheet differs (audited), so importing the same file again changes
    nothing. A county imports only outlets of enterprises in its area."""
    from . import registry

    regions = registry_regions(by)
    name = Path(filename).name or "upload"
    parsed = registry.parse_registry(content, name, regions)

    def apply(rows: list[registry.RegistryRow]) -> RegistryResult:
        with acting_as(by) if by is not None else nullcontext():
            return _apply_registry(rows, by)

    return import_all_or_nothing(parsed, apply)  # type: ignore[return-value]


def _apply_registry(rows: Sequence[Any], by: User | None) -> RegistryResult:
    result = RegistryResult(items=[])
    keys = {(r.outlet.enterprise.pk, r.outlet.code) for r in rows}
    existing = {
        (o.enterprise_id, o.code): o
        for o in Outlet.objects.filter(
            enterprise_id__in={k[0] for k in keys}, code__in={k[1] for k in keys}
        ).select_related("enterprise")
    }
    devices = {
        d.mn: d
        for d in Device.objects.filter(mn__in=[r.mn for r in rows]).select_related(
            "outlet__enterprise"
        )
    }
    done: dict[tuple[int, str], Outlet] = {}
    for row in rows:
        key = (row.outlet.enterprise.pk, row.outlet.code)
        if key not in done:
            done[key] = _registry_outlet(row.outlet, existing.get(key), result, by)
        outlet = done[key]
        device = devices.get(row.mn)
        if device is None:
            device = register_device(
                outlet,
                row.mn,
                row.password,
                tolerances=row.device.get("tolerances", ""),
                edition=row.device.get("edition", ""),
                sm4_key=row.device.get("sm4_key", ""),
            )
            result.created += 1
        elif update_device(device, {"password": row.password, **row.device}, by=by):
            result.updated += 1
        else:
            result.unchanged += 1
        result.items.append(device)  # type: ignore[union-attr]
    return result


def _registry_outlet(
    data: Any, outlet: Outlet | None, result: RegistryResult, by: User | None
) -> Outlet:
    wanted = data.wanted()
    if outlet is not None:
        changed = update_outlet(outlet, wanted, by=by)
        if changed:
            result.outlets_updated += 1
        else:
            result.outlets_unchanged += 1
        return outlet
    _check_registry_scope(Outlet(enterprise=data.enterprise), by)
    # The importer's scope was checked above (a county may register in its area, which
    # register_outlet's office/department rule does not know), so it registers as the system.
    outlet = register_outlet(
        data.enterprise,
        code=data.code,
        name=data.name,
        medium=data.medium,
        standard=data.standard,
        lon=wanted.get("lon"),
        lat=wanted.get("lat"),
        rule_set=wanted.get("rule_set") or "default",
    )
    if data.reference_o2 != outlet.reference_o2:
        update_outlet(outlet, {"reference_o2": data.reference_o2}, by=by)
    result.outlets_created += 1
    return outlet


# --- alarms after a batch ------------------------------------------------------------------------


@dataclass
class OutletContext:
    """What rule evaluation needs about an outlet, cached for a minute in the gateway."""

    outlet: Outlet
    limits: dict[str, list[tuple[str, float, bool]]]  # period -> [(factor, limit, convert)]
    rules: list[rules.Rule]
    loaded: float


_contexts: dict[int, OutletContext] = {}


_bulk_loaded = [0.0]


def load_contexts() -> int:
    """Every active outlet's context in three queries (the gateway's cache, refreshed each
    minute): loading them one by one would cost the alarm thread thousands of queries."""
    now = time.monotonic()
    limits: dict[int, dict[str, list[tuple[str, float, bool]]]] = {}
    for outlet_id, code, period, value, convert in Limit.objects.values_list(
        "factor__outlet_id", "factor__code", "period", "value", "factor__convert_o2"
    ):
        limits.setdefault(outlet_id, {}).setdefault(period, []).append((code, value, convert))
    book = rules.rule_book()
    count = 0
    for outlet in Outlet.objects.filter(active=True).select_related(
        "region", "enterprise", "supervising_department"
    ):
        _contexts[outlet.pk] = OutletContext(
            outlet, limits.get(outlet.pk, {}), book.rules_for(outlet.rule_set), now
        )
        count += 1
    subscriptions: dict[int, list[tuple[int, list[str], str]]] = {}
    for pk, outlet_id, kinds, url in (
        Subscription.objects.filter(active=True)
        .exclude(webhook_url="")
        .values_list("pk", "outlet_id", "kinds", "webhook_url")
    ):
        subscriptions.setdefault(outlet_id, []).append((pk, kinds, url))
    for outlet_pk in _contexts:
        _subscriptions[outlet_pk] = (now, subscriptions.get(outlet_pk, []))
    _bulk_loaded[0] = now
    return count


def outlet_context(outlet_pk: int) -> OutletContext | None:
    cached = _contexts.get(outlet_pk)
    if cached is not None and time.monotonic() - cached.loaded < 60:
        return cached
    if _bulk_loaded[0] and time.monotonic() - _bulk_loaded[0] >= 60:
        load_contexts()  # the gateway's periodic bulk refresh
        cached = _contexts.get(outlet_pk)
        if cached is not None:
            return cached
    outlet = (
        Outlet.objects.select_related("region", "enterprise", "supervising_department")
        .filter(pk=outlet_pk)
        .first()
    )
    if outlet is None:
        return None
    limits: dict[str, list[tuple[str, float, bool]]] = {}
    for lim in Limit.objects.filter(factor__outlet=outlet).select_related("factor"):
        limits.setdefault(lim.period, []).append(
            (lim.factor.code, lim.value, lim.factor.convert_o2)
        )
    context = OutletContext(
        outlet, limits, rules.rule_book().rules_for(outlet.rule_set), time.monotonic()
    )
    _contexts[outlet_pk] = context
    return context


def after_batch(results: Sequence[BatchResult]) -> list[Alarm]:
    """The gateway's post-commit step: exceedance and process rules on the outlets that got
    new periods, per-packet findings, quarantine alarms, webhook deliveries."""
    raised: list[Alarm] = []
    new_data: dict[int, dict[str, set[dt.datetime]]] = {}
    receipts: dict[tuple[int, str], dt.datetime] = {}
    known: dict[tuple[int, str, dt.datetime], dict[str, Any]] = {}
    for result in results:
        known.update(result.period_values)
        for outlet_pk, kinds in result.new_data.items():
            merged = new_data.setdefault(outlet_pk, {})
            for kind, moments in kinds.items():
                merged.setdefault(kind, set()).update(moments)
        for key, moment in result.earliest_receipt.items():
            receipts[key] = min(moment, receipts.get(key, moment))
        for item in result.new_quarantine:
            raised.extend(_quarantine_alarm(item))
        for item in result.findings:
            raised.extend(_packet_findings(item))
    for outlet_pk, kinds in new_data.items():
        raised.extend(evaluate_outlet(outlet_pk, kinds, receipts, known))
    queue_deliveries({o: {k: max(v) for k, v in kinds.items()} for o, kinds in new_data.items()})
    return raised


MAX_PERIODS_PER_BATCH = 48  # periods of one outlet judged per batch (a backfill beyond waits)


def evaluate_outlet(
    outlet_pk: int,
    kinds: dict[str, set[dt.datetime]],
    receipts: dict[tuple[int, str], dt.datetime] | None = None,
    known: dict[tuple[int, str, dt.datetime], dict[str, Any]] | None = None,
) -> list[Alarm]:
    """Exceedance (hour/day) and below-threshold (minute) rules for newly stored periods:
    each new hour or day ends a window; for minute rules the latest minute does."""
    context = outlet_context(outlet_pk)
    if context is None:
        return []
    raised = []
    for rule in context.rules:
        period = rule.get("period")
        if period not in kinds or rule.kind not in ("exceedance", "below_threshold"):
            continue
        moments = sorted(kinds[period])
        moments = (
            moments[-1:] if rule.kind == "below_threshold" else moments[-MAX_PERIODS_PER_BATCH:]
        )
        received = (receipts or {}).get((outlet_pk, period))
        for latest in moments:
            values = (known or {}).get((outlet_pk, period, latest))
            if (
                rule.kind == "exceedance"
                and values is not None
                and not _over_a_limit(context, period, values)
            ):
                continue  # the window's last period is compliant: no query needed
            raised.extend(_evaluate_window(context, rule, period, latest, received))
    return raised


def _over_a_limit(context: OutletContext, period: str, values: dict[str, Any]) -> bool:
    reference = context.outlet.reference_o2
    for code, limit, convert in context.limits.get(period, []):
        value, _basis = rules.compliance_value(values, code, reference if convert else None)
        if value is not None and value > limit:
            return True
    return False


def _evaluate_window(
    context: OutletContext,
    rule: rules.Rule,
    period: str,
    latest: dt.datetime,
    received: dt.datetime | None,
) -> list[Alarm]:
    outlet, outlet_pk = context.outlet, context.outlet.pk
    if rule.kind == "exceedance":
        need = int(rule.get("consecutive", 1))
        rows = _rows(outlet_pk, period, latest - rules.PERIOD_LENGTH[period] * (need - 1), latest)
        raised: list[Alarm] = []
        for code, limit, convert in context.limits.get(period, []):
            series = rules.factor_series(rows, code, outlet.reference_o2 if convert else None)
            finding = rules.exceedance(rule, code, limit, series)
            if finding is not None:
                raised.extend(raise_alarm(outlet, finding, received_at=received))
        return raised
    minutes = int(rule.get("window_minutes", 5))
    rows = _rows(outlet_pk, period, latest - dt.timedelta(minutes=minutes - 1), latest)
    series = rules.factor_series(rows, str(rule.get("factor")), convert=False)
    finding = rules.below_threshold(rule, series)
    return raise_alarm(outlet, finding, received_at=received) if finding is not None else []


def _rows(
    outlet_pk: int, kind: str, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dict[str, Any]]]:
    return list(
        Reading.objects.filter(
            outlet_id=outlet_pk, kind=kind, data_time__gte=start, data_time__lte=end
        )
        .order_by("data_time")
        .values_list("data_time", "values")
    )


def _packet_findings(item: Item) -> list[Alarm]:
    if item.device is None:
        return []
    context = outlet_context(item.device.outlet_pk)
    if context is None:
        return []
    raised = []
    for finding in item.findings:
        raised.extend(
            raise_alarm(context.outlet, finding, received_at=item.received_at, mn=item.device.mn)
        )
    return raised


def _quarantine_alarm(item: Item) -> list[Alarm]:
    book = rules.rule_book()
    rule = book.rules[item.quarantine or "unknown_device"]
    finding = rules.Finding(
        rule.name,
        rule.kind,
        rule.category,
        "",
        None,
        f"{item.message} (from {item.peer}, first seen"
        f" {timezone.localtime(item.received_at):%Y-%m-%d %H:%M:%S})",
    )
    outlet = None
    if item.device is not None:
        context = outlet_context(item.device.outlet_pk)
        outlet = context.outlet if context else None
    return raise_alarm(outlet, finding, received_at=item.received_at, mn=item.mn)


def raise_alarm(
    outlet: Outlet | None,
    finding: rules.Finding,
    *,
    received_at: dt.datetime | None = None,
    mn: str = "",
    illustrative: bool = False,
) -> list[Alarm]:
    """Store the alarm (once per outlet, rule, factor and period) and open or join its case."""
    with DB_WRITE_LOCK:
        return _raise_alarm(outlet, finding, received_at, mn, illustrative)


def _raise_alarm(
    outlet: Outlet | None,
    finding: rules.Finding,
    received_at: dt.datetime | None,
    mn: str,
    illustrative: bool,
) -> list[Alarm]:
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                outlet=outlet,
                mn=mn,
                device=Device.objects.filter(mn=mn).first() if mn else None,
                rule=finding.rule,
                kind=finding.kind,
                category=finding.category,
                factor=finding.factor,
                data_time=finding.data_time,
                value=finding.value,
                limit=finding.limit,
                message=finding.message[:500],
                received_at=received_at,
                illustrative=illustrative or bool(outlet and outlet.illustrative),
            )
    except IntegrityError:
        return []  # this condition was already alarmed
    open_alarm_case(alarm)
    return [alarm]


def warm_up() -> None:
    """Load the rule files and the case engine's tables before the first alarm needs them
    (the first case otherwise pays for reading case types, SLA rules and calendars)."""
    rules.rule_book()
    rules.standards()
    load_contexts()
    if cases_installed():
        from coact.cases import services as cases
        from coact.engines import sla as sla_engine

        cases.case_type(CASE_TYPE)
        rule = sla_engine.resolve_sla(CASE_TYPE, "monitoring", None, "urgent")
        sla_engine.due_date(rule, timezone.now())


def cases_installed() -> bool:
    return django_apps.is_installed("coact.cases")


def alarm_description_zh(alarm: Alarm, rule: rules.Rule | None) -> str:
    """The case description of an alarm, in Chinese (cases store it as text when opened; the
    English engine message stays on the alarm): what was found, then the rule's basis."""
    found = alarm_found_zh(alarm, rule)
    basis = rule.basis if rule else ""
    return f"{found}\n依据：{basis}" if basis else found


def alarm_wording(alarm: Alarm, language: str) -> tuple[str, str]:
    """(rule label, what was found) in the page language, for alarm lists: Chinese from the
    rule data and the factor table, English from the rule's label_en and the engine message."""
    if language.startswith("en"):
        return rule_label(alarm.rule, language), alarm.message
    rule = rules.rule_book().rules.get(alarm.rule)
    return rule_label(alarm.rule, language), alarm_found_zh(alarm, rule)


def rule_label(code: str, language: str) -> str:
    """An alarm rule's name in the page language (alarm_rules.yaml label / label_en)."""
    rule = rules.rule_book().rules.get(code)
    if rule is None:
        return code
    label = rule.params.get("label_en") if language.startswith("en") else None
    return str(label or rule.label or code)


def alarm_found_zh(alarm: Alarm, rule: rules.Rule | None) -> str:
    """What an alarm found, in one Chinese sentence (rules.alarm_text_zh)."""
    outlet = alarm.outlet
    unit = rules.unit_display(alarm.factor)
    converted = bool(
        outlet is not None and outlet.reference_o2 and unit == rules.unit_display("", "mg/m3")
    )
    moment = f"{timezone.localtime(alarm.data_time):%Y-%m-%d %H:%M}" if alarm.data_time else ""
    return rules.alarm_text_zh(
        rule,
        kind=alarm.kind,
        factor=alarm.factor,
        value=alarm.value,
        limit=alarm.limit,
        data_time_text=moment,
        converted=converted,
        english=alarm.message,
    )


def open_alarm_case(alarm: Alarm) -> None:
    """Open (or join, same outlet and rule) a monitoring_alarm case, routed to the county."""
    if not cases_installed():
        return
    from coact.cases import services as cases

    outlet = alarm.outlet
    rule = rules.rule_book().rules.get(alarm.rule)
    what = rule.label if rule else alarm.rule
    title = (
        f"{outlet.enterprise.name} {outlet.name}: {what}" if outlet else f"MN {alarm.mn}: {what}"
    )
    description = alarm_description_zh(alarm, rule)
    key = f"{outlet.pk}:{alarm.rule}" if outlet else f"mn:{alarm.mn}:{alarm.rule}"
    case = cases.open_case(
        CASE_TYPE,
        subject_enterprise=outlet.enterprise if outlet else None,
        address=outlet.enterprise.address if outlet else "",
        lon=outlet.lon if outlet and outlet.lat is not None else None,
        lat=outlet.lat if outlet and outlet.lon is not None else None,
        region=outlet.region if outlet else None,
        responsible_department=(
            outlet.supervising_department
            if outlet
            else Department.objects.filter(code="ecology").first()
        ),
        title=title[:300],
        description=description,
        source="monitoring",
        category=alarm.category,
        urgency="urgent" if alarm.category == "exceedance" else "normal",
        opened_by=None,
        links=[alarm],
        dedupe_key=key,
        illustrative=alarm.illustrative,
    )
    joined = bool(getattr(case, "joined", False))
    if not joined and outlet is not None:
        # Routed to the county's enforcement team (the outlet's region).
        try:
            cases.transition(case, "dispatch", None, {"assignee": f"county:{outlet.region.code}"})
        except (ValidationError, PermissionDenied) as exc:
            log.warning("case %s for alarm %s not dispatched: %s", case.pk, alarm.pk, exc)
    Alarm.objects.filter(pk=alarm.pk).update(
        case_id_ref=case.pk,
        case_number=case.number,
        case_joined=joined,
        case_linked_at=timezone.now(),
    )
    alarm.case_id_ref, alarm.case_number, alarm.case_joined = case.pk, case.number, joined


# --- periodic scan: offline, flat line, long flags -------------------------------------------


def scan_data_quality(now: dt.datetime | None = None) -> dict[str, int]:
    """No data, flat-lined values and long fault/maintenance/calibration flags, per outlet."""
    now = now or timezone.now()
    counts = {"no_data": 0, "flat_line": 0, "long_flag": 0, "outlets": 0}
    for outlet in Outlet.objects.filter(active=True).select_related("enterprise", "region"):
        counts["outlets"] += 1
        if not outlet.devices.filter(active=True).exists():
            continue
        for rule in rules.rule_book().rules_for(outlet.rule_set):
            for alarm in _scan_rule(outlet, rule, now):
                counts[rule.kind] = counts.get(rule.kind, 0) + 1
                del alarm
    return counts


def _scan_rule(outlet: Outlet, rule: rules.Rule, now: dt.datetime) -> list[Alarm]:
    if rule.kind == "no_data":
        finding = rules.no_data(rule, outlet.last_seen, now)
        if finding is None:
            return []
        # One alarm per silence: keyed by the moment data stopped.
        finding = rules.Finding(
            finding.rule,
            finding.kind,
            finding.category,
            "",
            outlet.last_seen or outlet_epoch(),
            finding.message,
        )
        return raise_alarm(outlet, finding)
    if rule.kind not in ("flat_line", "long_flag"):
        return []
    need = int(rule.get("count", rule.get("hours", 6)))
    period = rule.get("period", "hour")
    rows = list(
        Reading.objects.filter(outlet=outlet, kind=period)
        .order_by("-data_time")
        .values_list("data_time", "values")[:need]
    )[::-1]
    if len(rows) < need:
        return []
    raised = []
    codes = {
        code for _t, values in rows for code in values if not code.startswith(("_", "SB", "i"))
    }
    for code in sorted(codes):
        series = rules.factor_series(rows, code, convert=False)
        check = rules.flat_line if rule.kind == "flat_line" else rules.long_flag
        finding = check(rule, code, series)
        if finding is None:
            continue
        since = finding.data_time - rules.PERIOD_LENGTH[period] * need if finding.data_time else now
        if Alarm.objects.filter(
            outlet=outlet, rule=rule.name, factor=code, data_time__gt=since
        ).exists():
            continue  # the same run of values was already alarmed
        raised.extend(raise_alarm(outlet, finding))
    return raised


def outlet_epoch() -> dt.datetime:
    return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# --- sharing: subscriptions and signed webhooks -------------------------------------------------


def subscribe(
    subscriber: Enterprise,
    outlet: Outlet,
    *,
    webhook_url: str = "",
    kinds: Sequence[str] = ("hour",),
    by: User | None = None,
) -> Subscription:
    """A receiving plant subscribes to a water outlet that feeds it (granted by the bureau)."""
    if not can_manage(by):
        raise PermissionDenied(f"{by} may not grant data sharing")
    if outlet.medium != "water":
        raise ValidationError({"outlet": "only wastewater outlets feed a sewage plant"})
    unknown = set(kinds) - set(rules.KIND_BY_CN.values())
    if unknown:
        raise ValidationError({"kinds": f"unknown reading kinds {sorted(unknown)}"})
    subscription, _ = Subscription.objects.update_or_create(
        subscriber=subscriber,
        outlet=outlet,
        defaults={
            "webhook_url": webhook_url,
            "kinds": list(kinds),
            "active": True,
            "created_by": by,
        },
    )
    _subscriptions.clear()
    return subscription


_subscriptions: dict[int, tuple[float, list[tuple[int, list[str], str]]]] = {}


def _subscriptions_of(outlet_pk: int) -> list[tuple[int, list[str], str]]:
    cached = _subscriptions.get(outlet_pk)
    if cached is not None and time.monotonic() - cached[0] < 60:
        return cached[1]
    if _bulk_loaded[0] and time.monotonic() - _bulk_loaded[0] >= 60:
        load_contexts()
        cached = _subscriptions.get(outlet_pk)
        if cached is not None:
            return cached[1]
    rows = [
        (pk, kinds, url)
        for pk, kinds, url in Subscription.objects.filter(outlet_id=outlet_pk, active=True)
        .exclude(webhook_url="")
        .values_list("pk", "kinds", "webhook_url")
    ]
    _subscriptions[outlet_pk] = (time.monotonic(), rows)
    return rows


def queue_deliveries(new_data: dict[int, dict[str, dt.datetime]]) -> int:
    """One webhook delivery per subscription and batch: the latest reading of each kind."""
    from django_q.tasks import async_task

    queued = 0
    for outlet_pk, kinds in new_data.items():
        for pk, wanted, _url in _subscriptions_of(outlet_pk):
            chosen = {k: t for k, t in kinds.items() if k in wanted}
            if not chosen:
                continue
            readings = [
                reading_json(r)
                for r in Reading.objects.filter(
                    Q(*[Q(kind=k, data_time=t) for k, t in chosen.items()], _connector=Q.OR),
                    outlet_id=outlet_pk,
                ).select_related("outlet")
            ]
            with DB_WRITE_LOCK:
                delivery = Delivery.objects.create(
                    subscription_id=pk, payload={"outlet": outlet_pk, "readings": readings}
                )
            async_task(
                "coact.monitoring.services.deliver", delivery.pk, task_name=f"webhook-{delivery.pk}"
            )
            queued += 1
    return queued


def reading_json(reading: Reading) -> dict[str, Any]:
    return {
        "outlet": reading.outlet.code if hasattr(reading, "outlet") else reading.outlet_id,
        "permit_number": reading.outlet.permit_number,
        "kind": reading.kind,
        "data_time": reading.data_time.isoformat(),
        "received_at": reading.received_at.isoformat(),
        "values": reading.values,
    }


SIGNATURE_HEADER = "X-CoAct-Signature"


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    return hmac.compare_digest(sign(body, secret), header or "")


def deliver(delivery_pk: int, timeout: float = 10.0) -> str:
    """POST one delivery (a django-q2 task: raising makes django-q retry it)."""
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_pk)
    if delivery.delivered_at is not None:
        return "already delivered"
    subscription = delivery.subscription
    body = json.dumps(
        {"delivery": delivery.pk, "subscription": subscription.pk, **delivery.payload},
        sort_keys=True,
        ensure_ascii=False,
    ).encode("utf-8")
    request = urllib.request.Request(
        subscription.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, subscription.secret),
            "X-CoAct-Delivery": str(delivery.pk),
        },
    )
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except Exception as exc:
        Delivery.objects.filter(pk=delivery.pk).update(last_error=str(exc)[:300])
        raise
    if status >= 300:
        Delivery.objects.filter(pk=delivery.pk).update(last_error=f"HTTP {status}")
        raise RuntimeError(f"webhook answered HTTP {status}")
    Delivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now(), last_error="")
    return "delivered"


# --- the plan's coverage indicator ---------------------------------------------------------------


def automatic_monitoring_coverage(
    now: dt.datetime | None = None,
) -> dict[str | None, dict[str, Any]]:
    """Per county code (None: the whole city): enterprises required to have automatic
    monitoring, how many are connected and reporting (every required outlet has an active
    device and a packet within 24 h), and the share in percent."""
    now = now or timezone.now()
    since = now - REPORTING_WINDOW
    by_enterprise: dict[int, dict[str, Any]] = {}
    for outlet in (
        Outlet.objects.filter(requires_automatic_monitoring=True, active=True)
        .select_related("region")
        .prefetch_related("devices")
    ):
        reporting = (
            outlet.last_seen is not None
            and outlet.last_seen >= since
            and any(d.active for d in outlet.devices.all())
        )
        entry = by_enterprise.setdefault(
            outlet.enterprise_id,
            {"region": outlet.region.code, "covered": True, "illustrative": False},
        )
        entry["covered"] = entry["covered"] and reporting
        entry["illustrative"] = entry["illustrative"] or outlet.illustrative
    out: dict[str | None, dict[str, Any]] = {}
    for entry in by_enterprise.values():
        for key in (None, entry["region"]):
            row = out.setdefault(key, {"required": 0, "covered": 0, "illustrative": False})
            row["required"] += 1
            row["covered"] += int(entry["covered"])
            row["illustrative"] = row["illustrative"] or entry["illustrative"]
    for row in out.values():
        row["percent"] = (
            round(100.0 * row["covered"] / row["required"], 1) if row["required"] else None
        )
    return out


def record_coverage(as_of: dt.date | None = None) -> int:
    """Feed the city value to every plan indicator computed by this module."""
    from coact.plan import services as plan_services

    as_of = as_of or timezone.localdate()
    city = automatic_monitoring_coverage().get(None)
    if not city or city["percent"] is None:
        return 0
    recorded = 0
    for indicator in plan_services.indicators_computed_by(COVERAGE_INDICATOR):
        plan_services.record_observation(
            indicator,
            plan_services.ObservationInput(
                value=city["percent"],
                period_start=as_of,
                period_end=as_of,
                source=f"CoAct HJ 212 gateway: {city['covered']} of {city['required']} enterprises"
                " required to have automatic monitoring reported within 24 h",
            ),
            computed_by=COVERAGE_INDICATOR,
            illustrative=city["illustrative"],
        )
        recorded += 1
    return recorded


# --- statistics ---------------------------------------------------------------------------------


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def alarm_statistics(user: Any) -> dict[str, Any]:
    """Alarms by rule, county and enterprise; response and closing times of their cases."""
    from django.db.models import Count

    alarms = Alarm.objects.visible_to(user)
    by_rule = list(alarms.values("rule", "category").annotate(n=Count("id")).order_by("-n"))
    by_county = list(alarms.values("outlet__region__name").annotate(n=Count("id")).order_by("-n"))
    by_enterprise = list(
        alarms.values("outlet__enterprise__name").annotate(n=Count("id")).order_by("-n")
    )
    times = {"response_hours": [], "closing_hours": []}
    if cases_installed():
        from coact.cases import services as cases

        for case in cases.visible_cases(user).filter(case_type=CASE_TYPE)[:2000]:
            explained = (case.events or {}).get("explained")
            if explained:
                times["response_hours"].append(
                    _hours(dt.datetime.fromisoformat(explained) - case.received_at)
                )
            if case.closed_at:
                times["closing_hours"].append(_hours(case.closed_at - case.received_at))
    return {
        "by_rule": by_rule,
        "by_county": by_county,
        "by_enterprise": by_enterprise,
        "response_median_hours": _median(times["response_hours"]),
        "closing_median_hours": _median(times["closing_hours"]),
        "responses": len(times["response_hours"]),
        "closed": len(times["closing_hours"]),
    }


def _median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else round((ordered[mid - 1] + ordered[mid]) / 2, 2)
