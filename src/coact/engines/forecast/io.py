"""Readers for the forecast engine: hourly pollutant history and meteorology.

Internal convention (all readers return it): an hourly ``DatetimeIndex`` of **period
starts** in local time, so the hour labelled ``t`` covers ``[t, t+1h)`` and the natural
day is simply ``t.normalize()``. Concentrations are µg/m³ (CO too, see below).

- UCI Beijing PRSA files: the ``hour`` column (0..23) is taken as the period start, so
  day D = hours 0..23 of D. The data set does not document the convention [assumption].
- CNEMC long format: hour ``h`` is the mean over ``(h-1, h]`` and natural day D is hours
  01..24 (hour 00 of D+1 closes D) [V, shared/reference/air-quality.md §1.4]; we shift
  the label by -1 h so that both sources share the period-start convention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Canonical names of meteorological variables the engine understands (units in names).
MET_VARIABLES = (
    "temp_c",
    "dewpoint_c",
    "rh_pct",
    "pressure_hpa",
    "precip_mm",
    "wind_speed_ms",
    "wind_u_ms",
    "wind_v_ms",
    "radiation_wm2",
    "cloud_frac",
    "blh_m",
)
# Column aliases accepted in meteorology CSV/NetCDF files (lower-cased) -> canonical name.
MET_ALIASES = {
    "temp": "temp_c",
    "t2m_c": "temp_c",
    "temperature": "temp_c",
    "dewp": "dewpoint_c",
    "dewpoint": "dewpoint_c",
    "rh": "rh_pct",
    "humidity": "rh_pct",
    "pres": "pressure_hpa",
    "pressure": "pressure_hpa",
    "rain": "precip_mm",
    "precip": "precip_mm",
    "wspm": "wind_speed_ms",
    "ws": "wind_speed_ms",
    "wind_speed": "wind_speed_ms",
    "u": "wind_u_ms",
    "v": "wind_v_ms",
    "radiation": "radiation_wm2",
    "ssrd_wm2": "radiation_wm2",
    "cloud": "cloud_frac",
    "tcc": "cloud_frac",
    "blh": "blh_m",
    "pblh": "blh_m",
}
# 16-point compass, clockwise from north in 22.5° steps (direction the wind blows FROM).
_COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE")
_COMPASS = (*_COMPASS, "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
COMPASS_DEGREES = {name: 22.5 * i for i, name in enumerate(_COMPASS)}


class ForecastInputError(ValueError):
    """Bad input data: the message names the file, row or field."""


@dataclass
class HourlyHistory:
    """Hourly observations of one area.

    ``o3`` holds one column per station (µg/m³); ``pollutants`` maps other pollutant names
    (``NO2``, ``CO``, ``PM2.5``...) to frames of the same shape; ``met`` is an hourly
    area-mean meteorology frame with canonical column names, or ``None``.
    """

    o3: pd.DataFrame
    pollutants: dict[str, pd.DataFrame] = field(default_factory=dict)
    met: pd.DataFrame | None = None
    source: str = ""

    def stations(self) -> list[str]:
        return [str(c) for c in self.o3.columns]

    def until(self, last_day: dt.date | pd.Timestamp) -> HourlyHistory:
        """The history truncated to the end of ``last_day`` (hours of later days removed)."""
        end = pd.Timestamp(last_day).normalize() + pd.Timedelta(days=1)

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.loc[frame.index < end]

        met = None if self.met is None else cut(self.met)
        pollutants = {k: cut(v) for k, v in self.pollutants.items()}
        return HourlyHistory(cut(self.o3), pollutants, met, self.source)

    def select_stations(self, codes: list[str]) -> HourlyHistory:
        missing = [c for c in codes if c not in self.o3.columns]
        if missing:
            raise ForecastInputError(
                f"station(s) {missing} not in {self.source}; known: {self.stations()}"
            )
        pollutants = {
            k: v[[c for c in codes if c in v.columns]] for k, v in self.pollutants.items()
        }
        return HourlyHistory(self.o3[codes], pollutants, self.met, self.source)


def _hourly_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Reindex to a complete hourly range so gaps become NaN rows (never silently joined)."""
    if frame.empty:
        return frame
    full = pd.date_range(frame.index.min(), frame.index.max(), freq="h")
    return frame.reindex(full)


def wind_components(speed_ms: pd.Series, compass: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Eastward (u) and northward (v) wind in m/s from speed and 16-point 'from' direction."""
    degrees = compass.map(COMPASS_DEGREES).astype(float)
    radians = np.deg2rad(degrees)
    # Wind from the north (0°) blows southward: v = -speed.
    return -speed_ms * np.sin(radians), -speed_ms * np.cos(radians)


PRSA_POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")


def read_prsa(directory: str | Path) -> HourlyHistory:
    """Read the UCI Beijing multi-site files ``PRSA_Data_<station>_*.csv`` in ``directory``.

    CO is µg/m³ in these files. Meteorology (TEMP °C, PRES hPa, DEWP °C, RAIN mm, WSPM m/s,
    wd compass) is averaged over the stations to one hourly area series.
    """
    folder = Path(directory)
    files = sorted(folder.glob("PRSA_Data_*_*.csv"))
    if not files:
        raise ForecastInputError(f"no PRSA_Data_<station>_*.csv files in {folder}")
    frames = [_read_prsa_file(path) for path in files]
    data = pd.concat(frames, ignore_index=True)
    wide = {p: data.pivot(index="time", columns="station", values=p) for p in PRSA_POLLUTANTS}
    wide = {p: _hourly_index(f.sort_index()) for p, f in wide.items()}
    met_cols = ["temp_c", "pressure_hpa", "dewpoint_c", "precip_mm", "wind_speed_ms"]
    met_cols += ["wind_u_ms", "wind_v_ms"]
    met = _hourly_index(data.groupby("time")[met_cols].mean().sort_index())
    o3 = wide.pop("O3")
    return HourlyHistory(o3, wide, met, source=str(folder))


def _read_prsa_file(path: Path) -> pd.DataFrame:
    required = ["year", "month", "day", "hour", *PRSA_POLLUTANTS, "TEMP", "PRES", "DEWP"]
    required += ["RAIN", "wd", "WSPM", "station"]
    frame = pd.read_csv(path, na_values=["NA"])
    absent = [c for c in required if c not in frame.columns]
    if absent:
        raise ForecastInputError(f"{path}: missing column(s) {absent}")
    try:
        frame["time"] = pd.to_datetime(frame[["year", "month", "day", "hour"]])
    except (ValueError, TypeError) as error:
        raise ForecastInputError(f"{path}: bad year/month/day/hour: {error}") from error
    frame = frame.rename(
        columns={
            "TEMP": "temp_c",
            "PRES": "pressure_hpa",
            "DEWP": "dewpoint_c",
            "RAIN": "precip_mm",
            "WSPM": "wind_speed_ms",
        }
    )
    frame["wind_u_ms"], frame["wind_v_ms"] = wind_components(frame["wind_speed_ms"], frame["wd"])
    frame["station"] = frame["station"].astype(str)
    return frame


CNEMC_POLLUTANTS = ("O3", "NO2", "CO", "PM2.5", "PM10", "SO2")


def read_cnemc(path: str | Path, stations: list[str] | None = None) -> HourlyHistory:
    """Read CNEMC long-format hourly data (``date,hour,station,...,O3,...``; CO in mg/m³).

    CO is converted to µg/m³ (×1000) so both sources share units. Labels are shifted by
    -1 h (see module docstring).
    """
    file = Path(path)
    try:
        frame = pd.read_csv(file, dtype={"station": str, "date": str})
    except (OSError, pd.errors.ParserError) as error:
        raise ForecastInputError(f"{file}: cannot read: {error}") from error
    absent = [c for c in ("date", "hour", "station", "O3") if c not in frame.columns]
    if absent:
        raise ForecastInputError(f"{file}: missing column(s) {absent}")
    if stations:
        unknown = sorted(set(stations) - set(frame["station"]))
        if unknown:
            raise ForecastInputError(f"{file}: station(s) {unknown} not found")
        frame = frame[frame["station"].isin(stations)]
    day = pd.to_datetime(frame["date"], format="%Y%m%d", errors="coerce")
    bad = frame.index[day.isna()]
    if len(bad):
        raise ForecastInputError(
            f"{file}: row {bad[0] + 2}: bad date {frame.loc[bad[0], 'date']!r}"
        )
    frame = frame.assign(time=day + pd.to_timedelta(frame["hour"] - 1, unit="h"))
    frame = frame.drop_duplicates(["time", "station"], keep="last")
    wide = {}
    for name in CNEMC_POLLUTANTS:
        if name in frame.columns:
            pivot = frame.pivot(index="time", columns="station", values=name).sort_index()
            wide[name] = _hourly_index(pivot.astype(float))
    if "CO" in wide:
        wide["CO"] = wide["CO"] * 1000.0  # mg/m³ -> µg/m³
    o3 = wide.pop("O3")
    return HourlyHistory(o3, wide, None, source=str(file))


def _canonical_met_columns(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    renamed = {}
    for column in frame.columns:
        key = str(column).strip().lower()
        if key in MET_VARIABLES:
            renamed[column] = key
        elif key in MET_ALIASES:
            renamed[column] = MET_ALIASES[key]
    out = frame.rename(columns=renamed)
    known = [c for c in out.columns if c in MET_VARIABLES]
    if not known:
        raise ForecastInputError(
            f"{where}: no meteorological column recognised; expected some of {MET_VARIABLES}"
        )
    return out


def read_met_csv(path: str | Path) -> pd.DataFrame:
    """Meteorology from CSV: a ``time`` (valid time, period start) column, variables, and
    optionally ``issued`` (when a weather-model forecast was issued).

    Returns a frame with a ``time`` index, canonical variable columns and, if present, an
    ``issued`` column. Rows with ``issued`` are forecasts; rows without are observations.
    """
    file = Path(path)
    frame = pd.read_csv(file)
    frame.columns = [str(c).strip() for c in frame.columns]
    time_column = next((c for c in frame.columns if c.lower() in ("time", "datetime")), None)
    if time_column is None:
        raise ForecastInputError(f"{file}: needs a 'time' column (valid time)")
    times = pd.to_datetime(frame[time_column], errors="coerce")
    if times.isna().any():
        row = int(np.flatnonzero(times.isna())[0]) + 2
        raise ForecastInputError(
            f"{file}: row {row}: bad time {frame[time_column].iloc[row - 2]!r}"
        )
    frame = _canonical_met_columns(frame.drop(columns=[time_column]), str(file))
    keep = [c for c in frame.columns if c in MET_VARIABLES or c == "issued"]
    frame = frame[keep].set_index(pd.DatetimeIndex(times, name="time"))
    if "issued" in frame.columns:
        frame["issued"] = pd.to_datetime(frame["issued"], errors="raise")
    return frame


def read_met_netcdf(path: str | Path) -> pd.DataFrame:
    """Meteorology from NetCDF (needs xarray, which is optional): area-mean of each variable."""
    try:
        import xarray
    except ImportError as error:
        raise ForecastInputError(
            f"{path}: reading NetCDF needs the optional package xarray; convert to CSV instead"
        ) from error
    dataset = xarray.open_dataset(path)
    spatial = [d for d in dataset.dims if d not in ("time",)]
    frame = dataset.mean(dim=spatial).to_dataframe()
    return _canonical_met_columns(frame, str(path))


def read_met(path: str | Path) -> pd.DataFrame:
    """CSV or NetCDF meteorology, chosen by file suffix."""
    suffix = Path(path).suffix.lower()
    return read_met_netcdf(path) if suffix in (".nc", ".nc4", ".netcdf") else read_met_csv(path)
