"""Measures as data: what a measure changes, on which sources, at what annualised cost.

Two kinds, as in GAINS (technologies never change activity; structural measures do):

* ``control``: a technology is fitted to a share ``u`` of the selected sources; emissions of those
  sources are multiplied by (1 - u x eta[p]) on top of existing controls, and the technology's side
  effects (electricity x grid factor, reagent CO2, ammonia slip) are added.
* ``activity``: a share ``u x reduction`` of the selected activity is removed (eliminated trucks,
  straw no longer burned, coal replaced); optionally it is replaced by another activity (gas, grid
  electricity, rail or water freight) at ``ratio`` units of replacement per unit removed.

Cost per unit of affected activity and year: investment x CRF + O&M - energy savings, with the
capital recovery factor CRF = r(1+r)^n / ((1+r)^n - 1) (the RAINS/GAINS annuity). A programme-level
``fixed_investment`` makes adoption a yes/no decision in the optimiser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .factors import ReferenceData
from .io import InventoryError, read_yaml, require_mapping, require_number
from .units import is_known_unit

SELECTABLE_COLUMNS = (
    "source_id",
    "sector",
    "county",
    "county_code",
    "kind",
    "fuel",
    "type",
    "stage",
    "profile",
    "size_class",
    "controls",
    "region",
)


def capital_recovery_factor(rate: float, years: float) -> float:
    """Annuity factor turning an investment into an equal yearly cost (1/years when rate is 0)."""
    if years <= 0:
        raise ValueError("lifetime must be positive")
    if rate == 0:
        return 1.0 / years
    growth = (1.0 + rate) ** years
    return rate * growth / (growth - 1.0)


@dataclass(frozen=True)
class Cost:
    """Costs in CNY; per-unit values per ``basis_unit`` of affected activity (O&M per year)."""

    basis_unit: str = ""
    investment: float = 0.0
    lifetime_years: float = 15.0
    discount_rate: float = 0.06
    om: float = 0.0
    savings: float = 0.0
    fixed_investment: float = 0.0
    fixed_om: float = 0.0

    @property
    def crf(self) -> float:
        return capital_recovery_factor(self.discount_rate, self.lifetime_years)

    @property
    def annual_per_unit(self) -> float:
        """CNY per basis unit per year: annualised investment + O&M - savings (may be negative)."""
        return self.investment * self.crf + self.om - self.savings

    @property
    def annual_fixed(self) -> float:
        """CNY/yr of the programme-level fixed cost, paid once the measure is adopted at all."""
        return self.fixed_investment * self.crf + self.fixed_om


@dataclass(frozen=True)
class Replacement:
    """Activity that takes over what an activity measure removes."""

    profile: str
    ratio: float  # replacement units per unit of removed activity
    ratio_unit: str  # e.g. "TJ/TJ", "kWh/vkm", "t/vkm"
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """One measure of the catalogue."""

    id: str
    name: str
    kind: str  # "control" or "activity"
    selector: Mapping[str, tuple[str, ...]]
    technology: str = ""
    reduction: float = 1.0
    replacement: Replacement | None = None
    max_uptake: float = 1.0
    exclusive_group: str = ""
    binary: bool = False
    cost: Cost = field(default_factory=Cost)
    plan_task: str = ""
    citation: str = ""
    illustrative: bool = True

    @property
    def needs_binary(self) -> bool:
        """Adoption is yes/no in the optimiser when asked or when a fixed cost exists."""
        return self.binary or self.cost.fixed_investment > 0 or self.cost.fixed_om > 0


def selector_mask(sources: pd.DataFrame, selector: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Boolean mask of the sources matching every selector key (any of its listed values)."""
    mask = np.ones(len(sources), dtype=bool)
    for column, values in selector.items():
        mask &= sources[column].astype(str).isin([str(v) for v in values]).to_numpy()
    return mask


def _text(body: Mapping[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    return "" if value is None else str(value)


def _parse_selector(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    selector = require_mapping(raw, f"{where} field 'selector'")
    parsed: dict[str, tuple[str, ...]] = {}
    for column, values in selector.items():
        if column not in SELECTABLE_COLUMNS:
            raise InventoryError(
                f"{where} field 'selector': cannot select on {column!r}; "
                f"use {list(SELECTABLE_COLUMNS)}"
            )
        items = values if isinstance(values, list) else [values]
        parsed[column] = tuple(str(v) for v in items)
    if not parsed:
        raise InventoryError(f"{where} field 'selector': empty selector would hit every source")
    return parsed


def _parse_cost(raw: Any, where: str) -> Cost:
    body = require_mapping(raw or {}, f"{where} field 'cost'")
    known = set(Cost.__dataclass_fields__)
    unknown = set(body) - known
    if unknown:
        raise InventoryError(f"{where} field 'cost': unknown key(s) {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key in known - {"basis_unit"}:
        if key in body:
            values[key] = require_number(
                body[key], f"{where} field 'cost.{key}'", minimum=None if key == "savings" else 0.0
            )
    if values.get("lifetime_years", 1.0) <= 0:
        raise InventoryError(f"{where} field 'cost.lifetime_years': must be positive")
    basis = _text(body, "basis_unit")
    per_unit = any(values.get(k, 0.0) for k in ("investment", "om", "savings"))
    if per_unit and not is_known_unit(basis):
        raise InventoryError(f"{where} field 'cost.basis_unit': {basis!r} is not a known unit")
    return Cost(basis_unit=basis, **values)


def _parse_replacement(raw: Any, where: str, reference: ReferenceData) -> Replacement | None:
    if raw is None:
        return None
    body = require_mapping(raw, f"{where} field 'replacement'")
    profile = _text(body, "profile")
    if profile not in reference.profile_names():
        raise InventoryError(f"{where} field 'replacement.profile': unknown profile {profile!r}")
    ratio_unit = _text(body, "ratio_unit")
    if not is_known_unit(ratio_unit):
        raise InventoryError(
            f"{where} field 'replacement.ratio_unit': {ratio_unit!r} is not a known unit"
        )
    controls = tuple(str(c) for c in body.get("controls", []) or [])
    for technology in controls:
        if technology not in reference.technology_names():
            raise InventoryError(
                f"{where} field 'replacement.controls': unknown technology {technology!r}"
            )
    ratio = require_number(body.get("ratio"), f"{where} field 'replacement.ratio'", minimum=0.0)
    return Replacement(profile, ratio, ratio_unit, controls)


def parse_measure(raw: Any, where: str, reference: ReferenceData) -> Measure:
    """Build one Measure from a YAML/dict entry; every problem names the entry and field."""
    body = require_mapping(raw, where)
    measure_id = _text(body, "id")
    if not measure_id:
        raise InventoryError(f"{where} field 'id': missing")
    where = f"{where} (id {measure_id})"
    kind = _text(body, "kind")
    if kind not in ("control", "activity"):
        raise InventoryError(f"{where} field 'kind': {kind!r} is not 'control' or 'activity'")
    technology = _text(body, "technology")
    if kind == "control" and technology not in reference.technology_names():
        raise InventoryError(f"{where} field 'technology': unknown technology {technology!r}")
    reduction = require_number(
        body.get("reduction", 1.0), f"{where} field 'reduction'", minimum=0.0, maximum=1.0
    )
    return Measure(
        id=measure_id,
        name=_text(body, "name", measure_id),
        kind=kind,
        selector=_parse_selector(body.get("selector"), where),
        technology=technology,
        reduction=reduction,
        replacement=_parse_replacement(body.get("replacement"), where, reference)
        if kind == "activity"
        else None,
        max_uptake=require_number(
            body.get("max_uptake", 1.0), f"{where} field 'max_uptake'", minimum=0.0, maximum=1.0
        ),
        exclusive_group=_text(body, "exclusive_group"),
        binary=bool(body.get("binary", False)),
        cost=_parse_cost(body.get("cost"), where),
        plan_task=_text(body, "plan_task"),
        citation=_text(body, "citation"),
        illustrative=bool(body.get("illustrative", True)),
    )


def load_measures(
    source: Path | str | Sequence[Any], reference: ReferenceData
) -> dict[str, Measure]:
    """Load a measure catalogue: a YAML file (a list, or a mapping with 'measures') or a list."""
    label = "measures"
    if isinstance(source, (str, Path)):
        label = f"measure file {source}"
        raw = read_yaml(source, "measure")
    else:
        raw = source
    if isinstance(raw, Mapping):
        raw = raw.get("measures")
    if not isinstance(raw, list):
        raise InventoryError(f"{label}: expected a list of measures")
    measures: dict[str, Measure] = {}
    for position, entry in enumerate(raw, start=1):
        measure = parse_measure(entry, f"{label} entry {position}", reference)
        if measure.id in measures:
            raise InventoryError(
                f"{label} entry {position} field 'id': duplicate id {measure.id!r}"
            )
        measures[measure.id] = measure
    return measures
