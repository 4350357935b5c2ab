"""Every write of the air app: stations, imports of hourly station data (files and API push),
corrections kept with before/after, daily values and the plan indicators computed from them.

Imports are all-or-nothing per file by default: any bad row or value rejects the whole file
(ImportRejected, every problem named by file, row and field). With ``skip_bad_rows`` the rows
without a problem are imported and the bad ones are listed in the batch record. Re-importing
the same data changes nothing; a changed value is stored and a Correction keeps before/after.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from coact.core.audit import log_bulk_changes
from coact.core.importing import ImportRejected, RowError
from coact.core.models import Region
from coact.engines import airio, aqi, evaluation
from coact.engines.editions import edition_for
from coact.plan import services as plan_services

from .models import (
    SERIES_FIELDS,
    Correction,
    DailyValue,
    HourlyValue,
    ImportBatch,
    ImportFormat,
    ImportState,
    Station,
)

STATIONS_FILE = Path(__file__).resolve().parents[1] / "data" / "air" / "nantong_stations.yaml"
LOCAL_TZ = "Asia/Shanghai"
EDITIONS = ("2012", "2026")  # the two CoAct evaluation edition sets, shown side by side
VALUE_FIELDS = list(SERIES_FIELDS.values())
COMPUTED_FIELDS = ["aqi", "level", "primary", "edition"]
PROBLEMS_KEPT = 200  # problems stored on a batch record (the count is always complete)
BATCH_SIZE = 2000
#: Plan indicators this module computes (``computed_by`` in the plan file) -> statistic key
#: of coact.engines.evaluation.evaluate_year.
INDICATORS = {"air.pm25_annual_mean": "pm25_annual_mean", "air.good_day_ratio": "good_day_ratio"}
RELEASE_SOURCE = "CNEMC real-time hourly release (实时发布数据, unaudited)"
DEFAULT_SOURCES = {ImportFormat.CNEMC: RELEASE_SOURCE, ImportFormat.CHINA_SITES: RELEASE_SOURCE}


# --- stations -------------------------------------------------------------------------------


def load_stations(path: Path | None = None) -> int:
    """Create or update the stations of the station list (codes, names, coordinates, flags)."""
    data = yaml.safe_load(Path(path or STATIONS_FILE).read_text("utf-8"))
    region = Region.objects.filter(code=str(data["city"])).first()
    with transaction.atomic():
        for item in data["stations"]:
            Station.objects.update_or_create(
                code=item["code"],
                defaults={
                    "name": item["name"],
                    "name_en": item.get("name_en", ""),
                    "region": region,
                    "lon": item.get("lon"),
                    "lat": item.get("lat"),
                    "evaluation": bool(item.get("evaluation")),
                    "source": data["source"][:300],
                    "note": item.get("note") or "",
                },
            )
    return len(data["stations"])


def evaluation_codes() -> list[str]:
    return list(Station.objects.filter(evaluation=True).values_list("code", flat=True))


# --- permissions ----------------------------------------------------------------------------


def can_import(user: Any) -> bool:
    """Station data are imported by the supervising office only (and by command-line jobs)."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_office)


def _check_import(by: Any) -> None:
    if by is not None and not can_import(by):
        raise PermissionDenied(f"{by} may not import air-quality data; ask the office")


# --- reading --------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """The release format from the header line: china_sites has ``type``, generic ``time``."""
    with Path(path).open("rb") as handle:
        first = handle.readline().decode("utf-8-sig", errors="replace").strip().lower()
    header = [h.strip() for h in first.split(",")]
    if "type" in header:
        return ImportFormat.CHINA_SITES
    if "time" in header and "station" in header:
        return ImportFormat.GENERIC
    return ImportFormat.CNEMC


def read_file(
    path: Path, fmt: str, known: Sequence[str]
) -> tuple[pd.DataFrame, list[airio.Problem]]:
    if fmt == ImportFormat.CNEMC:
        return airio.read_cnemc_long(path, known_stations=known)
    if fmt == ImportFormat.CHINA_SITES:
        # A national daily file holds ~1,600 station columns: keep ours, ignore the others.
        return airio.read_china_sites(path, stations=known, known_stations=known)
    if fmt == ImportFormat.GENERIC:
        return airio.read_generic_csv(path, known_stations=known)
    raise ValueError(f"unknown format {fmt!r}; one of cnemc, china_sites, generic")


def _row_errors(problems: Iterable[airio.Problem], file_name: str) -> list[RowError]:
    return [
        RowError(file=file_name, row=p.row or None, column=p.field, message=p.message)
        for p in problems
    ]


def _bad_keys(
    path: Path, fmt: str, problems: Sequence[airio.Problem]
) -> set[tuple[str, pd.Timestamp]]:
    """(station, end-of-hour) of rows that kept a row but lost a value (blanked by the reader),
    so that ``skip_bad_rows`` leaves those station-hours untouched instead of storing a gap."""
    lines = {
        p.row: p
        for p in problems
        if p.row > 1
        and p.field not in ("*", "date", "hour", "time", "station", "station,time", "type")
    }
    if not lines:
        return set()
    keys: set[tuple[str, pd.Timestamp]] = set()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with Path(path).open(newline="", encoding=encoding) as handle:
                reader = csv.reader(handle)
                header = [h.strip() for h in next(reader, [])]
                for number, row in enumerate(reader, start=2):
                    if number in lines and len(row) == len(header):
                        keys |= _keys_of_row(
                            dict(zip(header, row, strict=True)), fmt, lines[number], problems
                        )
            return keys
        except UnicodeDecodeError:
            keys.clear()
    return keys


def _keys_of_row(
    cells: dict[str, str], fmt: str, problem: airio.Problem, problems: Sequence[airio.Problem]
) -> set[tuple[str, pd.Timestamp]]:
    if fmt == ImportFormat.GENERIC:
        return {(cells["station"].strip(), pd.Timestamp(cells["time"].strip()))}
    when = pd.Timestamp(dt.datetime.strptime(cells["date"].strip(), "%Y%m%d")) + pd.Timedelta(
        hours=int(float(cells["hour"]))
    )
    if fmt == ImportFormat.CNEMC:
        return {(cells["station"].strip(), when)}
    # china_sites: the field is TYPE@STATION; every problem of that line names its station.
    return {
        (p.field.split("@", 1)[1], when)
        for p in problems
        if p.row == problem.row and "@" in p.field
    }


# --- storing --------------------------------------------------------------------------------


@dataclass
class StoreResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    years: set[int] | None = None


def _to_local_naive(values: Iterable[dt.datetime]) -> pd.DatetimeIndex:
    return (
        pd.DatetimeIndex(pd.to_datetime(list(values), utc=True))
        .tz_convert(LOCAL_TZ)
        .tz_localize(None)
    )


def _existing(station_ids: Sequence[int], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    aware = [t.tz_localize(LOCAL_TZ).to_pydatetime() for t in (start, end)]
    rows = list(
        HourlyValue.objects.filter(
            station_id__in=station_ids, time__gte=aware[0], time__lte=aware[1]
        ).values_list("id", "station_id", "time", *VALUE_FIELDS)
    )
    frame = pd.DataFrame(rows, columns=["id", "station_id", "time", *VALUE_FIELDS])
    frame["time"] = (
        _to_local_naive(frame["time"]) if len(frame) else pd.Series(dtype="datetime64[ns]")
    )
    return frame.astype({f: float for f in VALUE_FIELDS})


def _computed(after: pd.DataFrame) -> pd.DataFrame:
    """HJ 633 hourly AQI (edition by each hour's date) of the values as they will be stored."""
    engine_input = pd.DataFrame({"time": after["time"]})
    for series, field in SERIES_FIELDS.items():
        engine_input[series] = after[field]
    result = aqi.hourly_aqi(engine_input)
    return pd.DataFrame(
        {
            "aqi": result["aqi"].to_numpy(dtype=float),
            "level": result["level"].to_numpy(dtype=int),
            "primary": result["primary_pollutant"].astype(str).to_numpy(),
            "edition": result["edition"].astype(str).to_numpy(),
        },
        index=after.index,
    )


def _plain(value: Any) -> Any:
    """NaN -> None, numpy scalars -> Python, for the ORM and JSON."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def store_frame(frame: pd.DataFrame, batch: ImportBatch) -> StoreResult:
    """Insert new station-hours, update changed ones (with a Correction each), skip equal ones.

    ``frame``: reader output (``station`` code, ``time`` naive local end of hour, series
    columns). Only the series present in the frame are written; others keep their values.
    """
    if frame.empty:
        return StoreResult(years=set())
    ids = dict(Station.objects.values_list("code", "id"))
    incoming = pd.DataFrame(
        {"station_id": frame["station"].map(ids).astype(int), "time": frame["time"]}
    )
    present = [SERIES_FIELDS[c] for c in frame.columns if c in SERIES_FIELDS]
    for series in (c for c in frame.columns if c in SERIES_FIELDS):
        incoming[SERIES_FIELDS[series]] = frame[series].to_numpy(dtype=float)
    old = _existing(
        incoming["station_id"].unique().tolist(), incoming["time"].min(), incoming["time"].max()
    )
    merged = incoming.merge(old, on=["station_id", "time"], how="left", suffixes=("", "_old"))
    after = pd.DataFrame({"station_id": merged["station_id"], "time": merged["time"]})
    changed = pd.Series(False, index=merged.index)
    changes: dict[str, pd.Series] = {}
    for field in VALUE_FIELDS:
        before = merged[f"{field}_old"] if field in present else merged[field]
        now = merged[field] if field in present else before
        after[field] = now
        if field in present:
            differs = ~((before == now) | (before.isna() & now.isna()))
            changes[field] = differs
            changed |= differs
    is_new = merged["id"].isna()
    to_write = is_new | changed
    after = pd.concat([after, _computed(after)], axis=1)
    result = StoreResult(
        years=set(pd.DatetimeIndex(after.loc[to_write, "time"] - pd.Timedelta(hours=1)).year)
    )
    _create(after.loc[is_new], batch)
    result.created = int(is_new.sum())
    updates = ~is_new & changed
    result.updated = int(updates.sum())
    result.unchanged = int((~is_new & ~changed).sum())
    if result.updated:
        _update(
            after.loc[updates],
            merged.loc[updates],
            {k: v[updates] for k, v in changes.items()},
            batch,
        )
    return result


def _instances(
    after: pd.DataFrame, batch: ImportBatch, ids: Sequence[Any] | None = None
) -> list[HourlyValue]:
    stamps = pd.DatetimeIndex(after["time"]).tz_localize(LOCAL_TZ).to_pydatetime()
    columns = {
        f: after[f].astype(object).where(after[f].notna(), None).to_numpy()
        for f in [*VALUE_FIELDS, "aqi"]
    }
    level, primary, edition = (
        after["level"].to_numpy(),
        after["primary"].to_numpy(),
        after["edition"].to_numpy(),
    )
    station = after["station_id"].to_numpy()
    objects = []
    for i in range(len(after)):
        obj = HourlyValue(
            station_id=int(station[i]),
            time=stamps[i],
            level=int(level[i]),
            primary=primary[i],
            edition=edition[i],
            batch=batch,
            **{f: columns[f][i] for f in columns},
        )
        if ids is not None:
            obj.pk = int(ids[i])
        objects.append(obj)
    return objects


def _create(after: pd.DataFrame, batch: ImportBatch) -> None:
    HourlyValue.objects.bulk_create(_instances(after, batch), batch_size=BATCH_SIZE)


def _update(
    after: pd.DataFrame, merged: pd.DataFrame, changes: dict[str, pd.Series], batch: ImportBatch
) -> None:
    ids = merged["id"].astype(int).to_numpy()
    objects = _instances(after, batch, ids)
    HourlyValue.objects.bulk_update(
        objects, [*VALUE_FIELDS, *COMPUTED_FIELDS, "batch"], batch_size=500
    )
    corrections = []
    for i, pk in enumerate(ids):
        diff = {
            field: [_plain(merged[f"{field}_old"].iat[i]), _plain(merged[field].iat[i])]
            for field, mask in changes.items()
            if mask.iat[i]
        }
        corrections.append(Correction(value_id=int(pk), batch=batch, changes=diff))
    Correction.objects.bulk_create(corrections, batch_size=BATCH_SIZE)
    # The same before/after also goes into the one audit trail (bulk updates send no signals).
    log_bulk_changes(
        HourlyValue,
        [(c.value_id, f"station-hour {c.value_id}", c.changes) for c in corrections],
        actor=batch.imported_by,
    )


# --- imports --------------------------------------------------------------------------------


def import_file(
    path: Path,
    fmt: str | None = None,
    *,
    by: Any = None,
    skip_bad_rows: bool = False,
    file_name: str | None = None,
    source: str = "",
) -> ImportBatch:
    """Import a release file. Raises ImportRejected (a rejected batch is still recorded)
    when any row is bad and ``skip_bad_rows`` is off."""
    _check_import(by)
    path = Path(path)
    fmt = fmt or detect_format(path)
    name = file_name or path.name
    frame, problems = read_file(path, fmt, list(Station.objects.values_list("code", flat=True)))
    if skip_bad_rows and problems:
        frame = _drop_keys(frame, _bad_keys(path, fmt, problems))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _import(
        frame,
        _row_errors(problems, name),
        name=name,
        fmt=fmt,
        by=by,
        skip_bad_rows=skip_bad_rows,
        sha256=digest,
        source=source or DEFAULT_SOURCES.get(fmt, name),
    )


def _drop_keys(frame: pd.DataFrame, keys: set[tuple[str, pd.Timestamp]]) -> pd.DataFrame:
    if not keys:
        return frame
    index = pd.MultiIndex.from_frame(frame[["station", "time"]])
    return frame.loc[~index.isin(list(keys))].reset_index(drop=True)


def _import(
    frame: pd.DataFrame,
    errors: list[RowError],
    *,
    name: str,
    fmt: str,
    by: Any,
    skip_bad_rows: bool,
    sha256: str = "",
    source: str = "",
) -> ImportBatch:
    started = time.perf_counter()
    batch = ImportBatch(
        file_name=name[:300],
        format=fmt,
        sha256=sha256,
        source=source[:300],
        skip_bad_rows=skip_bad_rows,
        rows_read=len(frame) + len(errors),
        imported_by=by if by is not None and by.is_authenticated else None,
        problems=[e.as_dict() for e in errors[:PROBLEMS_KEPT]],
        problem_count=len(errors),
    )
    if errors and not skip_bad_rows:
        batch.state = ImportState.REJECTED
        batch.save()
        raise ImportRejected(errors)
    with transaction.atomic():
        batch.state = ImportState.PARTIAL if errors else ImportState.IMPORTED
        batch.skipped = len(errors)
        batch.save()
        stored = store_frame(frame, batch)
        batch.created, batch.updated, batch.unchanged = (
            stored.created,
            stored.updated,
            stored.unchanged,
        )
        for year in sorted(stored.years or ()):
            refresh_year(year)
        batch.seconds = round(time.perf_counter() - started, 3)
        batch.save()
    return batch


@dataclass(frozen=True)
class PushRecord:
    """One station-hour sent by a machine client (API push)."""

    station: str
    time: dt.datetime  # end of the hour, local time if naive
    values: dict[str, float | None]


def import_records(
    records: Sequence[PushRecord],
    *,
    by: Any,
    packet: str = "push",
    skip_bad_rows: bool = False,
    source: str = "",
) -> ImportBatch:
    """API push: the same checks as a file (station known, values numeric, plausible,
    no duplicate station-hour), errors named by packet, record number and field."""
    _check_import(by)
    known = set(Station.objects.values_list("code", flat=True))
    bounds = airio._screening()["max_plausible"]
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, pd.Timestamp]] = set()
    for number, record in enumerate(records, start=1):
        problems = _record_problems(record, known, bounds, seen, packet, number)
        errors.extend(problems)
        if not problems:
            stamp = pd.Timestamp(record.time)
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert(LOCAL_TZ).tz_localize(None)
            seen.add((record.station, stamp))
            rows.append({"station": record.station, "time": stamp, **record.values})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.astype({c: float for c in frame.columns if c in SERIES_FIELDS})
    return _import(
        frame,
        errors,
        name=packet,
        fmt=ImportFormat.PUSH,
        by=by,
        skip_bad_rows=skip_bad_rows,
        source=source or f"API push by {by}",
    )


def _record_problems(
    record: PushRecord,
    known: set[str],
    bounds: dict[str, float],
    seen: set[tuple[str, pd.Timestamp]],
    packet: str,
    number: int,
) -> list[RowError]:
    errors = []
    if record.station not in known:
        errors.append(RowError(packet, number, "station", f"unknown station {record.station!r}"))
    stamp = pd.Timestamp(record.time)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LOCAL_TZ).tz_localize(None)
    if stamp.minute or stamp.second:
        errors.append(
            RowError(packet, number, "time", "time must be a whole hour (end of the hour)")
        )
    if (record.station, stamp) in seen:
        errors.append(
            RowError(packet, number, "station,time", "duplicate station-hour in this packet")
        )
    for series, value in record.values.items():
        if series not in SERIES_FIELDS:
            errors.append(
                RowError(packet, number, series, f"unknown series; one of {sorted(SERIES_FIELDS)}")
            )
        elif value is not None and (not np.isfinite(value) or value < 0):
            errors.append(RowError(packet, number, series, f"impossible value {value}"))
        elif value is not None and value > float(bounds.get(series.split("_")[0], np.inf)):
            errors.append(
                RowError(packet, number, series, f"{value} is above the plausibility bound")
            )
    return errors


# --- daily values and plan indicators ---------------------------------------------------------


def year_hourly(year: int, stations: Sequence[str] | None = None) -> pd.DataFrame:
    """Hourly values of the natural days of ``year`` (hours 01..24: Jan 1 01:00 .. next Jan 1 00:00)
    as an engine frame: ``station``, ``time`` (naive local end of hour), CNEMC series names."""
    start = pd.Timestamp(year, 1, 1, 1).tz_localize(LOCAL_TZ).to_pydatetime()
    end = pd.Timestamp(year + 1, 1, 1, 0).tz_localize(LOCAL_TZ).to_pydatetime()
    qs = HourlyValue.objects.filter(time__gte=start, time__lte=end)
    if stations is not None:
        qs = qs.filter(station__code__in=list(stations))
    fields = [f for s, f in SERIES_FIELDS.items() if s != "AQI"]
    rows = list(qs.values_list("station__code", "time", *fields))
    frame = pd.DataFrame(
        rows, columns=["station", "time", *[s for s in SERIES_FIELDS if s != "AQI"]]
    )
    frame["time"] = (
        _to_local_naive(frame["time"]) if len(frame) else pd.Series(dtype="datetime64[ns]")
    )
    return frame.astype({s: float for s in SERIES_FIELDS if s != "AQI"})


DAILY_FIELDS = {
    "SO2_24h": "so2",
    "NO2_24h": "no2",
    "PM10_24h": "pm10",
    "CO_24h": "co",
    "PM2.5_24h": "pm25",
    "O3_8h": "o3_8h",
    "O3_1h": "o3_1h",
}


def _daily_rows(
    values: pd.DataFrame, table: pd.DataFrame, edition: str, station_ids: Sequence[int | None]
) -> list[DailyValue]:
    dates = pd.DatetimeIndex(values.index.get_level_values("date")).date
    columns = {
        f: values[c].astype(object).where(values[c].notna(), None).to_numpy()
        for c, f in DAILY_FIELDS.items()
        if c in values
    }
    aqi_values = table["aqi"].astype(object).where(table["aqi"].notna(), None).to_numpy()
    level, primary = table["level"].to_numpy(), table["primary_pollutant"].astype(str).to_numpy()
    published = table["published"].to_numpy(dtype=bool)
    return [
        DailyValue(
            station_id=station_ids[i],
            date=dates[i],
            edition=edition,
            aqi=aqi_values[i],
            level=int(level[i]),
            primary=primary[i],
            published=bool(published[i]),
            **{f: columns[f][i] for f in columns},
        )
        for i in range(len(values))
    ]


def rebuild_daily(year: int, hourly: pd.DataFrame | None = None) -> int:
    """Station and city daily values and daily AQI of ``year`` under both edition sets."""
    hourly = year_hourly(year) if hourly is None else hourly
    objects: list[DailyValue] = []
    if not hourly.empty:
        ids = dict(Station.objects.values_list("code", "id"))
        for edition in EDITIONS:
            daily = evaluation.station_daily(hourly, edition)
            daily = daily[pd.DatetimeIndex(daily.index.get_level_values("date")).year == year]
            rounded = evaluation.round_daily(daily, edition)
            table = evaluation.daily_city_aqi(rounded, edition)
            objects += _daily_rows(
                rounded, table, edition, [ids[c] for c in rounded.index.get_level_values("station")]
            )
            city = evaluation.round_daily(
                evaluation.city_daily(daily, evaluation_codes(), edition), edition
            )
            city.index = pd.MultiIndex.from_arrays([city.index], names=["date"])
            city_table = evaluation.daily_city_aqi(city, edition)
            objects += _daily_rows(city, city_table, edition, [None] * len(city))
    with transaction.atomic():
        DailyValue.objects.filter(date__year=year).delete()
        DailyValue.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    return len(objects)


def refresh_year(year: int) -> dict[str, Any]:
    """Rebuild the year's daily values and record the plan indicators computed from them."""
    hourly = year_hourly(year)
    days = rebuild_daily(year, hourly)
    recorded = record_indicators(year, hourly)
    return {"year": year, "daily_values": days, "observations": recorded}


def _last_data_day(year: int) -> dt.date | None:
    last = (
        DailyValue.objects.filter(station__isnull=True, date__year=year, published=True)
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return last


def _sources(year: int) -> str:
    start = pd.Timestamp(year, 1, 1, 1).tz_localize(LOCAL_TZ).to_pydatetime()
    end = pd.Timestamp(year + 1, 1, 1, 0).tz_localize(LOCAL_TZ).to_pydatetime()
    batch_ids = (
        HourlyValue.objects.filter(time__gte=start, time__lte=end)
        .values_list("batch", flat=True)
        .distinct()
    )
    names = sorted(
        set(ImportBatch.objects.filter(pk__in=list(batch_ids)).values_list("source", flat=True))
    )
    return "; ".join(n for n in names if n) or "hourly station data"


def record_indicators(year: int, hourly: pd.DataFrame | None = None) -> int:
    """Record the year's (or year-to-date) PM2.5 mean and good-day ratio on every plan indicator
    computed by this module, via coact.plan.services.record_observation. Idempotent."""
    stations = evaluation_codes()
    hourly = (
        year_hourly(year, stations) if hourly is None else hourly[hourly["station"].isin(stations)]
    )
    last = _last_data_day(year)
    if hourly.empty or last is None:
        return 0
    stats = evaluation.evaluate_year(
        hourly, year, stations=stations
    )  # edition set by date (engine)
    recorded = 0
    for name, key in INDICATORS.items():
        value = stats.get(key)
        if value is None or np.isnan(value):
            continue
        for indicator in plan_services.indicators_computed_by(name):
            recorded += _record(
                indicator, name, float(value), year, last, stats, hourly["station"].nunique()
            )
    return recorded


def _record(
    indicator: Any,
    name: str,
    value: float,
    year: int,
    last: dt.date,
    stats: dict[str, Any],
    station_count: int,
) -> int:
    start = dt.date(year, 1, 1)
    for existing in plan_services.approved_series(indicator):
        if (
            existing.computed_by == name
            and existing.period_start == start
            and existing.period_end == last
            and existing.value == value
        ):
            return 0  # the same figure is already there
    ytd = last < dt.date(year, 12, 31)
    source = f"CoAct HJ 663 evaluation of {_sources(year)}"
    note = (
        f"{'Year to date' if ytd else 'Calendar year'} {start}..{last}; {station_count} evaluation "
        f"stations with data; edition set {stats['edition']} (HJ 633/HJ 663/GB 3095); "
        f"{stats['valid_days']} days with a published AQI. Computed from unaudited real-time "
        f"release data, not the official audited figure."
    )
    plan_services.record_observation(
        indicator,
        plan_services.ObservationInput(
            value=value,
            period_start=start,
            period_end=last,
            as_of=timezone.localdate(),
            source=source[:300],
            note=note,
        ),
        computed_by=name,
    )
    return 1


def years_with_data() -> list[int]:
    return sorted(
        {d.year for d in DailyValue.objects.filter(station__isnull=True).dates("date", "year")}
    )


# --- read API for the forecast app ------------------------------------------------------------
# Other apps may not import air's models; the forecast app reads station data only through
# these functions.


def hourly_frame(
    first_day: dt.date, last_day: dt.date, stations: Sequence[str] | None = None
) -> pd.DataFrame:
    """Hourly values of the natural days ``first_day``..``last_day`` (hours 01..24, i.e. end of
    hour from first_day 01:00 to last_day+1 00:00): ``station``, ``time`` (naive local END of
    hour), CNEMC series names (µg/m³, CO mg/m³). Nothing after ``last_day`` is read.
    ``stations``: codes; default the evaluation stations (the city)."""
    start = pd.Timestamp(first_day) + pd.Timedelta(hours=1)
    end = pd.Timestamp(last_day) + pd.Timedelta(days=1)
    aware = [t.tz_localize(LOCAL_TZ).to_pydatetime() for t in (start, end)]
    codes = list(stations) if stations is not None else evaluation_codes()
    qs = HourlyValue.objects.filter(time__gte=aware[0], time__lte=aware[1], station__code__in=codes)
    series = [s for s in SERIES_FIELDS if s != "AQI"]
    rows = list(qs.values_list("station__code", "time", *[SERIES_FIELDS[s] for s in series]))
    frame = pd.DataFrame(rows, columns=["station", "time", *series])
    frame["time"] = (
        _to_local_naive(frame["time"]) if len(frame) else pd.Series(dtype="datetime64[ns]")
    )
    return frame.astype({s: float for s in series})


def data_day_range(stations: Sequence[str] | None = None) -> tuple[dt.date, dt.date] | None:
    """First and last natural day with an hourly value at the given (default: evaluation)
    stations, or None. The hour ending 00:00 belongs to the previous day."""
    codes = list(stations) if stations is not None else evaluation_codes()
    qs = HourlyValue.objects.filter(station__code__in=codes)
    first = qs.order_by("time").values_list("time", flat=True).first()
    last = qs.order_by("-time").values_list("time", flat=True).first()
    if first is None or last is None:
        return None
    days = _to_local_naive([first, last]) - pd.Timedelta(hours=1)
    return days[0].date(), days[1].date()


def city_daily_o3_8h(first_day: dt.date, last_day: dt.date) -> dict[dt.date, float]:
    """The city's daily maximum 8-h O3 (µg/m³, HJ 663: mean of the evaluation stations' daily
    values) per day, from the edition set in force on that day (HJ 633 switch by date)."""
    rows = DailyValue.objects.filter(
        station__isnull=True, date__gte=first_day, date__lte=last_day, o3_8h__isnull=False
    ).values_list("date", "edition", "o3_8h")
    return {day: value for day, edition, value in rows if edition == edition_for("HJ633", day)}


def station_codes(evaluation_only: bool = True) -> list[str]:
    """Station codes, the evaluation stations by default."""
    qs = Station.objects.filter(evaluation=True) if evaluation_only else Station.objects.all()
    return list(qs.values_list("code", flat=True))
