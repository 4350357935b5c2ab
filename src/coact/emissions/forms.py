"""Forms of the emissions pages; the scenario builder's grid of drivers and uptakes is parsed
by ``builder_changes`` into the document fields that services.update_scenario accepts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import engine
from .queries import DEFAULT_TARGETS

GWP_CHOICES = [("AR4", "AR4"), ("AR5", "AR5"), ("AR6", "AR6")]


class NewScenarioForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False)
    start = forms.ChoiceField(label=_("Start from"))

    def __init__(self, *args: Any, inventories: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = [("demo", _("the demo scenario (illustrative)"))] + [
            (f"inventory:{i.pk}", f"{_('inventory')}: {i.name}") for i in inventories
        ]


class OptimiseForm(forms.Form):
    targets = forms.CharField(
        label=_("Targets (change vs base year)"),
        initial=DEFAULT_TARGETS,
        help_text=_("e.g. NOx=-10%, VOCs=-12%, CO2_intensity=-18%"),
    )
    budget = forms.FloatField(label=_("Budget (CNY per year)"), required=False, min_value=0)
    year = forms.IntegerField(label=_("Target year"), required=False)
    granularity = forms.ChoiceField(
        label=_("Decide per"),
        choices=[("measure", _("measure")), ("pair", _("measure and source"))],
        initial="measure",
    )


class InventoryUploadForm(forms.Form):
    name = forms.CharField(label=_("Inventory name"), max_length=200, required=False)
    file = forms.FileField(label=_("Filled template (.xlsx)"))


def _number(text: str, field: str, errors: dict[str, str], minimum: float = 0.0) -> float | None:
    text = text.strip()
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        errors[field] = f"{text!r} is not a number"
        return None
    if value < minimum:
        errors[field] = f"{value} is below {minimum}"
        return None
    return value


def _years(text: str, errors: dict[str, str]) -> list[int]:
    try:
        return sorted({int(part) for part in text.replace(",", " ").split()})
    except ValueError:
        errors["years"] = f"{text!r}: give target years separated by commas"
        return []


def builder_changes(post: Any, document: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Document changes from the builder form; errors keyed by field (drivers.GDP.2021 ...)."""
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {
        "name": post.get("name", document.get("name", "")),
        "description": post.get("description", document.get("description", "")),
        "gwp": post.get("gwp", document.get("gwp", "AR5")),
    }
    try:
        base_year = int(post.get("base_year", document["base_year"]))
    except ValueError:
        errors["base_year"] = "the base year must be a year"
        base_year = int(document["base_year"])
    years = _years(post.get("years", ""), errors) or list(document["years"])
    all_years = [base_year, *years]
    drivers: dict[str, dict[str, float]] = {}
    for name, old in document.get("drivers", {}).items():
        values: dict[str, float] = {}
        for year in all_years:
            field = f"drivers.{name}.{year}"
            raw = post.get(field)
            value = _number(raw, field, errors) if raw is not None else old.get(str(year))
            if value is not None:
                values[str(year)] = value
        drivers[name] = _carry(values, all_years)
    apply: dict[str, dict[str, float]] = {}
    for measure_id, measure in engine.catalogue().items():
        values = {}
        for year in years:
            field = f"apply.{measure_id}.{year}"
            raw = post.get(field)
            if raw is None:
                old = document.get("apply", {}).get(measure_id, {}).get(str(year))
                value = old
            else:
                value = _number(raw, field, errors)
            if value is not None:
                if value > measure.max_uptake:
                    errors[field] = f"{value} is above the uptake limit {measure.max_uptake}"
                values[str(year)] = value
        if values:
            apply[measure_id] = values
    changes.update(base_year=base_year, years=years, drivers=drivers, apply=apply)
    return changes, errors


def _carry(values: dict[str, float], years: list[int]) -> dict[str, float]:
    """Years added to the scenario take the nearest earlier level (else the first given)."""
    if not values:
        return values
    out: dict[str, float] = {}
    last = values[min(values, key=int)]
    for year in years:
        last = values.get(str(year), last)
        out[str(year)] = last
    return out


def builder_rows(document: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The grid the builder template draws: drivers x all years, measures x target years;
    each cell is (year, value, field name, error)."""
    errors = errors or {}
    years = [int(y) for y in document["years"]]
    all_years = [int(document["base_year"]), *years]

    def cells(prefix: str, values: dict[str, Any], for_years: list[int]) -> list[tuple[Any, ...]]:
        return [
            (y, values.get(str(y), ""), f"{prefix}.{y}", errors.get(f"{prefix}.{y}", ""))
            for y in for_years
        ]

    language = get_language() or "zh-hans"
    drivers = [
        (name, engine.driver_label(name, language), cells(f"drivers.{name}", values, all_years))
        for name, values in document.get("drivers", {}).items()
    ]
    applied = document.get("apply", {})
    measures = [
        (
            measure_id,
            measure.name,
            measure.max_uptake,
            cells(f"apply.{measure_id}", applied.get(measure_id, {}), years),
        )
        for measure_id, measure in engine.catalogue().items()
    ]
    general = {k: v for k, v in errors.items() if not k.startswith(("drivers.", "apply."))}
    return {
        "all_years": all_years,
        "years": years,
        "drivers": drivers,
        "measures": measures,
        "general_errors": general,
        "cell_errors": {k: v for k, v in errors.items() if k not in general},
    }
