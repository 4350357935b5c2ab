"""Reporting workbooks: each unit downloads its own, fills it in and uploads it.

Uploads follow the core importer pattern: every row is checked, every problem is named
by sheet, row and column, and nothing is stored unless the whole file is clean.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from coact.core.importing import ImportRejected, ImportResult, RowError, import_all_or_nothing
from coact.core.models import User

from . import services
from .models import Indicator, Plan, Task

INDICATOR_SHEET = "指标 Indicators"
TASK_SHEET = "任务 Tasks"
INDICATOR_COLUMNS = [
    ("indicator_code", "指标编码"),
    ("name", "指标名称"),
    ("unit", "单位"),
    ("target", "目标值"),
    ("deadline", "截止日期"),
    ("period_start", "统计期起"),
    ("period_end", "统计期止"),
    ("value", "数值"),
    ("source", "数据来源"),
    ("note", "备注"),
]
TASK_COLUMNS = [
    ("task_number", "任务序号"),
    ("title", "任务"),
    ("year", "年度"),
    ("quarter", "季度"),
    ("percent_done", "完成进度%"),
    ("narrative", "进展情况"),
    ("problems", "存在问题"),
]
EDITABLE = {
    "period_start",
    "period_end",
    "value",
    "source",
    "note",
    "year",
    "quarter",
    "percent_done",
    "narrative",
    "problems",
}
HEADER_KEY = re.compile(r"\(([a-z_]+)\)\s*$")


def _header(key: str, label: str) -> str:
    return f"{label} ({key})"


def _write_sheet(ws: Any, columns: list[tuple[str, str]], rows: list[list[Any]]) -> None:
    ws.append([_header(k, label) for k, label in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF8E1")
    for row in rows:
        ws.append(row)
    for idx, (key, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = (
            40 if key in ("name", "title", "narrative") else 16
        )
        if key in EDITABLE:
            for r in range(2, len(rows) + 2):
                ws.cell(row=r, column=idx).fill = fill
    ws.freeze_panes = "A2"


def unit_workbook(user: User, plan: Plan, year: int, quarter: int) -> bytes:
    """The user's own indicators and tasks only, with the period pre-filled."""
    start = dt.date(year, quarter * 3 - 2, 1)
    from .assessment import quarter_end

    end = quarter_end(year, quarter)
    wb = Workbook()
    ws = wb.active
    ws.title = INDICATOR_SHEET
    indicators = (
        Indicator.objects.visible_to(user).filter(plan=plan, reporting="reported").order_by("code")
    )
    _write_sheet(
        ws,
        INDICATOR_COLUMNS,
        [
            [i.code, i.name, i.unit, i.target, i.deadline, start, end, None, "", ""]
            for i in indicators
        ],
    )
    tasks = Task.objects.visible_to(user).filter(plan=plan).order_by("number")
    _write_sheet(
        wb.create_sheet(TASK_SHEET),
        TASK_COLUMNS,
        [[t.number, t.title, year, quarter, None, "", ""] for t in tasks],
    )
    info = wb.create_sheet("说明 Notes")
    info.append([f"{plan.title} — {user} — {year}Q{quarter}"])
    info.append(
        [
            "只填写黄色单元格; 数值为空的行不导入。"
            "Fill the yellow cells only; rows with no value are skipped."
        ]
    )
    info.append(
        [
            "上传时整份文件校验, 有任何错误则全部不导入。"
            "The whole file is checked; any error imports nothing."
        ]
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows(
    ws: Any, file_name: str, columns: list[tuple[str, str]]
) -> Iterator[tuple[int, dict[str, Any]] | RowError]:
    header = [c.value for c in ws[1]]
    keys: dict[int, str] = {}
    for idx, text in enumerate(header):
        match = HEADER_KEY.search(str(text or ""))
        if match:
            keys[idx] = match.group(1)
    missing = {k for k, _ in columns} - set(keys.values())
    if missing:
        yield RowError(
            file_name,
            1,
            ", ".join(sorted(missing)),
            "required column(s) missing from the header",
            sheet=ws.title,
        )
        return
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if all(v in (None, "") for v in values):
            continue
        yield number, {keys[i]: v for i, v in enumerate(values) if i in keys}


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _parse_indicator_rows(ws: Any, file_name: str, user: User, plan: Plan) -> Iterator[Any]:
    allowed = {i.code: i for i in Indicator.objects.visible_to(user).filter(plan=plan)}
    for item in _rows(ws, file_name, INDICATOR_COLUMNS):
        if isinstance(item, RowError):
            yield item
            continue
        row, data = item
        if data.get("value") in (None, ""):
            continue  # an unfilled template row
        err = _indicator_row_error(data, allowed, user)
        if err:
            yield RowError(file_name, row, err[0], err[1], sheet=ws.title)
            continue
        try:
            start, end = _as_date(data["period_start"]), _as_date(data["period_end"])
        except (TypeError, ValueError):
            yield RowError(
                file_name,
                row,
                "period_start/period_end",
                "dates must look like 2025-03-31",
                sheet=ws.title,
            )
            continue
        yield (
            "indicator",
            allowed[str(data["indicator_code"]).strip()],
            services.ObservationInput(
                value=float(data["value"]),
                period_start=start,
                period_end=end,
                source=str(data.get("source") or "").strip(),
                note=str(data.get("note") or ""),
            ),
        )


def _indicator_row_error(
    data: dict[str, Any], allowed: dict[str, Indicator], user: User
) -> tuple[str, str] | None:
    code = str(data.get("indicator_code") or "").strip()
    if code not in allowed:
        return "indicator_code", f"{code!r} is not an indicator you report on"
    if not services.can_report(user, allowed[code]):
        return "indicator_code", f"you may not report on {code}"
    try:
        float(data["value"])
    except (TypeError, ValueError):
        return "value", f"{data['value']!r} is not a number"
    if not str(data.get("source") or "").strip():
        return "source", "say where the value comes from"
    return None


def _parse_task_rows(ws: Any, file_name: str, user: User, plan: Plan) -> Iterator[Any]:
    allowed = {t.number: t for t in Task.objects.visible_to(user).filter(plan=plan)}
    for item in _rows(ws, file_name, TASK_COLUMNS):
        if isinstance(item, RowError):
            yield item
            continue
        row, data = item
        if data.get("percent_done") in (None, "") and not data.get("narrative"):
            continue
        problem = _task_row_error(data, allowed)
        if problem:
            yield RowError(file_name, row, problem[0], problem[1], sheet=ws.title)
            continue
        yield (
            "task",
            allowed[int(data["task_number"])],
            services.TaskReportInput(
                year=int(data["year"]),
                quarter=int(data["quarter"]),
                narrative=str(data["narrative"]),
                percent_done=int(data["percent_done"]),
                problems=str(data.get("problems") or ""),
            ),
        )


def _task_row_error(data: dict[str, Any], allowed: dict[int, Task]) -> tuple[str, str] | None:
    checks: list[tuple[str, Any]] = [
        ("task_number", lambda v: int(v) in allowed),
        ("year", lambda v: 2000 <= int(v) <= 2100),
        ("quarter", lambda v: 1 <= int(v) <= 4),
        ("percent_done", lambda v: 0 <= int(v) <= 100),
    ]
    for column, ok in checks:
        try:
            if not ok(data.get(column)):
                return column, f"{data.get(column)!r} is out of range or not yours"
        except (TypeError, ValueError):
            return column, f"{data.get(column)!r} is not a whole number"
    if not str(data.get("narrative") or "").strip():
        return "narrative", "describe the progress"
    return None


def import_unit_workbook(
    content: bytes, file_name: str, user: User, plan: Plan
) -> ImportResult[Any]:
    """Check every row of both sheets; store all of them in one transaction or none."""
    try:
        wb = load_workbook(io.BytesIO(content), data_only=True, read_only=False)
    except Exception as exc:  # openpyxl raises many types for a file that is not xlsx
        raise ImportRejected(
            [RowError(file_name, None, None, f"not an Excel .xlsx file ({exc})")]
        ) from exc
    parsed: list[Any] = []
    for sheet, parser in ((INDICATOR_SHEET, _parse_indicator_rows), (TASK_SHEET, _parse_task_rows)):
        if sheet not in wb.sheetnames:
            parsed.append(RowError(file_name, None, None, f"sheet {sheet!r} is missing"))
            continue
        parsed.extend(parser(wb[sheet], file_name, user, plan))

    def apply(rows: list[Any]) -> ImportResult[Any]:
        result: ImportResult[Any] = ImportResult()
        for kind, target, data in rows:
            try:
                if kind == "indicator":
                    services.record_observation(target, data, by=user)
                else:
                    services.submit_task_report(target, data, by=user)
            except (ValidationError, PermissionDenied, services.Conflict) as exc:
                raise ImportRejected([RowError(file_name, None, None, str(exc))]) from exc
            result.created += 1
        return result

    return import_all_or_nothing(parsed, apply)


def board_workbook(plan: Plan, user: Any) -> bytes:
    """The whole board (what ``user`` may see) as an Excel file."""
    wb = Workbook()
    ws = wb.active
    ws.title = "指标 Indicators"
    ws.append(
        [
            "code",
            "name",
            "unit",
            "comparator",
            "target",
            "baseline",
            "deadline",
            "status",
            "latest",
            "expected now",
            "responsible",
        ]
    )
    for i in Indicator.objects.visible_to(user).filter(plan=plan).prefetch_related("responsible"):
        detail = i.status_detail or {}
        ws.append(
            [
                i.code,
                i.name,
                i.unit,
                i.comparator,
                i.target,
                i.baseline_value,
                i.deadline,
                i.status,
                detail.get("latest"),
                detail.get("expected"),
                "、".join(str(d) for d in i.responsible.all()),
            ]
        )
    tasks = wb.create_sheet("任务 Tasks")
    tasks.append(["number", "chapter", "title", "lead", "co", "indicators"])
    for t in (
        Task.objects.visible_to(user).filter(plan=plan).prefetch_related("lead", "co", "indicators")
    ):
        tasks.append(
            [
                t.number,
                t.chapter,
                t.title,
                "、".join(map(str, t.lead.all())),
                "、".join(map(str, t.co.all())),
                ", ".join(i.code for i in t.indicators.all()),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
