"""Every write and business rule of the emissions app: scenarios (create, edit, run, delete,
publish as the plan's projection) and imported inventories. Views and the API call these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coact.core.audit import log_update
from coact.core.models import User
from coact.plan import services as plan_services

from . import engine
from .models import Inventory, Scenario, is_editor

# Plan indicators fed by a published scenario (computed_by names in the plan files).
NOX_REDUCTION = "emissions.nox_reduction"
VOCS_REDUCTION = "emissions.vocs_reduction"
CO2_INTENSITY_CHANGE = "emissions.co2_intensity_change"
PUBLISHED_INDICATORS = (NOX_REDUCTION, VOCS_REDUCTION, CO2_INTENSITY_CHANGE)
EDITABLE_FIELDS = ("base_year", "years", "gwp", "drivers", "apply", "region")


class Conflict(Exception):
    """Someone else changed the scenario first; nothing was stored."""


def require_editor(user: User, action: str) -> None:
    if not is_editor(user):
        raise PermissionDenied(f"{user} may not {action} emission scenarios")


# --- scenarios -----------------------------------------------------------------


def starting_document(inventory: Inventory | None = None) -> dict[str, Any]:
    """The demo's years, drivers and uptakes, with the demo's or the inventory's sources."""
    document = engine.shipped_document(engine.DEMO)
    if inventory is not None:
        document["sources"] = inventory.rows
        document["illustrative"] = inventory.illustrative
        document["description"] = f"sources from inventory {inventory.name}"
    return document


def create_scenario(
    by: User,
    name: str,
    description: str = "",
    inventory: Inventory | None = None,
    document: dict[str, Any] | None = None,
) -> Scenario:
    """A new scenario from the demo, an imported inventory, or a full document."""
    require_editor(by, "create")
    if not name.strip():
        raise ValidationError({"name": "give the scenario a name"})
    document = engine._plain(document) if document is not None else starting_document(inventory)
    document["name"] = name.strip()
    if description:
        document["description"] = description
    engine.to_engine(document)  # validate before storing
    illustrative = bool(document.get("illustrative")) or _sources_illustrative(document)
    return Scenario.objects.create(
        name=name.strip(),
        description=description or str(document.get("description", "")),
        document=document,
        illustrative=illustrative,
        inventory=inventory,
        department=by.department if by.role == "department" else None,
        created_by=by,
        updated_by=by,
    )


def _sources_illustrative(document: dict[str, Any]) -> bool:
    flags = {str(r.get("illustrative", "")).strip().lower() for r in document.get("sources", [])}
    return bool(flags & {"true", "1", "yes"})


def update_scenario(
    scenario: Scenario,
    changes: dict[str, Any],
    by: User,
    expected_version: int | None = None,
) -> Scenario:
    """Change the name, description, years, drivers or uptakes; the engine checks the result.

    ``changes`` may hold ``name``, ``description`` and the document fields in EDITABLE_FIELDS.
    """
    require_editor(by, "edit")
    unknown = sorted(set(changes) - {"name", "description", *EDITABLE_FIELDS})
    if unknown:
        raise ValidationError({unknown[0]: f"{unknown[0]!r} cannot be changed here"})
    with transaction.atomic():
        locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if expected_version is not None and expected_version != locked.version:
            raise Conflict("someone else changed this scenario since you opened it; reload it")
        document = dict(locked.document)
        document.update({k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
        document = engine._plain(document)
        if "name" in changes:
            if not str(changes["name"]).strip():
                raise ValidationError({"name": "give the scenario a name"})
            locked.name = document["name"] = str(changes["name"]).strip()
        if "description" in changes:
            locked.description = document["description"] = str(changes["description"])
        engine.to_engine(document)
        locked.document = document
        locked.version += 1
        locked.updated_by = by
        locked.save()
    return locked


def delete_scenario(scenario: Scenario, by: User) -> None:
    require_editor(by, "delete")
    if scenario.published:
        raise ValidationError({"published": "a published scenario cannot be deleted"})
    scenario.delete()


def run_scenario(scenario: Scenario, by: User) -> Scenario:
    """Run the engine and store the summary with the document version it belongs to."""
    require_editor(by, "run")
    summary = engine.summarise(engine.to_engine(scenario.document))
    summary["version"] = scenario.version
    summary["illustrative"] = scenario.illustrative
    scenario.results = summary
    scenario.run_at = timezone.now()
    scenario.run_by = by
    scenario.save(update_fields=["results", "run_at", "run_by"])
    return scenario


def ensure_results(scenario: Scenario, by: User | None) -> dict[str, Any]:
    """Current results: the stored ones, or a fresh run by an editor."""
    if scenario.is_current:
        return scenario.results
    if by is None or not is_editor(by):
        raise ValidationError({"results": "this scenario has not been run since it changed"})
    return run_scenario(scenario, by).results


# --- publication as the plan's projection ---------------------------------------------


def plans_fed() -> list[Any]:
    """The plans that have at least one indicator computed by this module."""
    plans: dict[int, Any] = {}
    for name in PUBLISHED_INDICATORS:
        for indicator in plan_services.indicators_computed_by(name):
            plans.setdefault(indicator.plan_id, indicator.plan)
    return list(plans.values())


def projection_values(results: dict[str, Any]) -> dict[str, dict[int, float]]:
    """Indicator values by computed_by name and year, from a scenario's results.

    NOx/VOCs: the reduction the measures bring in that year, reference minus scenario (t).
    CO2 intensity: the fall in CO2 per unit of GDP against the base year, % (positive = lower;
    the indicator is a fall, the engine gives the change, so the sign is reversed).
    """
    years = results["years"]
    out: dict[str, dict[int, float]] = {}
    for name, pollutant in ((NOX_REDUCTION, "NOx"), (VOCS_REDUCTION, "VOCs")):
        with_m, without = results["totals"][pollutant], results["reference_totals"][pollutant]
        out[name] = {
            year: round(without[i] - with_m[i], 1)
            for i, year in enumerate(years)
            if year != results["base_year"]
        }
    change = results.get("co2_intensity_change_pct")
    if change:
        out[CO2_INTENSITY_CHANGE] = {
            year: round(-change[i], 2)
            for i, year in enumerate(years)
            if year != results["base_year"]
        }
    return out


def publish_scenario(scenario: Scenario, by: User, plan: Any | None = None) -> list[Any]:
    """Make ``scenario`` the plan's projection: one published scenario per plan.

    Every indicator of the plan computed by this module gets one projection observation per
    scenario year through plan.services.record_observation; an earlier published scenario's
    values for the same years are superseded by that service. Returns the observations.
    """
    require_editor(by, "publish")
    candidates = plans_fed()
    if plan is None:
        if len(candidates) != 1:
            raise ValidationError({"plan": "name the plan the projection is for"})
        plan = candidates[0]
    if plan.pk not in {p.pk for p in candidates}:
        raise ValidationError({"plan": f"plan {plan} has no indicator computed by emissions"})
    results = ensure_results(scenario, by)
    values = projection_values(results)
    label = "示例 illustrative " if scenario.illustrative else ""
    source = f"{label}减污降碳情景预测 projection: scenario #{scenario.pk} {scenario.name}"
    note = (
        f"published by {by} on {timezone.localdate().isoformat()}; base year "
        f"{results['base_year']}; scenario version {scenario.version}"
    )
    observations = []
    with transaction.atomic():
        superseded = list(
            Scenario.objects.select_for_update()
            .filter(published=True, published_plan=plan)
            .exclude(pk=scenario.pk)
        )
        Scenario.objects.filter(pk__in=[s.pk for s in superseded]).update(published=False)
        for previous in superseded:
            _log_unpublished(previous)
        scenario.published = True
        scenario.published_plan = plan
        scenario.published_by = by
        scenario.published_at = timezone.now()
        scenario.save(update_fields=["published", "published_plan", "published_by", "published_at"])
        for name, by_year in values.items():
            for indicator in plan_services.indicators_computed_by(name):
                if indicator.plan_id != plan.pk:
                    continue
                for year, value in sorted(by_year.items()):
                    observations.append(
                        plan_services.record_observation(
                            indicator,
                            plan_services.ObservationInput(
                                value=value,
                                period_start=dt.date(year, 1, 1),
                                period_end=dt.date(year, 12, 31),
                                as_of=timezone.localdate(),
                                source=source[:300],
                                note=note,
                            ),
                            computed_by=name,
                            projection=True,
                            illustrative=scenario.illustrative,
                        )
                    )
    return observations


def _log_unpublished(scenario: Scenario) -> None:
    # .update() bypasses the audit signals, so the change of state is logged explicitly.
    log_update(scenario, {"published": ["True", "False (superseded by another scenario)"]})


# --- inventories -----------------------------------------------------------------


def create_inventory(
    by: User,
    name: str,
    rows: list[dict[str, str]],
    file_name: str = "",
    description: str = "",
) -> Inventory:
    require_editor(by, "import inventories for")
    illustrative = any(str(r.get("illustrative", "")).lower() == "true" for r in rows)
    return Inventory.objects.create(
        name=name.strip() or file_name or "inventory",
        description=description,
        rows=rows,
        file_name=file_name,
        illustrative=illustrative,
        department=by.department if by.role == "department" else None,
        created_by=by,
    )


# --- demo -----------------------------------------------------------------

DEMO_NAME = "示例情景 Demo scenario (illustrative)"


def ensure_demo_scenario() -> tuple[Scenario, bool]:
    """The shipped demo scenario as a record (illustrative), run once; created by the system."""
    existing = Scenario.objects.filter(name=DEMO_NAME, created_by__isnull=True).first()
    if existing is not None:
        return existing, False
    document = starting_document()
    document["name"] = DEMO_NAME
    scenario = Scenario.objects.create(
        name=DEMO_NAME,
        description=str(document.get("description", "")),
        document=document,
        illustrative=True,
    )
    summary = engine.summarise(engine.to_engine(document))
    summary.update(version=scenario.version, illustrative=True)
    scenario.results = summary
    scenario.run_at = timezone.now()
    scenario.save(update_fields=["results", "run_at"])
    return scenario, True
