"""The bridge between stored scenario documents (JSON) and the co-control engine.

A scenario document has the keys of the engine's scenario YAML (docs/co-control.md) with the
source table inlined as a list of row dicts, so a stored scenario runs without any file.
Engine input errors become Django ValidationErrors keyed by the document field at fault.
"""

from __future__ import annotations

import copy
import math
import re
from functools import lru_cache
from typing import Any

import pandas as pd
import yaml
from django.core.exceptions import ValidationError

from coact.engines import inventory
from coact.engines.inventory.factors import data_dir
from coact.engines.inventory.scenarios import SHIPPED_SCENARIOS

DEMO = "demo"
DOCUMENT_KEYS = (
    "name",
    "description",
    "illustrative",
    "base_year",
    "years",
    "region",
    "gwp",
    "sources",
    "measures",
    "drivers",
    "apply",
)
_FIELD = re.compile(r"field '([A-Za-z0-9_.\-]+)'")


def shipped_document(name: str = DEMO) -> dict[str, Any]:
    """A shipped scenario (YAML + CSV) as one JSON-able document with its sources inlined."""
    path = data_dir() / SHIPPED_SCENARIOS[name]
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sources = pd.read_csv(path.parent / raw["sources"], dtype=str, keep_default_na=False)
    document = {key: raw[key] for key in DOCUMENT_KEYS if key in raw}
    document["sources"] = sources.to_dict(orient="records")
    return _plain(document)


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """Year keys as strings (JSON has no integer keys) so stored and fresh documents compare."""
    out = copy.deepcopy(document)
    for key in ("drivers", "apply"):
        out[key] = {
            name: {str(year): value for year, value in (values or {}).items()}
            for name, values in (out.get(key) or {}).items()
        }
    return out


def field_of(message: str) -> str:
    """The document field an engine message names ('drivers.GDP', 'apply.x', 'sources'...)."""
    if message.startswith("source ") or " row " in message:
        return "sources"
    match = _FIELD.search(message)
    return match.group(1) if match else "document"


def to_engine(document: dict[str, Any]) -> inventory.Scenario:
    """Load a stored document into the engine; bad input raises ValidationError by field."""
    spec = {k: v for k, v in document.items() if k in DOCUMENT_KEYS and k != "illustrative"}
    rows = document.get("sources")
    if not isinstance(rows, list) or not rows:
        raise ValidationError({"sources": "the scenario has no emission sources"})
    spec["sources"] = pd.DataFrame(rows).fillna("").astype(str)
    spec["measures"] = "default"  # stored scenarios use the shipped catalogue
    try:
        return inventory.load_scenario(spec)
    except (inventory.InventoryError, inventory.UnitMismatchError) as error:
        raise ValidationError({field_of(str(error)): str(error)}) from error


def clean(value: Any) -> Any:
    """NaN and infinities become None (JSON null); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summarise(scenario: inventory.Scenario) -> dict[str, Any]:
    """Run the scenario and its no-measure pathway; the JSON the pages and the API show.

    Tonnes per year; costs in CNY/yr; intensity change in % against the base year (CO2
    including purchased electricity per unit of the GDP driver).
    """
    model = inventory.build_model(scenario)
    result = inventory.run_scenario(scenario, model)
    reference = inventory.run_reference(scenario, model)
    years = list(scenario.all_years)
    target_year = scenario.years[-1]
    totals, reference_totals = result.totals(), reference.totals()
    sector = result.by("pollutant", "sector", "year")
    by_sector: dict[str, dict[str, list[float]]] = {}
    for (pollutant, name), rows in sector.groupby(["pollutant", "sector"], sort=True):
        series = rows.set_index("year")["tonnes"].reindex(years, fill_value=0.0)
        by_sector.setdefault(str(pollutant), {})[str(name)] = series.tolist()
    metrics = inventory.measure_metrics(scenario, target_year)
    summary = {
        "name": scenario.name,
        "base_year": scenario.base_year,
        "years": years,
        "target_year": target_year,
        "pollutants": [str(p) for p in totals.index],
        "totals": {str(p): totals.loc[p, years].tolist() for p in totals.index},
        "reference_totals": {
            str(p): reference_totals.loc[p, years].tolist() for p in reference_totals.index
        },
        "by_sector": by_sector,
        "metrics": metrics.to_dict(orient="records"),
        "measure_names": {m: scenario.measures[m].name for m in scenario.uptake},
        "costs": {
            str(m): row.tolist()
            for m, row in result.measure_costs().reindex(columns=years).iterrows()
        },
        "co2_intensity_change_pct": _intensity_change(scenario, totals.loc["CO2", years].tolist()),
    }
    return clean(summary)


def _intensity_change(scenario: inventory.Scenario, co2: list[float]) -> list[float] | None:
    gdp = scenario.gdp()
    if not gdp:
        return None
    years = scenario.all_years
    base = co2[0] / gdp[scenario.base_year]
    return [(co2[i] / gdp[y] / base - 1.0) * 100.0 for i, y in enumerate(years)]


def parse_targets(text_or_list: str | list[str], scenario: inventory.Scenario) -> list[str]:
    """'NOx=-10%, VOCs=-12%' or a list of such strings; each checked, errors name the target."""
    items = (
        [t.strip() for t in re.split(r"[,;\n]+", text_or_list) if t.strip()]
        if isinstance(text_or_list, str)
        else [str(t).strip() for t in text_or_list if str(t).strip()]
    )
    if not items:
        raise ValidationError({"targets": "give at least one target, e.g. NOx=-10%"})
    pollutants = scenario.reference.pollutants
    for item in items:
        try:
            inventory.parse_target(item, pollutants)
        except inventory.InventoryError as error:
            raise ValidationError({"targets": f"{item!r}: {error}"}) from error
    return items


@lru_cache(maxsize=1)
def catalogue() -> dict[str, inventory.Measure]:
    """The shipped measure catalogue (what a stored scenario can apply)."""
    return inventory.load_measures(data_dir() / "measures.yaml", inventory.default_reference_data())


@lru_cache(maxsize=4)
def vocabulary(name: str) -> dict[str, dict[str, str]]:
    """Readable names by code from data/emissions/<name>.yaml (drivers, sectors)."""
    return yaml.safe_load((data_dir() / f"{name}.yaml").read_text(encoding="utf-8")) or {}


def driver_label(key: str, language: str) -> str:
    """A growth driver's name in the page language; its key when it has none."""
    return _label(vocabulary("drivers"), key, language)


def sector_label(code: str, language: str) -> str:
    """A sector's name in the page language; its code when it has none."""
    return _label(vocabulary("sectors"), code, language)


def _label(names: dict[str, dict[str, str]], code: str, language: str) -> str:
    entry = names.get(code) or {}
    return entry.get("en" if language.startswith("en") else "zh") or code
