"""Air quality index (AQI) by HJ 633, both editions (2012 and 2026): pure, vectorised.

What is implemented (tables and rules in ``coact/data/standards/hj633.yaml``, the single place
to correct them; sources in that file and in docs/air-quality.md):

* IAQI_P = (IAQI_Hi - IAQI_Lo) / (BP_Hi - BP_Lo) * (C_P - BP_Lo) + IAQI_Lo on continuous
  segments, rounded UP to an integer (HJ 633-2012 §6.2, HJ 633-2026 §4.2.6); AQI = max IAQI.
* Concentrations above the top breakpoint give IAQI 500 (CNEMC practice, not in the texts).
* SO2 1-h above 800 ug/m3: 2012 -> the 24-h SO2 IAQI is reported; 2026 -> IAQI 200.
  O3 8-h above 800 ug/m3: 2012 -> the 1-h O3 IAQI is reported; 2026 -> IAQI 300.
* Real-time (hourly) report: the six 1-h values, PM 1-h values on the 24-h breakpoints (what
  CNEMC publishes; reproduces 100 % of the Nantong 2019 complete station-hours).
* Daily report: 2012 -> 24-h means + O3 daily max 8-h + O3 daily max 1-h (7 indicators);
  2026 -> 24-h means + O3 daily max 8-h (6 indicators).
* 2026 only: concentrations rounded by GB/T 8170 (integers, CO 1 decimal) before the IAQI;
  with a pollutant missing the AQI is published only when above 100 (§5.3.1); no 超标污染物.
* Primary pollutant(s) when AQI > 50, ties all listed; level 1..6, category zh/en, colour.

Units: ug/m3, CO in mg/m3. The edition is chosen per row by the date of the data through
``coact.engines.editions.edition_for("HJ633", date)`` unless ``edition=`` is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import ArrayLike

from coact.engines.editions import edition_for, known_editions

#: Pollutant keys accepted by :func:`iaqi` (concentration kind + averaging period).
POLLUTANT_KEYS: tuple[str, ...] = (
    "SO2_1h",
    "SO2_24h",
    "NO2_1h",
    "NO2_24h",
    "PM10_1h",
    "PM10_24h",
    "PM2.5_1h",
    "PM2.5_24h",
    "CO_1h",
    "CO_24h",
    "O3_1h",
    "O3_8h",
)

#: Input column of :func:`hourly_aqi` for each real-time indicator (CNEMC release names).
HOURLY_INPUT_COLUMNS: dict[str, str] = {
    "SO2_1h": "SO2",
    "NO2_1h": "NO2",
    "PM10_1h": "PM10",
    "CO_1h": "CO",
    "O3_1h": "O3",
    "PM2.5_1h": "PM2.5",
}

#: Input column of :func:`daily_aqi` for each daily indicator (the key itself): 24-h means,
#: ``O3_8h`` = O3 daily maximum 8-h mean, ``O3_1h`` = O3 daily maximum 1-h mean.
DAILY_INPUT_COLUMNS: dict[str, str] = {
    key: key for key in ("SO2_24h", "NO2_24h", "PM10_24h", "CO_24h", "O3_8h", "O3_1h", "PM2.5_24h")
}

# Names used in the primary-pollutant field. In the daily report O3 keeps its averaging period
# because under 2012 both O3 indicators enter the AQI.
_HOURLY_LABELS = {key: key.rsplit("_", 1)[0] for key in HOURLY_INPUT_COLUMNS}
_DAILY_LABELS = {
    key: (key if key.startswith("O3") else key.rsplit("_", 1)[0]) for key in DAILY_INPUT_COLUMNS
}

# Absorbs binary floating error (e.g. 50/5*0.7 = 7.000000000000001) before the ceiling.
# Exact for concentrations given to 3 decimals or fewer (published data have at most 1).
_CEIL_DECIMALS = 9


# --------------------------------------------------------------------------- data file


@dataclass(frozen=True)
class EditionRules:
    """The HJ 633 rules of one edition, as read from hj633.yaml."""

    edition: str
    breakpoints: Mapping[str, np.ndarray]
    so2_1h_above_top: Mapping[str, Any]
    o3_8h_above_top: Mapping[str, Any]
    above_top_iaqi: float
    round_concentrations: bool
    concentration_digits: Mapping[str, int]
    exceeding_enabled: bool
    exceeding_above: float
    primary_above: float
    hourly_indicators: tuple[str, ...]
    daily_indicators: tuple[str, ...]
    missing_rule: str
    missing_above: float


@dataclass(frozen=True)
class LevelInfo:
    """One AQI level of HJ 633 Table 2 (2012) / Table 1 (2026) with its Appendix A colour."""

    level: int
    aqi_max: int
    name_zh: str
    category_zh: str
    category_en: str
    colour_zh: str
    colour_en: str
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]

    @property
    def colour_hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


@cache
def _data() -> dict[str, Any]:
    text = resources.files("coact.data.standards").joinpath("hj633.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@cache
def iaqi_levels() -> np.ndarray:
    """IAQI values at the breakpoints: 0, 50, 100, 150, 200, 300, 400, 500."""
    return np.asarray(_data()["iaqi_levels"], dtype=float)


@cache
def rules(edition: str) -> EditionRules:
    """The rules of HJ 633 ``edition`` ("2012" or "2026")."""
    raw = _data()["editions"].get(str(edition))
    if raw is None:
        raise ValueError(f"unknown HJ 633 edition {edition!r}; known: {known_editions('HJ633')}")
    tables = {k: np.asarray(v, dtype=float) for k, v in raw["breakpoints"].items()}
    for alias, target in raw.get("aliases", {}).items():
        tables[alias] = tables[target]
    rounding = raw["round_concentrations"]
    missing = raw["missing_rule"]
    return EditionRules(
        edition=str(edition),
        breakpoints=tables,
        so2_1h_above_top=raw["so2_1h_above_top"],
        o3_8h_above_top=raw["o3_8h_above_top"],
        above_top_iaqi=float(raw["above_top_iaqi"]["value"]),
        round_concentrations=bool(rounding["enabled"]),
        concentration_digits=rounding.get("digits", {"default": 0}),
        exceeding_enabled=bool(raw["exceeding_pollutants"]["enabled"]),
        exceeding_above=float(raw["exceeding_pollutants"].get("iaqi_above", 100)),
        primary_above=float(raw["primary_pollutant"]["aqi_above"]),
        hourly_indicators=tuple(raw["hourly_indicators"]),
        daily_indicators=tuple(raw["daily_indicators"]),
        missing_rule=str(missing["rule"]),
        missing_above=float(missing.get("aqi_above", -1)),
    )


@cache
def levels() -> tuple[LevelInfo, ...]:
    """The six AQI levels, level 1 first."""
    return tuple(
        LevelInfo(
            level=int(r["level"]),
            aqi_max=int(r["aqi_max"]),
            name_zh=r["name_zh"],
            category_zh=r["category_zh"],
            category_en=r["category_en"],
            colour_zh=r["colour_zh"],
            colour_en=r["colour_en"],
            rgb=tuple(r["rgb"]),
            cmyk=tuple(r["cmyk"]),
        )
        for r in _data()["levels"]
    )


def resolve_edition(edition: str | int | None, on: dt.date | dt.datetime | None = None) -> str:
    """``edition`` if given (validated), else the HJ 633 edition in force on ``on``."""
    if edition is not None:
        return rules(str(edition)).edition
    if on is None:
        raise ValueError("give edition= or a date (on=) to choose the HJ 633 edition")
    return edition_for("HJ633", on)


# --------------------------------------------------------------------------- rounding


def round_gbt8170(values: ArrayLike, digits: int = 0) -> np.ndarray:
    """Round by GB/T 8170-2008 §3.2 (四舍六入五成双: exact halves go to the even digit).

    The rule applies to the decimal value; a binary float such as 2.675 (stored as
    2.67499999...) is treated as the decimal it was written as, by accepting a fraction within
    1e-9 (relative) of one half as exactly one half. Signs are kept (the rule rounds |x|).
    NaN stays NaN.
    """
    x = np.asarray(values, dtype=float)
    scaled = np.abs(x) * 10.0**digits
    whole = np.floor(scaled)
    fraction = scaled - whole
    tolerance = 1e-9 * np.maximum(1.0, scaled)
    is_half = np.abs(fraction - 0.5) <= tolerance
    goes_up = (fraction > 0.5) & ~is_half
    to_even = is_half & (np.fmod(whole, 2.0) == 1.0)
    rounded = whole + goes_up + to_even
    return np.copysign(rounded, x) / 10.0**digits


def _concentration_digits(pollutant_key: str, rules_: EditionRules) -> int:
    pollutant = pollutant_key.rsplit("_", 1)[0]
    digits = rules_.concentration_digits
    return int(digits.get(pollutant, digits.get("default", 0)))


# --------------------------------------------------------------------------- IAQI


def _segment_iaqi(table: np.ndarray, conc: np.ndarray) -> np.ndarray:
    """Linear interpolation on the breakpoint segments, ceiling; NaN outside [0, top]."""
    levels_ = iaqi_levels()[: table.size]
    with np.errstate(invalid="ignore"):
        raw = np.interp(conc, table, levels_)
        value = np.ceil(np.round(raw, _CEIL_DECIMALS))
        outside = (conc < 0) | (conc > table[-1]) | np.isnan(conc)
    return np.where(outside, np.nan, value)


def iaqi(
    pollutant: str,
    concentration: ArrayLike,
    *,
    edition: str | int,
    round_concentration: bool | None = None,
) -> np.ndarray:
    """Individual air quality index (IAQI) of one indicator, HJ 633 ``edition``.

    ``pollutant`` is a key of :data:`POLLUTANT_KEYS` (e.g. "PM2.5_24h", "O3_8h"); the
    concentration is in ug/m3 (CO in mg/m3). Returns float integers (IAQI rounded up); NaN for
    missing or negative input, and, under 2012 only, for SO2 1-h or O3 8-h above 800 ug/m3,
    where the standard computes no IAQI from that value (the caller reports the SO2 24-h or
    O3 1-h IAQI instead, as :func:`hourly_aqi` and :func:`daily_aqi` do). Under 2026 those
    cases give 200 and 300. Any other value above the top breakpoint gives 500.
    ``round_concentration`` (default: the edition's rule; True for 2026) rounds the
    concentration by GB/T 8170 first (integers, CO 1 decimal).
    """
    rules_ = rules(str(edition))
    table = rules_.breakpoints.get(pollutant)
    if table is None:
        raise ValueError(f"unknown pollutant key {pollutant!r}; known: {POLLUTANT_KEYS}")
    conc = np.asarray(concentration, dtype=float)
    negative = conc < 0  # invalid data; checked before rounding can turn -0.01 into -0.0
    if rules_.round_concentrations if round_concentration is None else round_concentration:
        conc = round_gbt8170(conc, _concentration_digits(pollutant, rules_))
    value = np.where(negative, np.nan, _segment_iaqi(table, conc))
    above = conc > table[-1]
    special = {"SO2_1h": rules_.so2_1h_above_top, "O3_8h": rules_.o3_8h_above_top}.get(pollutant)
    if special is None:
        above_value = rules_.above_top_iaqi
    elif special["rule"] == "fixed":
        above_value = float(special["iaqi"])
    else:  # 2012: no IAQI from this value; the caller substitutes another indicator
        above_value = np.nan
    return np.where(above, above_value, value)


# --------------------------------------------------------------------------- levels


def aqi_level(aqi: ArrayLike) -> np.ndarray:
    """AQI level 1..6 (HJ 633 Table 2 / 2026 Table 1); 0 where the AQI is missing."""
    value = np.asarray(aqi, dtype=float)
    upper = np.array([info.aqi_max for info in levels()[:-1]], dtype=float)
    level = np.searchsorted(upper, value, side="left") + 1
    return np.where(np.isnan(value), 0, level).astype(np.int64)


def level_info(level: int) -> LevelInfo:
    """Level ``level`` (1..6): names zh/en, colour name, RGB/CMYK (Appendix A), hex."""
    if not 1 <= int(level) <= len(levels()):
        raise ValueError(f"AQI level must be 1..6, got {level!r}")
    return levels()[int(level) - 1]


def o3_8h_grade(
    o3_8h_ugm3: ArrayLike,
    edition: str | int | None = None,
    on: dt.date | dt.datetime | None = None,
    o3_1h_ugm3: ArrayLike | None = None,
) -> np.ndarray:
    """AQI level (1..6; 0 if missing) of O3 daily-max 8-h concentrations (ug/m3).

    Edition: ``edition`` or the one in force ``on`` that date. Above 800 ug/m3: 2026 counts
    IAQI 300 (level 5); 2012 reports the O3 1-h IAQI, from ``o3_1h_ugm3`` when given, else
    level 6, because an 8-h mean above 800 implies an hour above 800, i.e. 1-h IAQI > 300.
    """
    chosen = resolve_edition(edition, on)
    conc = np.asarray(o3_8h_ugm3, dtype=float)
    value = iaqi("O3_8h", conc, edition=chosen)
    if rules(chosen).o3_8h_above_top["rule"] == "use_1h":
        if o3_1h_ugm3 is None:
            fallback = np.full(conc.shape, 301.0)
        else:
            fallback = iaqi("O3_1h", np.broadcast_to(o3_1h_ugm3, conc.shape), edition=chosen)
        value = np.where(conc > rules(chosen).breakpoints["O3_8h"][-1], fallback, value)
    return aqi_level(value)


# --------------------------------------------------------------------------- AQI tables


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
    return np.full(len(df), np.nan)


@cache
def _label_lookup(labels: tuple[str, ...]) -> tuple[str, ...]:
    """Strings for every bit pattern over ``labels``, joined by commas in table order."""
    count = len(labels)
    return tuple(
        ",".join(labels[i] for i in range(count) if code >> i & 1) for code in range(1 << count)
    )


def _names_from_mask(mask: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """Comma-joined names of the True columns of each row ("" if none), as a categorical
    (built from integer codes: no per-row string is created)."""
    codes = mask.astype(np.int64) @ (1 << np.arange(len(labels), dtype=np.int64))
    return pd.Categorical.from_codes(codes, categories=list(_label_lookup(tuple(labels))))


def _by_level(level: np.ndarray, attribute: str) -> pd.Categorical:
    """Per-row LevelInfo attribute ("" where level is 0 = no AQI), as a categorical."""
    names = ["", *(getattr(info, attribute) for info in levels())]
    return pd.Categorical.from_codes(level, categories=names)


def summarise_iaqi(matrix: np.ndarray, labels: Sequence[str], edition: str) -> dict[str, Any]:
    """AQI, primary/exceeding pollutants, level, category and colour from an IAQI matrix.

    ``matrix`` is (rows, indicators) of IAQIs (NaN = missing) with ``labels`` per column.
    Applies the edition's missing-data rule (2026 §5.3.1: NA unless above 100).
    """
    rules_ = rules(edition)
    present = ~np.isnan(matrix)
    complete = present.all(axis=1)
    with np.errstate(invalid="ignore"):
        aqi = np.fmax.reduce(matrix, axis=1) if matrix.shape[1] else np.full(len(matrix), np.nan)
        if rules_.missing_rule == "na_unless_above":
            aqi = np.where(complete | (aqi > rules_.missing_above), aqi, np.nan)
        is_primary = (matrix == aqi[:, None]) & (aqi > rules_.primary_above)[:, None]
        exceeding = (matrix > rules_.exceeding_above) & ~np.isnan(aqi)[:, None]
    if not rules_.exceeding_enabled:
        exceeding[:] = False
    level = aqi_level(aqi)
    return {
        "aqi": aqi,
        "primary_pollutant": _names_from_mask(is_primary, labels),
        "exceeding_pollutants": _names_from_mask(exceeding, labels),
        "level": level,
        "category_zh": _by_level(level, "category_zh"),
        "category_en": _by_level(level, "category_en"),
        "colour": _by_level(level, "colour_hex"),
        "complete": complete,
    }


def _report_frame(
    index: pd.Index, keys: Sequence[str], matrix: np.ndarray, labels: Sequence[str], edition: str
) -> pd.DataFrame:
    columns: dict[str, Any] = {f"iaqi_{key}": matrix[:, i] for i, key in enumerate(keys)}
    columns.update(summarise_iaqi(matrix, labels, edition))
    columns["edition"] = pd.Categorical.from_codes(np.zeros(len(index), np.int8), [edition])
    return pd.DataFrame(columns, index=index)


def _hourly_part(df: pd.DataFrame, edition: str) -> pd.DataFrame:
    rules_ = rules(edition)
    keys = rules_.hourly_indicators
    matrix = np.empty((len(df), len(keys)))
    for i, key in enumerate(keys):
        conc = _column(df, HOURLY_INPUT_COLUMNS[key])
        value = iaqi(key, conc, edition=edition)
        if key == "SO2_1h" and rules_.so2_1h_above_top["rule"] == "use_24h":
            # HJ 633-2012 note (2): above 800 the SO2 24-h (moving) mean's IAQI is reported.
            over = conc > rules_.breakpoints["SO2_1h"][-1]
            value = np.where(over, iaqi("SO2_24h", _column(df, "SO2_24h"), edition=edition), value)
        matrix[:, i] = value
    return _report_frame(df.index, keys, matrix, [_HOURLY_LABELS[k] for k in keys], edition)


def _daily_part(df: pd.DataFrame, edition: str, include_o3_1h: bool | None) -> pd.DataFrame:
    rules_ = rules(edition)
    keys = [k for k in rules_.daily_indicators if k != "O3_1h" or include_o3_1h is not False]
    if include_o3_1h and "O3_1h" not in keys:
        keys.append("O3_1h")
    o3_1h = iaqi("O3_1h", _column(df, "O3_1h"), edition=edition)
    matrix = np.empty((len(df), len(keys)))
    for i, key in enumerate(keys):
        conc = _column(df, DAILY_INPUT_COLUMNS[key])
        value = iaqi(key, conc, edition=edition)
        if key == "O3_8h" and rules_.o3_8h_above_top["rule"] == "use_1h":
            # HJ 633-2012 note (3): above 800 the O3 1-h IAQI is reported.
            value = np.where(conc > rules_.breakpoints["O3_8h"][-1], o3_1h, value)
        matrix[:, i] = value
    return _report_frame(df.index, keys, matrix, [_DAILY_LABELS[k] for k in keys], edition)


def _period_dates(df: pd.DataFrame, *, hourly: bool) -> pd.Series:
    """Natural-day date of every row: hourly labels mark the END of the hour (h-1, h]."""
    if "time" in df.columns:
        stamps = pd.to_datetime(df["time"])
    elif "date" in df.columns and hourly and "hour" in df.columns:
        day = pd.to_datetime(df["date"].astype(str), format="mixed")
        stamps = day + pd.to_timedelta(pd.to_numeric(df["hour"]), unit="h")
    elif "date" in df.columns:
        stamps = pd.to_datetime(df["date"].astype(str), format="mixed")
        return pd.Series(stamps.dt.date.to_numpy(), index=df.index)
    elif isinstance(df.index, pd.DatetimeIndex):
        stamps = pd.Series(df.index, index=df.index)
    else:
        raise ValueError("no edition= and no 'time', 'date'(+'hour') column to choose it by date")
    if hourly:
        stamps = stamps - pd.Timedelta(hours=1)
    return pd.Series(stamps.dt.date.to_numpy(), index=df.index)


def _editions_by_row(df: pd.DataFrame, edition: str | int | None, *, hourly: bool) -> np.ndarray:
    if edition is not None:
        return np.array([resolve_edition(edition)], dtype=object)  # one edition for all rows
    dates = _period_dates(df, hourly=hourly)
    unique = pd.unique(dates)
    chosen = {day: edition_for("HJ633", day) for day in unique if pd.notna(day)}
    if len(chosen) < len(unique):
        raise ValueError("rows without a date: give edition= or fix the time column")
    return dates.map(chosen).to_numpy(dtype=object)


def _by_edition(df: pd.DataFrame, editions_: np.ndarray, compute: Any) -> pd.DataFrame:
    if len(editions_) == 0:  # no rows: shape the empty result with the newest edition
        return compute(df, known_editions("HJ633")[-1])
    parts = []
    for edition in pd.unique(editions_):
        mask = editions_ == edition
        parts.append(compute(df if mask.all() else df.loc[mask], str(edition)))
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts).reindex(df.index)


def hourly_aqi(df: pd.DataFrame, edition: str | int | None = None) -> pd.DataFrame:
    """Real-time (hourly) AQI of HJ 633, as CNEMC publishes it.

    Input columns (1-h means): ``SO2``, ``NO2``, ``PM10``, ``CO``, ``O3``, ``PM2.5`` (ug/m3, CO
    mg/m3); optional ``SO2_24h`` (24-h moving mean, used by the 2012 rule for SO2 1-h > 800).
    Edition per row from ``time`` (end of the hour) or ``date`` + ``hour``, unless ``edition``.
    Returns, on the same index: ``iaqi_<key>`` per indicator, ``aqi``, ``primary_pollutant``
    (comma-joined ties, "" if none), ``exceeding_pollutants`` (2012 only), ``level`` (0 if no
    AQI), ``category_zh``, ``category_en``, ``colour`` (hex), ``complete``, ``edition``.
    """
    editions_ = _editions_by_row(df, edition, hourly=True)
    return _by_edition(df, editions_, _hourly_part)


def daily_aqi(
    df: pd.DataFrame, edition: str | int | None = None, *, include_o3_1h: bool | None = None
) -> pd.DataFrame:
    """Daily AQI of HJ 633 from daily values.

    Input columns: ``SO2_24h``, ``NO2_24h``, ``PM10_24h``, ``CO_24h``, ``PM2.5_24h`` (daily
    means), ``O3_8h`` (O3 daily max 8-h mean) and, for 2012, ``O3_1h`` (O3 daily max 1-h).
    ``include_o3_1h`` overrides whether the O3 1-h IAQI enters the AQI (2012 text: yes; 2026:
    no); set False for the six-indicator variant of pre-2026 practice. Edition per row from a
    ``date`` column (or a DatetimeIndex) unless ``edition``. Output columns as :func:`hourly_aqi`.
    """
    editions_ = _editions_by_row(df, edition, hourly=False)

    def compute(part: pd.DataFrame, chosen: str) -> pd.DataFrame:
        return _daily_part(part, chosen, include_o3_1h)

    return _by_edition(df, editions_, compute)
