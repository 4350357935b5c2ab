"""JSON API of the emissions app: scenarios CRUD, run, results, metrics, optimisation, MAC
curves, comparison, publication and inventory import, with the same roles as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from coact.core.api import READ_AUTH, WRITE_AUTH

from . import queries, services, workbooks
from .models import Inventory, Scenario

router = Router(tags=["emissions"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scenario(request: HttpRequest, scenario_id: int) -> Scenario:
    return get_object_or_404(Scenario.objects.visible_to(request.user), pk=scenario_id)


class ScenarioOut(Schema):
    id: int
    name: str
    description: str
    illustrative: bool
    version: int
    base_year: int
    years: list[int]
    published: bool
    published_plan: str | None
    published_at: dt.datetime | None
    run_at: dt.datetime | None
    results_current: bool
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ScenarioDetailOut(ScenarioOut):
    document: dict[str, Any]


class ScenarioIn(Schema):
    name: str = Field(min_length=1)
    description: str = ""
    inventory: int | None = Field(None, description="start from this imported inventory's sources")
    document: dict[str, Any] | None = Field(
        None, description="a full engine scenario document (sources inlined); default: the demo"
    )


class ScenarioPatch(Schema):
    name: str | None = None
    description: str | None = None
    base_year: int | None = None
    years: list[int] | None = None
    gwp: str | None = None
    drivers: dict[str, dict[str, float]] | None = Field(
        None, description="driver -> year -> level (ratios to the base year are used)"
    )
    apply: dict[str, dict[str, float]] | None = Field(
        None, description="measure id -> year -> uptake share 0..1"
    )
    expected_version: int | None = None


class OptimiseIn(Schema):
    targets: list[str] = Field(description="e.g. ['NOx=-10%', 'VOCs=-12%', 'CO2_intensity=-18%']")
    budget: float | None = Field(None, description="CNY per year")
    year: int | None = None
    granularity: str = "measure"


class PublishIn(Schema):
    plan: str | None = Field(None, description="plan code; optional when only one plan is fed")


class InventoryOut(Schema):
    id: int
    name: str
    file_name: str
    illustrative: bool
    sources: int
    created_at: dt.datetime


def _out(s: Scenario, detail: bool = False) -> dict[str, Any]:
    out = {
        "id": s.pk,
        "name": s.name,
        "description": s.description,
        "illustrative": s.illustrative,
        "version": s.version,
        "base_year": s.document.get("base_year"),
        "years": s.document.get("years", []),
        "published": s.published,
        "published_plan": s.published_plan.code if s.published_plan_id else None,
        "published_at": s.published_at,
        "run_at": s.run_at,
        "results_current": s.is_current,
        "created_by": str(s.created_by) if s.created_by_id else None,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }
    if detail:
        out["document"] = s.document
    return out


def _inventory_out(i: Inventory) -> dict[str, Any]:
    return {
        "id": i.pk,
        "name": i.name,
        "file_name": i.file_name,
        "illustrative": i.illustrative,
        "sources": len(i.rows),
        "created_at": i.created_at,
    }


@router.get("/emissions/scenarios", response=list[ScenarioOut], auth=READ_AUTH)
def list_scenarios(request: HttpRequest) -> list[dict[str, Any]]:
    qs = Scenario.objects.visible_to(request.user).select_related("published_plan", "created_by")
    return [_out(s) for s in qs]


@router.post("/emissions/scenarios", response={201: ScenarioDetailOut}, auth=WRITE_AUTH)
def create_scenario(request: HttpRequest, payload: ScenarioIn) -> Any:
    inventory = None
    if payload.inventory is not None:
        inventory = get_object_or_404(
            Inventory.objects.visible_to(request.user), pk=payload.inventory
        )
    scenario = services.create_scenario(
        request.user, payload.name, payload.description, inventory, payload.document
    )
    return Status(201, _out(scenario, detail=True))


@router.get("/emissions/scenarios/{scenario_id}", response=ScenarioDetailOut, auth=READ_AUTH)
def get_scenario(request: HttpRequest, scenario_id: int) -> dict[str, Any]:
    return _out(_scenario(request, scenario_id), detail=True)


@router.patch(
    "/emissions/scenarios/{scenario_id}",
    response={200: ScenarioDetailOut, 409: dict},
    auth=WRITE_AUTH,
)
def update_scenario(request: HttpRequest, scenario_id: int, payload: ScenarioPatch) -> Any:
    changes = payload.dict(exclude_none=True)
    expected = changes.pop("expected_version", None)
    try:
        scenario = services.update_scenario(
            _scenario(request, scenario_id), changes, request.user, expected
        )
    except services.Conflict as exc:
        return Status(409, {"detail": str(exc)})
    return Status(200, _out(scenario, detail=True))


@router.delete("/emissions/scenarios/{scenario_id}", response={204: None}, auth=WRITE_AUTH)
def delete_scenario(request: HttpRequest, scenario_id: int) -> Any:
    services.delete_scenario(_scenario(request, scenario_id), request.user)
    return Status(204, None)


@router.post("/emissions/scenarios/{scenario_id}/run", auth=WRITE_AUTH)
def run_scenario(request: HttpRequest, scenario_id: int) -> dict[str, Any]:
    return services.run_scenario(_scenario(request, scenario_id), request.user).results


@router.get("/emissions/scenarios/{scenario_id}/results", auth=READ_AUTH)
def results(request: HttpRequest, scenario_id: int) -> dict[str, Any]:
    """Totals, reference totals, emissions by sector, measure metrics and costs of the last run."""
    return services.ensure_results(_scenario(request, scenario_id), request.user)


@router.get("/emissions/scenarios/{scenario_id}/metrics", auth=READ_AUTH)
def metrics(request: HttpRequest, scenario_id: int, year: int | None = None) -> Any:
    return queries.metrics(_scenario(request, scenario_id), year)


@router.post("/emissions/scenarios/{scenario_id}/optimise", auth=READ_AUTH)
def optimise(request: HttpRequest, scenario_id: int, payload: OptimiseIn) -> dict[str, Any]:
    return queries.optimise(
        _scenario(request, scenario_id),
        payload.targets,
        payload.budget,
        payload.year,
        payload.granularity,
    )


@router.get("/emissions/scenarios/{scenario_id}/macc", auth=READ_AUTH)
def macc(request: HttpRequest, scenario_id: int, pollutant: str = "CO2", steps: int = 8) -> Any:
    return queries.macc(_scenario(request, scenario_id), pollutant, steps)


@router.post("/emissions/scenarios/{scenario_id}/publish", auth=WRITE_AUTH)
def publish(request: HttpRequest, scenario_id: int, payload: PublishIn) -> dict[str, Any]:
    scenario = _scenario(request, scenario_id)
    plan = None
    if payload.plan:
        plan = next((p for p in services.plans_fed() if p.code == payload.plan), None)
        if plan is None:
            raise ValidationError({"plan": f"no plan {payload.plan!r} is fed by emissions"})
    observations = services.publish_scenario(scenario, request.user, plan)
    return {
        "scenario": scenario.pk,
        "plan": scenario.published_plan.code,
        "observations": [
            {
                "indicator": o.indicator.code,
                "computed_by": o.computed_by,
                "year": o.period_end.year,
                "value": o.value,
                "projection": o.projection,
                "illustrative": o.illustrative,
            }
            for o in observations
        ],
    }


@router.get("/emissions/compare", auth=READ_AUTH)
def compare(request: HttpRequest, ids: str) -> dict[str, Any]:
    """``ids``: comma-separated scenario ids (each must be visible to the caller)."""
    try:
        wanted = [int(i) for i in ids.split(",") if i.strip()]
    except ValueError as exc:
        raise ValidationError({"ids": "comma-separated scenario ids"}) from exc
    records = [_scenario(request, pk) for pk in wanted]
    return queries.comparison(records)


@router.get("/emissions/inventories", response=list[InventoryOut], auth=WRITE_AUTH)
def list_inventories(request: HttpRequest) -> list[dict[str, Any]]:
    return [_inventory_out(i) for i in Inventory.objects.visible_to(request.user)]


@router.get("/emissions/inventories/template", auth=READ_AUTH, response={200: None})
def inventory_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(workbooks.template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="coact-emission-sources.xlsx"'
    return response


@router.post("/emissions/inventories/import", response={201: InventoryOut}, auth=WRITE_AUTH)
def import_inventory(request: HttpRequest, file: File[UploadedFile], name: Form[str] = "") -> Any:
    """All or nothing: a 400 lists every problem by file, sheet, row and column."""
    result = workbooks.import_inventory(file.read(), file.name, request.user, name)
    return Status(201, _inventory_out(result.items[0]))


@router.get("/emissions/inventories/{inventory_id}", auth=WRITE_AUTH)
def get_inventory(request: HttpRequest, inventory_id: int) -> dict[str, Any]:
    inventory = get_object_or_404(Inventory.objects.visible_to(request.user), pk=inventory_id)
    return {**_inventory_out(inventory), "rows": inventory.rows}
