"""Reading the engine's CSV and YAML inputs with errors that name the file, row and field.

Row numbers are file line numbers (the header is line 1), so a user can open the file and go
straight to the bad line.
"""

from __future__ import annotations

import io as _io
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml


class InventoryError(ValueError):
    """Bad input to the co-control engine; the message names what was wrong and where."""


def read_text(path: Path | str, what: str) -> str:
    """Read a UTF-8 text file or raise an InventoryError naming the file."""
    file = Path(path)
    if not file.is_file():
        raise InventoryError(f"{what} file not found: {file}")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InventoryError(f"{what} file {file} cannot be read as UTF-8 text: {error}") from error


def read_yaml(path: Path | str, what: str) -> Any:
    """Parse a YAML file; a syntax error names the file and line."""
    text = read_text(path, what)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InventoryError(f"{what} file {path}{where}: invalid YAML ({error})") from error


def read_csv(source: Path | str | _io.StringIO, what: str, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV as strings and check that the ``required`` columns are present."""
    label = str(source) if not isinstance(source, _io.StringIO) else f"<{what}>"
    if isinstance(source, (str, Path)) and not Path(source).is_file():
        raise InventoryError(f"{what} file not found: {source}")
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InventoryError(f"{what} file {label}: cannot parse CSV ({error})") from error
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InventoryError(f"{what} file {label}: missing column(s) {missing}")
    frame.attrs["label"] = label
    return frame


def row_label(frame: pd.DataFrame, position: int) -> str:
    """'file.csv row 7' for the ``position``-th data row (0-based) of a frame read by read_csv."""
    label = frame.attrs.get("label", "<table>")
    return f"{label} row {position + 2}"


def numeric_column(
    frame: pd.DataFrame,
    column: str,
    what: str,
    *,
    minimum: float | None = None,
    default: float | None = None,
) -> pd.Series:
    """Convert a text column to float; the first bad cell raises naming its row and field."""
    text = (
        frame[column].astype(str).str.strip() if column in frame else pd.Series([""] * len(frame))
    )
    if default is not None:
        text = text.where(text != "", str(default))
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~values.map(lambda v: math.isfinite(v) if v == v else False)
    if minimum is not None:
        bad |= values < minimum
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        shown = text.iloc[position]
        rule = f" (must be a number >= {minimum})" if minimum is not None else " (must be a number)"
        raise InventoryError(
            f"{what} {row_label(frame, position)} field {column!r}: bad value {shown!r}{rule}"
        )
    return values.astype(float)


def require_mapping(value: Any, where: str) -> Mapping[str, Any]:
    """Check that a YAML node is a mapping."""
    if not isinstance(value, Mapping):
        raise InventoryError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def require_number(
    value: Any, where: str, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Check a YAML scalar is a finite number within bounds."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(float(value))
    ):
        raise InventoryError(f"{where}: expected a number, got {value!r}")
    number = float(value)
    if minimum is not None and number < minimum:
        raise InventoryError(f"{where}: {number} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise InventoryError(f"{where}: {number} is above the maximum {maximum}")
    return number
