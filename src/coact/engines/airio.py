"""Readers for air-quality release files: CNEMC long format, "china_sites" wide daily files and
a generic station/time CSV. Pure (no Django).

Every reader returns ``(frame, problems)`` and never raises on bad rows: a bad value (not a
number, negative, above the screening bound of ``air_screening.yaml``) is blanked and reported;
a bad row (malformed, bad date/hour/time, unknown station, duplicate station-hour) is dropped
and reported. Each :class:`Problem` names the file, the 1-based line (1 = header), the field
and what was wrong. A missing file or a file without the required columns gives an empty frame
and one problem.

Output frame (all readers): ``station``, ``time`` (Timestamp, END of the hour, as CNEMC labels
it), ``date`` (int YYYYMMDD), ``hour`` (0..23) and one float column per series (ug/m3, CO
mg/m3; e.g. ``PM2.5``, ``PM2.5_24h``, ``O3_8h``, ``AQI``), sorted by station and time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

#: Cell texts read as "no value" without a problem.
MISSING_TEXTS = frozenset({"", "NA", "NaN", "nan", "null", "NULL", "None", "-", "—"})
KEY_COLUMNS = ("station", "time", "date", "hour")


@dataclass(frozen=True)
class Problem:
    """One rejected value or row: where (file, line, field) and why."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.field}: {self.message}"


@cache
def _screening() -> dict[str, Any]:
    path = resources.files("coact.data.standards").joinpath("air_screening.yaml")
    return yaml.safe_load(path.read_text("utf-8"))


def _series_pollutant(column: str) -> str:
    """Pollutant of a series name: "PM2.5_24h" -> "PM2.5", "O3_8h_24h" -> "O3"."""
    return column.split("_", 1)[0]


# --------------------------------------------------------------------------- low level


def _read_rows(path: Path, problems: list[Problem]) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, well-formed rows and their line numbers; malformed rows become problems."""
    name = str(path)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(newline="", encoding=encoding) as handle:
                reader = csv.reader(handle)
                header = [h.strip() for h in next(reader, [])]
                rows, lines = [], []
                for line_number, row in enumerate(reader, start=2):
                    if not row or all(not cell.strip() for cell in row):
                        continue
                    if len(row) != len(header):
                        problems.append(
                            Problem(
                                name,
                                line_number,
                                "*",
                                f"expected {len(header)} fields, got {len(row)}; row skipped",
                            )
                        )
                        continue
                    rows.append(row)
                    lines.append(line_number)
            return header, rows, lines
        except UnicodeDecodeError:
            continue
        except OSError as error:
            problems.append(Problem(name, 0, "*", f"cannot read file: {error}"))
            return [], [], []
    problems.append(Problem(name, 0, "*", "not UTF-8 or GB18030 text"))
    return [], [], []


def _parse_values(
    text: pd.Series, lines: np.ndarray, field: str | np.ndarray, file: str, problems: list[Problem]
) -> np.ndarray:
    """Numbers of one column of cells; bad cells blanked and reported.

    ``field`` is the field name, or an array of names per cell (wide files).
    """
    # Fast path: parse everything, then look at the text only where parsing gave NaN.
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    texts = text.to_numpy(dtype=object)
    unparsed = np.flatnonzero(np.isnan(values))
    cleaned = [str(texts[i]).strip() for i in unparsed]
    retry = pd.to_numeric(pd.Series(cleaned, dtype=object), errors="coerce").to_numpy(dtype=float)
    values[unparsed] = retry
    not_number = np.zeros(values.shape, dtype=bool)
    not_number[unparsed] = np.isnan(retry) & ~np.isin(cleaned, list(MISSING_TEXTS))
    bounds = _screening()["max_plausible"]
    if isinstance(field, str):
        names = np.full(values.shape, field, dtype=object)
        upper: float | np.ndarray = float(bounds.get(_series_pollutant(field), np.inf))
    else:
        names = np.asarray(field, dtype=object)
        pollutant = pd.Series(names).str.split("_|@", regex=True).str[0]
        upper = pollutant.map(bounds).fillna(np.inf).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        negative = values < 0
        too_high = values > upper
        not_finite = np.isinf(values)
    for flag, message in (
        (not_number, "not a number"),
        (negative, "negative value"),
        (too_high | not_finite, "impossible value (above the screening bound)"),
    ):
        for i in np.flatnonzero(flag):
            problems.append(
                Problem(
                    file, int(lines[i]), str(names[i]), f"{message}: {texts[i]!r}; value blanked"
                )
            )
    values[not_number | negative | too_high | not_finite] = np.nan
    return values


def _known_stations(
    stations: pd.Series,
    good_time: np.ndarray,
    known_stations: Collection[str] | None,
    line_numbers: np.ndarray,
    file: str,
    problems: list[Problem],
) -> np.ndarray:
    """Mask of rows whose station is known; each unknown one (on a row with a good time) is
    reported by file and line."""
    good_station = _station_ok(stations, known_stations)
    for i in np.flatnonzero(good_time & ~good_station):
        problems.append(
            Problem(
                file,
                int(line_numbers[i]),
                "station",
                f"unknown station {stations.iat[i]!r}; row skipped",
            )
        )
    return good_station


def _station_ok(codes: pd.Series, known: Collection[str] | None) -> np.ndarray:
    pattern = re.compile(_screening()["station_code_pattern"])
    verdict = {code: bool(pattern.match(code)) for code in pd.unique(codes)}
    ok = codes.map(verdict).to_numpy(dtype=bool)
    if known is not None:
        ok = ok & codes.isin(set(known)).to_numpy()
    return ok


def _finish(
    frame: pd.DataFrame, lines: np.ndarray, file: str, problems: list[Problem]
) -> pd.DataFrame:
    """Drop and report duplicate station-hours (the first one is kept); sort."""
    duplicated = frame.duplicated(["station", "time"], keep="first").to_numpy()
    for i in np.flatnonzero(duplicated):
        problems.append(
            Problem(
                file,
                int(lines[i]),
                "station,time",
                f"duplicate of an earlier row for {frame['station'].iat[i]} "
                f"{frame['time'].iat[i]}; row skipped",
            )
        )
    frame = frame.loc[~duplicated]
    return frame.sort_values(["station", "time"], kind="stable").reset_index(drop=True)


def _date_hour_time(
    date_text: pd.Series,
    hour_text: pd.Series,
    lines: np.ndarray,
    file: str,
    problems: list[Problem],
) -> tuple[pd.Series, np.ndarray]:
    """End-of-hour timestamps from YYYYMMDD + hour (0..23); bad rows reported."""
    day = pd.to_datetime(date_text.str.strip(), format="%Y%m%d", errors="coerce")
    hour = pd.to_numeric(hour_text.str.strip(), errors="coerce")
    bad_day = day.isna().to_numpy()
    bad_hour = (hour.isna() | (hour < 0) | (hour > 23) | (hour % 1 != 0)).to_numpy()
    for i in np.flatnonzero(bad_day):
        problems.append(
            Problem(
                file,
                int(lines[i]),
                "date",
                f"not a YYYYMMDD date: {date_text.iat[i]!r}; row skipped",
            )
        )
    for i in np.flatnonzero(bad_hour & ~bad_day):
        problems.append(
            Problem(
                file,
                int(lines[i]),
                "hour",
                f"hour must be 0..23: {hour_text.iat[i]!r}; row skipped",
            )
        )
    time = day + pd.to_timedelta(hour.where(~bad_hour, 0), unit="h")
    return time, ~(bad_day | bad_hour)


def _with_date_hour(frame: pd.DataFrame) -> pd.DataFrame:
    frame.insert(2, "date", frame["time"].dt.strftime("%Y%m%d").astype(int))
    frame.insert(3, "hour", frame["time"].dt.hour.astype(int))
    return frame


def _missing_columns(
    header: list[str], needed: Iterable[str], file: str, problems: list[Problem]
) -> bool:
    absent = [c for c in needed if c not in header]
    if absent:
        problems.append(
            Problem(
                file,
                1,
                ",".join(absent),
                f"required column(s) missing; header "
                f"is {header[:8]}{'...' if len(header) > 8 else ''}",
            )
        )
    return bool(absent)


def _empty(columns: Iterable[str] = ()) -> pd.DataFrame:
    return pd.DataFrame(columns=[*KEY_COLUMNS, *columns])


# --------------------------------------------------------------------------- readers


def read_cnemc_long(
    path: str | Path, *, known_stations: Collection[str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """CNEMC long format: ``date`` (YYYYMMDD), ``hour`` (0..23), ``station`` and series columns
    (``AQI``, ``PM2.5``, ``PM2.5_24h``, ..., ``CO_24h``), one row per station-hour."""
    path, problems = Path(path), []
    file = str(path)
    header, rows, lines = _read_rows(path, problems)
    if not header or _missing_columns(header, ("date", "hour", "station"), file, problems):
        return _empty(), problems
    raw = pd.DataFrame(rows, columns=header, dtype=str)
    line_numbers = np.asarray(lines, dtype=np.int64)
    time, good_time = _date_hour_time(raw["date"], raw["hour"], line_numbers, file, problems)
    stations = raw["station"].str.strip()
    keep = good_time & _known_stations(
        stations, good_time, known_stations, line_numbers, file, problems
    )
    series = [c for c in header if c not in ("date", "hour", "station")]
    frame = pd.DataFrame({"station": stations[keep].to_numpy(), "time": time[keep].to_numpy()})
    kept_lines = line_numbers[keep]
    for column in series:
        frame[column] = _parse_values(raw[column][keep], kept_lines, column, file, problems)
    frame = _with_date_hour(_finish(frame, kept_lines, file, problems))
    frame.attrs["source_columns"] = header  # lets a writer keep the input's column order
    return frame, problems


def read_china_sites(
    path: str | Path,
    *,
    stations: Collection[str] | None = None,
    known_stations: Collection[str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Wide "china_sites" daily file: ``date,hour,type,<station codes...>``, one row per hour
    and series type (AQI, PM2.5, PM2.5_24h, PM10, ..., CO_24h). Returned in long form.

    ``stations`` keeps only those columns (a national file has ~1,600); ``known_stations``
    rejects other codes (reported once, on the header line).
    """
    path, problems = Path(path), []
    file = str(path)
    header, rows, lines = _read_rows(path, problems)
    if not header or _missing_columns(header, ("date", "hour", "type"), file, problems):
        return _empty(), problems
    codes = [c for c in header[3:] if stations is None or c in set(stations)]
    ok = _station_ok(pd.Series(codes, dtype=str), known_stations)
    for code in np.asarray(codes, dtype=object)[~ok]:
        problems.append(Problem(file, 1, str(code), "unknown station column; skipped"))
    codes = [c for c, good in zip(codes, ok, strict=True) if good]
    raw = pd.DataFrame(rows, columns=header, dtype=str)
    line_numbers = np.asarray(lines, dtype=np.int64)
    time, good_time = _date_hour_time(raw["date"], raw["hour"], line_numbers, file, problems)
    kinds = raw["type"].str.strip()
    twice = (kinds.to_frame().assign(t=time).duplicated(keep="first")).to_numpy() & good_time
    for i in np.flatnonzero(twice):
        problems.append(
            Problem(
                file,
                int(line_numbers[i]),
                "type",
                f"duplicate {kinds.iat[i]!r} row for {time.iat[i]}; row skipped",
            )
        )
    keep = good_time & ~twice
    raw, time, kinds, line_numbers = raw[keep], time[keep], kinds[keep], line_numbers[keep]
    if not codes or raw.empty:
        return _empty(sorted(set(kinds))), problems
    cells = raw[codes].melt(var_name="station", value_name="text", ignore_index=False)
    positions = np.tile(np.arange(len(raw)), len(codes))
    names = kinds.to_numpy()[positions] + "@" + cells["station"].to_numpy().astype(object)
    values = _parse_values(cells["text"], line_numbers[positions], names, file, problems)
    long = pd.DataFrame(
        {
            "station": cells["station"].to_numpy(),
            "time": time.to_numpy()[positions],
            "type": kinds.to_numpy()[positions],
            "value": values,
        }
    )
    frame = long.pivot_table(
        index=["station", "time"], columns="type", values="value", aggfunc="first", dropna=False
    ).reset_index()
    frame.columns.name = None
    present = frame.drop(columns=["station", "time"]).notna().any(axis=1)
    frame = frame.loc[present].sort_values(["station", "time"]).reset_index(drop=True)
    return _with_date_hour(frame), problems


def read_generic_csv(
    path: str | Path, *, known_stations: Collection[str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Generic CSV: ``station``, ``time`` (any ISO-like date-time, END of the hour) and one
    numeric column per series (e.g. ``SO2``, ``NO2``, ``CO``, ``O3``, ``PM10``, ``PM2.5``)."""
    path, problems = Path(path), []
    file = str(path)
    header, rows, lines = _read_rows(path, problems)
    if not header or _missing_columns(header, ("station", "time"), file, problems):
        return _empty(), problems
    raw = pd.DataFrame(rows, columns=header, dtype=str)
    line_numbers = np.asarray(lines, dtype=np.int64)
    time = pd.to_datetime(raw["time"].str.strip(), format="mixed", errors="coerce")
    good_time = time.notna().to_numpy()
    for i in np.flatnonzero(~good_time):
        problems.append(
            Problem(
                file,
                int(line_numbers[i]),
                "time",
                f"not a date-time: {raw['time'].iat[i]!r}; row skipped",
            )
        )
    stations = raw["station"].str.strip()
    keep = good_time & _known_stations(
        stations, good_time, known_stations, line_numbers, file, problems
    )
    frame = pd.DataFrame({"station": stations[keep].to_numpy(), "time": time[keep].to_numpy()})
    kept_lines = line_numbers[keep]
    for column in (c for c in header if c not in ("station", "time")):
        frame[column] = _parse_values(raw[column][keep], kept_lines, column, file, problems)
    frame = _finish(frame, kept_lines, file, problems)
    return _with_date_hour(frame), problems


def read_station_list(path: str | Path) -> pd.DataFrame:
    """Station list CSV (``station``, ``city``, ``name_2022``, ``lon``, ``lat``, ...)."""
    return pd.read_csv(path, dtype={"station": str})
