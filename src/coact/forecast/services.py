"""Every write of the forecast app: training, daily forecast runs, the ozone warning case,
backtests, plan evidence, and the emergency-measure lists.

Station data come only through the air app's read API (``coact.air.services`` functions
marked "read API for the forecast app"); cases only through ``coact.cases.services``.
Leakage rule: a run as of day D reads hourly data of days <= D only, and uses a trained
model only if all of its training targets are <= D; otherwise it falls back to baselines.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coact.air import services as air
from coact.core.importing import ImportRejected, ImportResult, RowError, import_all_or_nothing
from coact.core.models import Department, Enterprise, Region, RegionKind, Role
from coact.engines import aqi
from coact.engines.forecast.backtest import prepare, run_backtest
from coact.engines.forecast.models import (
    ENGINE_VERSION,
    fit_forecaster,
    load_forecaster,
    save_forecaster,
)
from coact.engines.forecast.verification import EXCEEDANCE_GRADE
from coact.plan import services as plan_services

from . import forecasting
from .models import (
    CITY,
    Backtest,
    BacktestState,
    EmergencyMeasure,
    ForecastDay,
    ForecastModel,
    ForecastRun,
    Meteorology,
    WarningLevel,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "forecast"
HISTORY_DAYS = 3 * 366  # days of history read for a run (climatology needs whole years)
RESPONSIBLE_DEPARTMENT = "ecology"  # the office that receives ozone warnings
#: Plan indicators this module may compute (``computed_by`` in the plan file).
ACCURACY_INDICATOR = "forecast.o3_grade_accuracy_72h"


class TooLittleHistory(Exception):
    """Not enough stored history to train a model; the runs use baselines."""


# --- permissions ----------------------------------------------------------------------------


def can_operate(user: Any) -> bool:
    """Training, runs and backtests from the web: the supervising office only."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_office)


def can_edit_measures(user: Any) -> bool:
    """Emergency lists are kept by the office and the ecology department."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_office:
        return True
    return (
        user.role == Role.DEPARTMENT
        and getattr(user.department, "code", None) == RESPONSIBLE_DEPARTMENT
    )


def _check(allowed: bool, by: Any, what: str) -> None:
    if by is not None and not allowed:
        raise PermissionDenied(f"{by} may not {what}")


# --- data -------------------------------------------------------------------------------------


def _stations(area: str) -> list[str] | None:
    return None if area == CITY else [area]


def data_range(area: str = CITY) -> tuple[dt.date, dt.date] | None:
    return air.data_day_range(_stations(area))


def load_history(as_of: dt.date, area: str = CITY) -> tuple[Any, dt.date]:
    """Hourly history of ``area`` for days <= ``as_of`` only (the leakage guard), and its
    first day."""
    span = data_range(area)
    if span is None or span[0] > as_of:
        raise ValidationError({"as_of": f"no hourly O3 data for {area} on or before {as_of}"})
    first = max(span[0], as_of - dt.timedelta(days=HISTORY_DAYS))
    frame = air.hourly_frame(first, as_of, _stations(area))
    return forecasting.history_from_frame(frame, source=f"air app {area}"), first


def model_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "models"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- training ---------------------------------------------------------------------------------


def train_model(as_of: dt.date | None = None, *, area: str = CITY, by: Any = None) -> ForecastModel:
    """Train the met-free forecaster on all stored history up to ``as_of`` (default: the last
    data day) and save it as a versioned joblib file + JSON sidecar. Raises TooLittleHistory."""
    _check(can_operate(by), by, "train forecast models")
    span = data_range(area)
    if span is None:
        raise TooLittleHistory("no stored hourly O3 data: the forecast uses baselines")
    end = min(as_of or span[1], span[1])
    history, first = load_history(end, area)
    started = time.perf_counter()
    dataset = prepare(history, "none")
    try:
        fitted = fit_forecaster(dataset.design, dataset.target, dataset.issue["mda8"], end)
    except ValueError as error:
        raise TooLittleHistory(
            f"too little history to train ({first}..{end}: {error}); the forecast uses baselines"
        ) from error
    seconds = round(time.perf_counter() - started, 2)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    version = f"o3-{area}-{end:%Y%m%d}-{stamp}.joblib"
    path = model_dir() / version
    sidecar = save_forecaster(fitted, path)
    return ForecastModel.objects.create(
        area=area,
        version=version,
        path=str(path),
        engine_version=ENGINE_VERSION,
        first_issue_day=pd.Timestamp(fitted.train_start).date(),
        last_target_day=end,
        meteorology=Meteorology.NONE,
        sidecar=json.loads(sidecar.read_text("utf-8")),
        seconds=seconds,
        created_by=_user(by),
    )


def usable_model(as_of: dt.date, area: str = CITY) -> ForecastModel | None:
    """The newest model whose training targets all lie on or before ``as_of``."""
    return (
        ForecastModel.objects.filter(area=area, last_target_day__lte=as_of)
        .order_by("-last_target_day", "-created")
        .first()
    )


def _user(by: Any) -> Any:
    return by if by is not None and by.is_authenticated else None


# --- forecast runs ----------------------------------------------------------------------------


def run_forecast(
    as_of: dt.date | None = None,
    *,
    area: str = CITY,
    by: Any = None,
    use_model: bool = True,
    warn: bool = True,
) -> ForecastRun:
    """Issue leads 1..10 as of ``as_of`` (default: the last day with data) and store them,
    replacing an earlier run of the same area and day. Opens the ozone warning case when a
    precise day (leads 1-3) of the city reaches grade 3 or worse."""
    _check(can_operate(by), by, "issue forecasts")
    span = data_range(area)
    if span is None:
        raise ValidationError({"as_of": f"no hourly O3 data for {area}"})
    day = as_of or span[1]
    started = time.perf_counter()
    history, first = load_history(day, area)
    stored = usable_model(day, area) if use_model else None
    table, note = _issue(history, day, stored)
    with transaction.atomic():
        run = ForecastRun.objects.filter(area=area, as_of=day).first() or ForecastRun(
            area=area, as_of=day
        )
        run.model = stored if note == "" else None
        run.model_version = stored.version if run.model else "baselines"
        run.method = "model" if run.model else "baselines"
        run.data_start, run.data_end = first, min(day, span[1])
        run.meteorology = Meteorology.NONE
        run.note = note
        run.seconds = round(time.perf_counter() - started, 3)
        run.created_by = _user(by)
        run.save()
        run.days.all().delete()
        ForecastDay.objects.bulk_create(_days(run, table))
    if warn and area == CITY:
        open_warning_if_needed(run)
    return run


def _issue(history: Any, day: dt.date, stored: ForecastModel | None) -> tuple[pd.DataFrame, str]:
    """(forecast table, note): the model when one may be used, else the baselines."""
    if stored is None:
        note = "no model trained on data up to this day: per-lead better baseline"
        return forecasting.issue_with_baselines(history, day), note
    try:
        model = load_forecaster(stored.path)
        return forecasting.issue_with_model(history, day, model), ""
    except (OSError, ValueError) as error:
        note = f"model {stored.version} unusable ({error}): per-lead better baseline"
        return forecasting.issue_with_baselines(history, day), note


def _float(value: Any) -> float | None:
    number = float(value)
    return None if pd.isna(number) else round(number, 2)


def _days(run: ForecastRun, table: pd.DataFrame) -> list[ForecastDay]:
    rows = []
    for item in table.to_dict("records"):
        rows.append(
            ForecastDay(
                run=run,
                lead=int(item["lead"]),
                date=item["date"],
                kind=item["kind"],
                point=_float(item["point"]),
                median=_float(item["q50"]),
                **{q: _float(item[q]) for q in ("q05", "q10", "q25", "q75", "q90", "q95")},
                grade=int(item["grade"]),
                probabilities=[round(float(item[f"p_grade{g}"]), 4) for g in range(1, 7)],
                source=str(item["source"]),
                persistence=_float(item["persistence"]),
                climatology=_float(item["climatology"]),
            )
        )
    return rows


# --- warning levels and emergency measures ------------------------------------------------------


@cache
def warning_levels() -> dict[str, Any]:
    return yaml.safe_load((DATA_DIR / "warning_levels.yaml").read_text("utf-8"))


def level_for_grade(grade: int) -> str | None:
    """The warning level a forecast grade activates (the highest whose from_grade it reaches)."""
    chosen = None
    for level in warning_levels()["levels"]:
        if grade >= int(level["from_grade"]):
            chosen = level["code"]
    return chosen


def level_names() -> dict[str, dict[str, str]]:
    return {item["code"]: item for item in warning_levels()["levels"]}


def measures_for(level: str, on: dt.date) -> list[EmergencyMeasure]:
    """Measures of ``level`` valid on ``on`` (every enterprise; the system's view)."""
    return list(
        EmergencyMeasure.objects.filter(level=level, valid_from__lte=on)
        .exclude(valid_to__lt=on)
        .select_related("enterprise")
        .order_by("enterprise__name", "pk")
    )


def measure_totals(measures: list[EmergencyMeasure]) -> dict[str, float]:
    return {
        "count": len(measures),
        "enterprises": len({m.enterprise_id for m in measures}),
        "nox_kg_day": round(sum(m.nox_kg_day for m in measures), 1),
        "vocs_kg_day": round(sum(m.vocs_kg_day for m in measures), 1),
    }


def warning_days(run: ForecastRun) -> list[ForecastDay]:
    """Precise days (leads 1-3) forecast at grade 3 (light pollution) or worse."""
    threshold = int(warning_levels().get("warning_from_grade", EXCEEDANCE_GRADE))
    return list(run.days.filter(kind="precise", grade__gte=threshold).order_by("lead"))


def _warning_text(run: ForecastRun, days: list[ForecastDay], level: str) -> tuple[str, str]:
    names = level_names()[level]
    worst = max(days, key=lambda d: d.grade)
    info = aqi.level_info(worst.grade)
    dates = ", ".join(
        f"{d.date} ({aqi.level_info(d.grade).category_zh}, {d.point:.0f} µg/m³)" for d in days
    )
    title = f"臭氧污染{names['zh']} {days[0].date}: 预报{info.category_zh} (O3-8h)"
    measures = measures_for(level, days[0].date)
    totals = measure_totals(measures)
    lines = [
        f"O3 forecast as of {run.as_of} ({run.model_version}; meteorology: {run.meteorology}) "
        f"expects {info.category_en} ({info.category_zh}) on: {dates}.",
        f"Warning level: {names['zh']} / {names['en']} (grade {worst.grade}; mapping: "
        f"{warning_levels()['source']}).",
        f"Emergency measures activated at this level: {totals['count']} measure(s) of "
        f"{totals['enterprises']} enterprise(s); expected reduction NOx {totals['nox_kg_day']} "
        f"kg/day, VOCs {totals['vocs_kg_day']} kg/day.",
    ]
    for m in measures:
        flag = " [illustrative]" if m.illustrative else ""
        lines.append(
            f"- {m.enterprise.name}: {m.measure} (NOx {m.nox_kg_day:g}, VOCs "
            f"{m.vocs_kg_day:g} kg/day){flag}"
        )
    return title, "\n".join(lines)


def open_warning_if_needed(run: ForecastRun) -> Any:
    """Open (or join) the ozone warning case for the run's precise exceedance days.

    dedupe_key ``o3:<first day of the episode>``: a rerun, or the next day's run forecasting
    the same episode, joins the open case instead of opening another. Returns the case or
    None."""
    days = warning_days(run)
    if not days or not apps.is_installed("coact.cases"):
        return None
    from coact.cases import services as case_services

    level = level_for_grade(max(d.grade for d in days)) or WarningLevel.YELLOW
    title, description = _warning_text(run, days, level)
    episode = episode_start(run, days[0].date)
    case = case_services.open_case(
        "ozone_warning",
        region=Region.objects.filter(kind=RegionKind.CITY).order_by("pk").first(),
        responsible_department=Department.objects.filter(code=RESPONSIBLE_DEPARTMENT).first(),
        title=title,
        description=description,
        source="system",
        category="ozone",
        urgency="urgent" if max(d.grade for d in days) >= 4 else "normal",
        opened_by=None,
        links=[run],
        dedupe_key=f"o3:{episode}",
    )
    ForecastRun.objects.filter(pk=run.pk).update(
        warning_from=episode, warning_case_id=case.pk, warning_case_number=case.number
    )
    run.warning_from, run.warning_case_id, run.warning_case_number = episode, case.pk, case.number
    return case


def episode_start(run: ForecastRun, first_day: dt.date) -> dt.date:
    """The first warned day of the episode this run continues: when the previous day's run
    warned of days reaching up to the day before ``first_day``, the episode (and its case)
    is the same, so the next day's run joins the open case instead of opening a new one."""
    previous = (
        ForecastRun.objects.filter(
            area=run.area, as_of__lt=run.as_of, as_of__gte=run.as_of - dt.timedelta(days=1)
        )
        .exclude(warning_from=None)
        .first()
    )
    if previous is None:
        return first_day
    warned = [d.date for d in warning_days(previous)]
    if warned and max(warned) >= first_day - dt.timedelta(days=1):
        return min(previous.warning_from, first_day)
    return first_day


# --- verification evidence for the plan ----------------------------------------------------------


def record_accuracy_indicators(scores: dict[str, Any]) -> int:
    """Record the lead-3 exact grade accuracy (%) on plan indicators computed by
    ``forecast.o3_grade_accuracy_72h``, if the plan has any (the Nantong 2023-2025 plan's
    NT-AIR-O3-FORECAST-72H is *reported*: the page shows the figure as evidence only)."""
    indicators = plan_services.indicators_computed_by(ACCURACY_INDICATOR)
    lead3 = scores.get("issued", {}).get(3) or {}
    if not indicators or not lead3.get("n"):
        return 0
    value = round(100 * lead3["exact"], 1)
    for indicator in indicators:
        plan_services.record_observation(
            indicator,
            plan_services.ObservationInput(
                value=value,
                period_start=scores["first_day"],
                period_end=scores["last_day"],
                as_of=timezone.localdate(),
                source="CoAct stored O3 forecasts vs observed city O3-8h (air app)",
                note=f"exact grade accuracy at lead 3 (72 h), n = {lead3['n']}",
            ),
            computed_by=ACCURACY_INDICATOR,
        )
    return len(indicators)


# --- backtests ----------------------------------------------------------------------------------


def request_backtest(by: Any, *, retrain_days: int = 30) -> Backtest:
    """Queue an engine backtest on the stored city history (django-q2 background task)."""
    _check(can_operate(by), by, "run backtests")
    if by is None:
        raise PermissionDenied("a backtest is requested by a signed-in office user")
    span = data_range()
    if span is None:
        raise ValidationError({"backtest": "no stored hourly O3 data"})
    first, last = span
    days = (last - first).days
    if days < 60:
        raise ValidationError({"backtest": f"only {days + 1} days of history; need 60"})
    train_end = first + dt.timedelta(days=max(45, int(days * 0.6)))
    backtest = Backtest.objects.create(
        state=BacktestState.QUEUED,
        setup={
            "train_end": str(train_end),
            "test_end": str(last),
            "retrain_days": retrain_days,
            "meteorology": ["none"],
            "area": CITY,
        },
        requested_by=by,
    )
    from django_q.tasks import async_task

    async_task(
        "coact.forecast.services.run_backtest_job",
        backtest.pk,
        task_name=f"forecast-backtest-{backtest.pk}",
    )
    return backtest


def run_backtest_job(pk: int) -> str:
    """The background job: run the engine backtest and store its JSON result."""
    backtest = Backtest.objects.get(pk=pk)
    backtest.state = BacktestState.RUNNING
    backtest.save(update_fields=["state"])
    started = time.perf_counter()
    try:
        setup = backtest.setup
        test_end = dt.date.fromisoformat(setup["test_end"])
        history, _first = load_history(test_end)
        result = run_backtest(
            history,
            setup["train_end"],
            setup["test_end"],
            int(setup["retrain_days"]),
            meteorology=tuple(setup["meteorology"]),
        )
        backtest.result = json.loads(json.dumps(result, default=_json_default))
        backtest.state = BacktestState.DONE
    except Exception as error:  # the job records any failure for the page instead of dying
        backtest.state, backtest.error = BacktestState.FAILED, f"{type(error).__name__}: {error}"
    backtest.seconds = round(time.perf_counter() - started, 1)
    backtest.finished = timezone.now()
    backtest.save()
    return backtest.state


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


# --- emergency measures: writes and Excel import -------------------------------------------------


@dataclass(frozen=True)
class MeasureInput:
    enterprise: Enterprise
    level: str
    measure: str
    nox_kg_day: float
    vocs_kg_day: float
    valid_from: dt.date
    valid_to: dt.date | None = None
    source: str = ""
    illustrative: bool = False


def _validate_measure(data: MeasureInput) -> None:
    errors = {}
    if data.level not in WarningLevel.values:
        errors["level"] = f"{data.level!r} is not one of {', '.join(WarningLevel.values)}"
    if not data.measure.strip():
        errors["measure"] = "describe the measure"
    for name in ("nox_kg_day", "vocs_kg_day"):
        if getattr(data, name) < 0:
            errors[name] = "a reduction cannot be negative (kg/day)"
    if data.valid_to is not None and data.valid_to < data.valid_from:
        errors["valid_to"] = "ends before it starts"
    if errors:
        raise ValidationError(errors)


def save_measure(data: MeasureInput, *, by: Any) -> EmergencyMeasure:
    """Create the measure, or update the one with the same enterprise, level and text."""
    _check(can_edit_measures(by), by, "edit emergency measures")
    _validate_measure(data)
    measure, _created = EmergencyMeasure.objects.update_or_create(
        enterprise=data.enterprise,
        level=data.level,
        measure=data.measure.strip(),
        defaults={
            "department": Department.objects.get(code=RESPONSIBLE_DEPARTMENT),
            "nox_kg_day": data.nox_kg_day,
            "vocs_kg_day": data.vocs_kg_day,
            "valid_from": data.valid_from,
            "valid_to": data.valid_to,
            "source": data.source[:300],
            "illustrative": data.illustrative,
        },
    )
    return measure


def delete_measure(measure: EmergencyMeasure, *, by: Any) -> None:
    _check(can_edit_measures(by), by, "delete emergency measures")
    measure.delete()


LEVEL_ALIASES = {
    "黄色": "yellow",
    "黄": "yellow",
    "橙色": "orange",
    "橙": "orange",
    "红色": "red",
    "红": "red",
}
MEASURE_COLUMNS = (
    "uscc",
    "level",
    "measure",
    "nox_kg_day",
    "vocs_kg_day",
    "valid_from",
    "valid_to",
    "source",
)


def _date_cell(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _number_cell(value: Any) -> float:
    return 0.0 if value in (None, "") else float(value)


def _parse_measure_row(
    cells: dict[str, Any], where: tuple[str, int, str], enterprises: dict[str, Enterprise]
) -> MeasureInput | RowError:
    file_name, row, sheet = where

    def error(column: str, message: str) -> RowError:
        return RowError(file_name, row, column, message, sheet=sheet)

    uscc = str(cells.get("uscc") or "").strip().upper()
    if uscc not in enterprises:
        return error("uscc", f"no enterprise with code {uscc!r}")
    level = str(cells.get("level") or "").strip()
    level = LEVEL_ALIASES.get(level, level.lower())
    if level not in WarningLevel.values:
        return error("level", f"{cells.get('level')!r}: use yellow/orange/red or 黄色/橙色/红色")
    measure = str(cells.get("measure") or "").strip()
    if not measure:
        return error("measure", "describe the measure")
    values = {}
    for column in ("nox_kg_day", "vocs_kg_day"):
        try:
            values[column] = _number_cell(cells.get(column))
        except (TypeError, ValueError):
            return error(column, f"{cells.get(column)!r} is not a number (kg/day)")
        if values[column] < 0:
            return error(column, "a reduction cannot be negative")
    try:
        start = _date_cell(cells.get("valid_from"))
        end = _date_cell(cells.get("valid_to"))
    except (TypeError, ValueError):
        return error("valid_from/valid_to", "dates must look like 2025-05-01")
    if start is None:
        return error("valid_from", "give the first day the measure applies")
    if end is not None and end < start:
        return error("valid_to", "ends before it starts")
    return MeasureInput(
        enterprises[uscc],
        level,
        measure,
        values["nox_kg_day"],
        values["vocs_kg_day"],
        start,
        end,
        str(cells.get("source") or ""),
    )


def parse_measure_workbook(content: bytes, file_name: str) -> list[MeasureInput | RowError]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), data_only=True, read_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is not xlsx
        return [RowError(file_name, None, None, f"not an Excel .xlsx file ({error})")]
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip().lower() for h in next(rows, ())]
    missing = [c for c in MEASURE_COLUMNS if c not in header and c != "valid_to"]
    if missing:
        return [RowError(file_name, 1, ",".join(missing), "missing column(s)", sheet=sheet.title)]
    enterprises = {e.uscc.upper(): e for e in Enterprise.objects.all()}
    parsed: list[MeasureInput | RowError] = []
    for number, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        cells = dict(zip(header, values, strict=False))
        parsed.append(_parse_measure_row(cells, (file_name, number, sheet.title), enterprises))
    return parsed


def import_measures(content: bytes, file_name: str, *, by: Any) -> ImportResult[EmergencyMeasure]:
    """All rows of the first sheet or none; every bad row named (file, sheet, row, column)."""
    _check(can_edit_measures(by), by, "import emergency measures")
    parsed = parse_measure_workbook(content, file_name)
    if not parsed:
        raise ImportRejected([RowError(file_name, None, None, "no measure rows")])

    def apply(rows: list[MeasureInput]) -> ImportResult[EmergencyMeasure]:
        result: ImportResult[EmergencyMeasure] = ImportResult(items=[])
        for data in rows:
            existed = EmergencyMeasure.objects.filter(
                enterprise=data.enterprise, level=data.level, measure=data.measure
            ).exists()
            result.items.append(save_measure(data, by=by))  # type: ignore[union-attr]
            if existed:
                result.updated += 1
            else:
                result.created += 1
        return result

    return import_all_or_nothing(parsed, apply)


def demo_measures() -> list[dict[str, Any]]:
    return yaml.safe_load((DATA_DIR / "emergency_measures.yaml").read_text("utf-8"))["demo"]
