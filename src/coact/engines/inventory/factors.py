"""Reference data of the co-control engine: factors, profiles, controls, GWPs, grid factors.

All values are data files in ``coact/data/emissions`` (each value with its citation and confidence);
this module only loads and checks them. The factor table is a conversion of
``shared/reference/emission-factors.csv`` (rows R002-R192 keep that file's line numbers) plus
derived or illustrative rows (X001...) that the demo inventory needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .io import InventoryError, numeric_column, read_csv, read_yaml, row_label
from .units import is_known_unit, tonnes_per_activity

GRID_FACTOR_ID = "GRID"  # profile rows with this id take the grid factor of the region and year


def data_dir() -> Path:
    """Folder of the shipped data files (``coact/data/emissions``)."""
    return Path(str(resources.files("coact.data.emissions")))


@dataclass(frozen=True)
class ReferenceData:
    """Everything the engine looks up; replace parts with :func:`load_reference_data` overrides."""

    pollutants: tuple[str, ...]
    ghg: tuple[str, ...]
    factors: pd.DataFrame  # emission_factor rows, index factor_id
    profiles: pd.DataFrame  # profile, pollutant, factor_id, note
    technologies: pd.DataFrame  # technology, pollutant, removal_efficiency
    side_effects: pd.DataFrame  # technology, effect, amount, per
    grid: pd.DataFrame  # region, year, kg_co2_per_kwh
    gwp_sets: dict[str, dict[str, float]]
    default_gwp: str
    apeq_weights: dict[str, float]
    sources_of_files: dict[str, str] = field(default_factory=dict)

    def gwp(self, name: str) -> dict[str, float]:
        """GWP100 values of a named set (AR4, AR5, AR6)."""
        if name not in self.gwp_sets:
            raise InventoryError(f"unknown GWP set {name!r}; known: {sorted(self.gwp_sets)}")
        return self.gwp_sets[name]

    def profile_names(self) -> set[str]:
        return set(self.profiles["profile"])

    def technology_names(self) -> set[str]:
        return set(self.technologies["technology"])


def _load_pollutants(path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    raw = read_yaml(path, "pollutant list")
    items = raw.get("pollutants") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise InventoryError(f"pollutant list file {path}: needs a non-empty 'pollutants' list")
    names = tuple(str(item["name"]) for item in items)
    ghg = tuple(str(item["name"]) for item in items if item.get("ghg"))
    return names, ghg


def load_factor_table(path: Path | str, pollutants: tuple[str, ...]) -> pd.DataFrame:
    """Read a factor table; every emission-factor row must have a known pollutant and units.

    Rows of other kinds (fuel properties, limits, weights, cost proxies) are kept in the file for
    provenance but not returned.
    """
    required = (
        "factor_id",
        "kind",
        "pollutant",
        "factor",
        "activity_unit_pint",
        "factor_unit_pint",
        "source_citation",
        "confidence",
    )
    table = read_csv(path, "emission-factor", required)
    table["factor_value"] = numeric_column(table, "factor", "emission-factor", minimum=0.0)
    duplicated = table["factor_id"].duplicated()
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        raise InventoryError(
            f"emission-factor {row_label(table, position)} field 'factor_id': duplicate id"
        )
    for position, row in enumerate(table.itertuples(index=False)):
        if row.kind != "emission_factor":
            continue
        where = f"emission-factor {row_label(table, position)}"
        for column in ("activity_unit_pint", "factor_unit_pint"):
            if not is_known_unit(getattr(row, column)):
                raise InventoryError(
                    f"{where} field {column!r}: unknown unit {getattr(row, column)!r}"
                )
        if not row.source_citation.strip():
            raise InventoryError(f"{where} field 'source_citation': every factor needs a citation")
        # The factor must turn its own activity unit into a mass: catches g/GJ filed against t fuel.
        tonnes_per_activity(
            row.factor_unit_pint, row.activity_unit_pint, f"{where} ({row.factor_id})"
        )
    factors = table[table["kind"] == "emission_factor"].copy()
    factors["row_label"] = [
        row_label(table, i) for i in np.flatnonzero(table["kind"] == "emission_factor")
    ]
    return factors.set_index("factor_id", drop=False)


def load_profiles(
    path: Path | str, factors: pd.DataFrame, pollutants: tuple[str, ...]
) -> pd.DataFrame:
    """Read profiles (profile x pollutant -> factor rows) and check every reference resolves."""
    table = read_csv(path, "emission profile", ("profile", "pollutant", "factor_id"))
    if "note" not in table:
        table["note"] = ""
    for position, row in enumerate(table.itertuples(index=False)):
        where = f"emission profile {row_label(table, position)}"
        if row.pollutant not in pollutants:
            raise InventoryError(
                f"{where} field 'pollutant': {row.pollutant!r} is not one of {list(pollutants)}"
            )
        if row.factor_id == GRID_FACTOR_ID:
            if row.pollutant != "CO2":
                raise InventoryError(
                    f"{where}: the grid factor gives CO2 only, not {row.pollutant}"
                )
            continue
        if row.factor_id not in factors.index:
            raise InventoryError(f"{where} field 'factor_id': unknown factor {row.factor_id!r}")
        published = factors.at[row.factor_id, "pollutant"]
        if published != row.pollutant and not row.note.strip():
            raise InventoryError(
                f"{where}: factor {row.factor_id} is for {published}, not {row.pollutant}; "
                f"say why in 'note'"
            )
    return table


def load_technologies(path: Path | str, pollutants: tuple[str, ...]) -> pd.DataFrame:
    """Control technologies: removal efficiency in [0, 1] per pollutant."""
    table = read_csv(path, "control technology", ("technology", "pollutant", "removal_efficiency"))
    table["removal_efficiency"] = numeric_column(
        table, "removal_efficiency", "control technology", minimum=0.0
    )
    for position, row in enumerate(table.itertuples(index=False)):
        where = f"control technology {row_label(table, position)}"
        if row.removal_efficiency > 1.0:
            raise InventoryError(
                f"{where} field 'removal_efficiency': {row.removal_efficiency} is above 1"
            )
        if row.pollutant not in pollutants:
            raise InventoryError(f"{where} field 'pollutant': unknown pollutant {row.pollutant!r}")
    return table


def load_side_effects(
    path: Path | str, pollutants: tuple[str, ...], technologies: set[str]
) -> pd.DataFrame:
    """Side effects of controls: extra pollutant or kWh per t removed or per activity unit."""
    table = read_csv(path, "control side-effect", ("technology", "effect", "amount", "per"))
    table["amount"] = numeric_column(table, "amount", "control side-effect")
    for position, row in enumerate(table.itertuples(index=False)):
        where = f"control side-effect {row_label(table, position)}"
        if row.technology not in technologies:
            raise InventoryError(
                f"{where} field 'technology': unknown technology {row.technology!r}"
            )
        if row.effect != "electricity_kWh" and row.effect not in pollutants:
            raise InventoryError(
                f"{where} field 'effect': {row.effect!r} is neither a pollutant nor electricity_kWh"
            )
        if row.per.startswith("t_removed:"):
            if row.per.split(":", 1)[1] not in pollutants:
                raise InventoryError(f"{where} field 'per': unknown pollutant in {row.per!r}")
        elif not is_known_unit(row.per):
            raise InventoryError(
                f"{where} field 'per': {row.per!r} is neither t_removed:<pollutant> nor a unit"
            )
    return table


def load_grid(path: Path | str) -> pd.DataFrame:
    """Grid CO2 factors (kg/kWh) by region and year."""
    table = read_csv(path, "grid factor", ("region", "year", "kg_co2_per_kwh"))
    table["year"] = numeric_column(table, "year", "grid factor", minimum=1900).astype(int)
    table["kg_co2_per_kwh"] = numeric_column(table, "kg_co2_per_kwh", "grid factor", minimum=0.0)
    return table


def grid_factor(grid: pd.DataFrame, region: str, year: int) -> float:
    """Grid factor in t CO2/kWh for ``region`` in ``year``.

    The latest published year not after ``year`` is used (factors are published two years late);
    before the first published year the first one is used. Unknown region raises.
    """
    rows = grid[grid["region"] == region]
    if rows.empty:
        raise InventoryError(
            f"no grid factor for region {region!r}; known: {sorted(set(grid['region']))}"
        )
    earlier = rows[rows["year"] <= year]
    chosen = (
        earlier.loc[earlier["year"].idxmax()]
        if not earlier.empty
        else rows.loc[rows["year"].idxmin()]
    )
    return float(chosen["kg_co2_per_kwh"]) / 1000.0


def _load_gwp(path: Path) -> tuple[dict[str, dict[str, float]], str]:
    raw = read_yaml(path, "GWP")
    default = str(raw.pop("default", "AR5"))
    sets = {name: {k: float(v) for k, v in body["values"].items()} for name, body in raw.items()}
    return sets, default


def _load_weights(path: Path) -> dict[str, float]:
    raw = read_yaml(path, "APeq weight")
    return {name: float(body["weight"]) for name, body in raw["weights"].items()}


@cache
def default_reference_data() -> ReferenceData:
    """The shipped reference data (cached)."""
    return load_reference_data()


def load_reference_data(overrides: dict[str, Path | str] | None = None) -> ReferenceData:
    """Load the reference data; ``overrides`` maps a file key to another file.

    Keys: factors, profiles, technologies, side_effects, grid, gwp, apeq_weights, pollutants.
    """
    folder = data_dir()
    files: dict[str, Path | str] = {
        "pollutants": folder / "pollutants.yaml",
        "factors": folder / "factors.csv",
        "profiles": folder / "profiles.csv",
        "technologies": folder / "control_technologies.csv",
        "side_effects": folder / "control_side_effects.csv",
        "grid": folder / "grid_factors.csv",
        "gwp": folder / "gwp.yaml",
        "apeq_weights": folder / "apeq_weights.yaml",
    }
    unknown = set(overrides or {}) - set(files)
    if unknown:
        raise InventoryError(
            f"unknown reference-data key(s) {sorted(unknown)}; known: {sorted(files)}"
        )
    files.update(overrides or {})
    pollutants, ghg = _load_pollutants(Path(files["pollutants"]))
    factors = load_factor_table(files["factors"], pollutants)
    technologies = load_technologies(files["technologies"], pollutants)
    gwp_sets, default_gwp = _load_gwp(Path(files["gwp"]))
    return ReferenceData(
        pollutants=pollutants,
        ghg=ghg,
        factors=factors,
        profiles=load_profiles(files["profiles"], factors, pollutants),
        technologies=technologies,
        side_effects=load_side_effects(
            files["side_effects"], pollutants, set(technologies["technology"])
        ),
        grid=load_grid(files["grid"]),
        gwp_sets=gwp_sets,
        default_gwp=default_gwp,
        apeq_weights=_load_weights(Path(files["apeq_weights"])),
        sources_of_files={k: str(v) for k, v in files.items()},
    )
