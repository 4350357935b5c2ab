"""Emission sources and their per-unit emission kernels.

A source is one row: a point source (a facility's unit), an area source (sector x county), a road
vehicle group (type x emission stage x county), ships, non-road machinery or purchased electricity.
Its activity (with a unit) is multiplied by the factors of its *profile*, reduced by its existing
controls: E[p] = A x EF0[p] x prod_k (1 - eta_k[p]) (GAINS / MEIC form, Chinese guideline
E = A x EF x (1 - eta)), plus the side effects of those controls (reagent CO2, ammonia slip,
electricity).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .factors import GRID_FACTOR_ID, ReferenceData
from .io import InventoryError, numeric_column, read_csv, row_label
from .units import UnitMismatchError, conversion, is_known_unit, tonnes_per_activity

REQUIRED_COLUMNS = ("source_id", "sector", "county", "profile", "activity", "activity_unit")
OPTIONAL_COLUMNS = {
    "name": "",
    "kind": "area",
    "county_code": "",
    "fuel": "",
    "type": "",
    "stage": "",
    "size_class": "",
    "controls": "",
    "driver": "",
    "region": "",
    "illustrative": "true",
    "note": "",
}
KINDS = ("point", "area", "road", "ship", "nonroad", "electricity", "agriculture")


def load_sources(
    source: Path | str | pd.DataFrame, reference: ReferenceData, default_region: str
) -> pd.DataFrame:
    """Read and check a source table (CSV path or DataFrame); errors name file, row and field."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise InventoryError(f"source table: missing column(s) {missing}")
        frame = frame.fillna("").astype(str)
        frame.attrs["label"] = "source table"
    else:
        frame = read_csv(source, "source", REQUIRED_COLUMNS)
    for column, default in OPTIONAL_COLUMNS.items():
        if column not in frame:
            frame[column] = default
    frame["activity"] = numeric_column(frame, "activity", "source", minimum=0.0)
    frame["region"] = frame["region"].where(frame["region"] != "", default_region)
    _check_rows(frame, reference)
    label = frame.attrs.get("label", "<table>")
    frame["row_label"] = label + " row " + pd.Series(np.arange(2, len(frame) + 2)).astype(str)
    return frame.reset_index(drop=True)


def _check_rows(frame: pd.DataFrame, reference: ReferenceData) -> None:
    """Check ids, kinds, profiles, units and controls, vectorised, reporting the first bad row."""

    def fail(mask: np.ndarray | pd.Series, field: str, why: str) -> None:
        position = int(np.flatnonzero(np.asarray(mask))[0])
        value = frame[field].iloc[position]
        raise InventoryError(
            f"source {row_label(frame, position)} field {field!r}: {value!r} {why}"
        )

    for column in ("source_id", "sector", "county", "profile", "activity_unit"):
        blank = {value for value in frame[column].unique() if not value.strip()}
        if blank:
            fail(frame[column].isin(blank), column, "is empty")
    duplicated = frame["source_id"].duplicated()
    if duplicated.any():
        fail(duplicated, "source_id", "is used by an earlier row")
    bad_kind = ~frame["kind"].isin(KINDS)
    if bad_kind.any():
        fail(bad_kind, "kind", f"is not one of {list(KINDS)}")
    bad_profile = ~frame["profile"].isin(reference.profile_names())
    if bad_profile.any():
        fail(bad_profile, "profile", "is not a known emission profile")
    units = frame["activity_unit"].unique()
    bad_units = {u for u in units if not is_known_unit(u)}
    if bad_units:
        fail(frame["activity_unit"].isin(bad_units), "activity_unit", "is not a known unit")
    known_tech = reference.technology_names()
    for text in frame["controls"].unique():
        unknown = [t for t in split_controls(text) if t not in known_tech]
        if unknown:
            fail(frame["controls"] == text, "controls", f"names unknown technology {unknown[0]!r}")


def split_controls(text: str) -> tuple[str, ...]:
    """'FGD_wet+SCR' -> ('FGD_wet', 'SCR'); order is the gas path order."""
    return tuple(part.strip() for part in str(text).split("+") if part.strip())


@dataclass(frozen=True)
class Kernel:
    """Per unit of a source's activity: emissions after controls and electricity use."""

    controlled: np.ndarray  # (P,) t per activity unit, factors x retention of existing controls
    side: np.ndarray  # (P,) t per activity unit added by the controls (reagent CO2, NH3 slip)
    kwh: float  # kWh per activity unit (purchased electricity, control power use)


class KernelBuilder:
    """Builds and caches kernels per (profile, activity unit, ratio unit, controls)."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self.pollutants = reference.pollutants
        self._index = {p: i for i, p in enumerate(self.pollutants)}
        self._cache: dict[tuple[str, str, str, tuple[str, ...]], Kernel] = {}
        self._profiles = {name: rows for name, rows in reference.profiles.groupby("profile")}
        techs = reference.technologies
        self._efficiency = {
            name: self._vector(rows["pollutant"], rows["removal_efficiency"])
            for name, rows in techs.groupby("technology")
        }
        self._side = {name: rows for name, rows in reference.side_effects.groupby("technology")}

    def _vector(self, pollutants: pd.Series, values: pd.Series) -> np.ndarray:
        vector = np.zeros(len(self.pollutants))
        for pollutant, value in zip(pollutants, values, strict=True):
            vector[self._index[pollutant]] += float(value)
        return vector

    def efficiency(self, technology: str) -> np.ndarray:
        """Removal efficiency per pollutant of a technology."""
        return self._efficiency[technology]

    def kernel(
        self,
        profile: str,
        activity_unit: str,
        where: str,
        ratio_unit: str = "",
        controls: tuple[str, ...] = (),
    ) -> Kernel:
        """Kernel of a profile applied to ``activity_unit`` (scaled by ``ratio_unit``, if any)."""
        key = (profile, activity_unit, ratio_unit, controls)
        if key not in self._cache:
            self._cache[key] = self._build(profile, activity_unit, where, ratio_unit, controls)
        return self._cache[key]

    def _build(
        self,
        profile: str,
        activity_unit: str,
        where: str,
        ratio_unit: str,
        controls: tuple[str, ...],
    ) -> Kernel:
        factors = self.reference.factors
        uncontrolled = np.zeros(len(self.pollutants))
        kwh = 0.0
        for row in self._profiles[profile].itertuples(index=False):
            if row.factor_id == GRID_FACTOR_ID:
                scaled = activity_unit if not ratio_unit else f"({activity_unit}) * ({ratio_unit})"
                kwh += conversion(scaled, "kWh", f"{where}, profile {profile} (grid electricity)")
                continue
            factor = factors.loc[row.factor_id]
            label = (
                f"{where} with factor {row.factor_id} ({factor['row_label']}, profile {profile})"
            )
            scale = tonnes_per_activity(
                factor["factor_unit_pint"], activity_unit, label, ratio_unit
            )
            uncontrolled[self._index[row.pollutant]] += factor["factor_value"] * scale
        retention = np.ones(len(self.pollutants))
        side = np.zeros(len(self.pollutants))
        for technology in controls:
            efficiency = self._efficiency[technology]
            removed = uncontrolled * retention * efficiency
            retention = retention * (1.0 - efficiency)
            extra, extra_kwh = self.side_effects(
                technology, removed, activity_unit, where, ratio_unit
            )
            side += extra
            kwh += extra_kwh
        return Kernel(uncontrolled * retention, side, kwh)

    def side_effects(
        self,
        technology: str,
        removed: np.ndarray,
        activity_unit: str,
        where: str,
        ratio_unit: str = "",
    ) -> tuple[np.ndarray, float]:
        """Extra t per pollutant and kWh when ``technology`` removes ``removed`` t per unit."""
        matrix, kwh_per_t, per_unit, kwh_per_unit = self.side_effect_coefficients(
            technology, activity_unit, where, ratio_unit
        )
        return removed @ matrix + per_unit, float(removed @ kwh_per_t + kwh_per_unit)

    def side_effect_coefficients(
        self, technology: str, activity_unit: str, where: str, ratio_unit: str = ""
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """(P x P t per t removed, P kWh per t removed, P t per unit of activity, kWh per unit)."""
        size = len(self.pollutants)
        matrix, kwh_per_t, per_unit, kwh_per_unit = (
            np.zeros((size, size)),
            np.zeros(size),
            np.zeros(size),
            0.0,
        )
        rows = self._side.get(technology)
        if rows is None:
            return matrix, kwh_per_t, per_unit, kwh_per_unit
        scaled = activity_unit if not ratio_unit else f"({activity_unit}) * ({ratio_unit})"
        for row in rows.itertuples(index=False):
            if row.per.startswith("t_removed:"):
                basis = self._index[row.per.split(":", 1)[1]]
                if row.effect == "electricity_kWh":
                    kwh_per_t[basis] += row.amount
                else:
                    matrix[basis, self._index[row.effect]] += row.amount
                continue
            try:
                per_activity = conversion(scaled, row.per, f"{where}, side effect of {technology}")
            except UnitMismatchError as error:
                raise InventoryError(str(error)) from error
            if row.effect == "electricity_kWh":
                kwh_per_unit += row.amount * per_activity
            else:
                per_unit[self._index[row.effect]] += row.amount * per_activity
        return matrix, kwh_per_t, per_unit, kwh_per_unit


def source_kernels(
    sources: pd.DataFrame, builder: KernelBuilder
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per source: controlled t/unit (n, P), side t/unit (n, P), kWh/unit (n,)."""
    keys = sources[["profile", "activity_unit", "controls"]].astype(str)
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first_rows = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    size = len(builder.pollutants)
    count = len(first_rows)
    controlled, side, kwh = np.zeros((count, size)), np.zeros((count, size)), np.zeros(count)
    for code, first in enumerate(first_rows):
        profile, unit, controls = keys.iloc[int(first)]
        where = f"source {sources['row_label'].iloc[int(first)]}"
        try:
            kernel = builder.kernel(profile, unit, where, controls=split_controls(controls))
        except UnitMismatchError as error:
            raise InventoryError(str(error)) from error
        controlled[code], side[code], kwh[code] = kernel.controlled, kernel.side, kernel.kwh
    return controlled[codes], side[codes], kwh[codes]
