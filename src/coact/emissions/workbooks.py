"""The activity-data (emission source) Excel template and its all-or-nothing import.

Every row is checked against the engine's reference data (kinds, profiles, units, control
technologies, the demo's growth drivers); each problem is named by file, sheet, row and column,
and nothing is stored unless the whole file is clean (coact.core.importing).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from coact.core.importing import ImportRejected, ImportResult, RowError, import_all_or_nothing
from coact.core.models import User
from coact.engines import inventory
from coact.engines.inventory.sources import KINDS, KernelBuilder, load_sources, source_kernels
from coact.engines.inventory.units import is_known_unit

from . import engine, services
from .models import Inventory

SHEET = "排放源 Sources"
ALLOWED_SHEET = "可选值 Allowed values"
COLUMNS = [
    ("source_id", "源编号", True),
    ("name", "名称", False),
    ("kind", "类别", False),
    ("sector", "行业", True),
    ("county", "县(市、区)", True),
    ("county_code", "区划代码", False),
    ("fuel", "燃料", False),
    ("type", "类型", False),
    ("stage", "排放阶段", False),
    ("size_class", "规模", False),
    ("profile", "排放因子组", True),
    ("activity", "活动水平", True),
    ("activity_unit", "活动水平单位", True),
    ("controls", "现有治理设施", False),
    ("driver", "增长驱动", False),
    ("region", "电网区域", False),
    ("illustrative", "示例数据", False),
    ("note", "备注", False),
]
KEYS = [key for key, _, _ in COLUMNS]
REQUIRED = {key for key, _, required in COLUMNS if required}
HEADER_KEY = re.compile(r"\(([a-z_]+)\)\s*$")
TRUE_WORDS, FALSE_WORDS = {"true", "1", "yes", "是"}, {"false", "0", "no", "否", ""}


def template() -> bytes:
    """The blank template: one header row ("中文 (key)") and a sheet of allowed values."""
    reference = inventory.default_reference_data()
    demo = engine.shipped_document(engine.DEMO)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([f"{label} ({key})" for key, label, _ in COLUMNS])
    for index, (key, _, required) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C62828" if required else "000000")
        ws.column_dimensions[get_column_letter(index)].width = 22 if key == "name" else 15
    ws.freeze_panes = "A2"
    allowed = wb.create_sheet(ALLOWED_SHEET)
    lists = {
        "kind": list(KINDS),
        "profile": sorted(reference.profile_names()),
        "controls (joined with +)": sorted(reference.technology_names()),
        "driver": sorted(demo["drivers"]),
        "activity_unit (examples)": ["TJ", "t", "kWh", "vkm", "person", "m3"],
    }
    for column, (title, values) in enumerate(lists.items(), start=1):
        allowed.cell(row=1, column=column, value=title).font = Font(bold=True)
        allowed.column_dimensions[get_column_letter(column)].width = 30
        for row, value in enumerate(values, start=2):
            allowed.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_keys(header: tuple[Any, ...]) -> list[str | None]:
    keys: list[str | None] = []
    for cell in header:
        text = _text(cell)
        match = HEADER_KEY.search(text)
        key = match.group(1) if match else text
        keys.append(key if key in KEYS else None)
    return keys


def parse(content: bytes, file_name: str) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """Yield (Excel row, source row) or a RowError for each problem found."""
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a non-xlsx file
        yield RowError(file_name, None, None, f"not an Excel .xlsx file ({error})")
        return
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        yield RowError(file_name, 1, None, "the sheet is empty", ws.title)
        return
    keys = _header_keys(header)
    missing = sorted(REQUIRED - set(keys))
    for key in missing:
        yield RowError(file_name, 1, key, "required column is missing", ws.title)
    if missing:
        return
    checker = _RowChecker(file_name, ws.title)
    for number, values in enumerate(rows, start=2):
        row = {k: _text(v) for k, v in zip(keys, values, strict=False) if k is not None}
        if not any(row.values()):
            continue  # blank lines are skipped, not errors
        yield from checker.check(number, row)


class _RowChecker:
    def __init__(self, file_name: str, sheet: str) -> None:
        self.file, self.sheet = file_name, sheet
        self.reference = inventory.default_reference_data()
        self.profiles = self.reference.profile_names()
        self.technologies = self.reference.technology_names()
        self.drivers = set(engine.shipped_document(engine.DEMO)["drivers"])
        self.seen: dict[str, int] = {}

    def error(self, number: int, column: str, message: str) -> RowError:
        return RowError(self.file, number, column, message, self.sheet)

    def check(
        self, number: int, row: dict[str, str]
    ) -> Iterator[tuple[int, dict[str, str]] | RowError]:
        found = list(self._problems(number, row))
        if found:
            yield from found
            return
        row = {key: row.get(key, "") for key in KEYS}
        row["kind"] = row["kind"] or "area"
        row["illustrative"] = "true" if row["illustrative"].lower() in TRUE_WORDS else "false"
        yield number, row

    def _problems(self, number: int, row: dict[str, str]) -> Iterator[RowError]:
        for key in sorted(REQUIRED):
            if not row.get(key):
                yield self.error(number, key, "is empty")
        source_id = row.get("source_id", "")
        if source_id in self.seen:
            yield self.error(
                number, "source_id", f"{source_id!r} is already used on row {self.seen[source_id]}"
            )
        elif source_id:
            self.seen[source_id] = number
        activity = row.get("activity", "")
        if activity:
            try:
                value = float(activity)
                if not math.isfinite(value) or value < 0:
                    raise ValueError
            except ValueError:
                yield self.error(number, "activity", f"{activity!r} is not a number >= 0")
        if row.get("kind") and row["kind"] not in KINDS:
            yield self.error(number, "kind", f"{row['kind']!r} is not one of {list(KINDS)}")
        if row.get("profile") and row["profile"] not in self.profiles:
            yield self.error(
                number, "profile", f"{row['profile']!r} is not a known emission profile"
            )
        if row.get("activity_unit") and not is_known_unit(row["activity_unit"]):
            yield self.error(
                number, "activity_unit", f"{row['activity_unit']!r} is not a known unit"
            )
        for part in [p.strip() for p in row.get("controls", "").split("+") if p.strip()]:
            if part not in self.technologies:
                yield self.error(number, "controls", f"{part!r} is not a known control technology")
        if row.get("driver") and row["driver"] not in self.drivers:
            yield self.error(
                number, "driver", f"{row['driver']!r} is not a growth driver {sorted(self.drivers)}"
            )
        flag = row.get("illustrative", "").lower()
        if flag not in TRUE_WORDS | FALSE_WORDS:
            yield self.error(number, "illustrative", f"{flag!r}: write true or false")


_ROW = re.compile(r"row (\d+)")
_COLUMN = re.compile(r"field '([a-z_]+)'")


def _unit_errors(rows: list[tuple[int, dict[str, str]]], file_name: str) -> list[RowError]:
    """The engine's own check (activity unit x factor unit must be a mass), mapped to Excel rows."""
    reference = inventory.default_reference_data()
    frame = pd.DataFrame([row for _, row in rows])
    try:
        sources = load_sources(frame, reference, "east_china")
        source_kernels(sources, KernelBuilder(reference))
    except (inventory.InventoryError, inventory.UnitMismatchError) as error:
        message = str(error)
        match = _ROW.search(message)
        position = int(match.group(1)) - 2 if match else None
        excel_row = rows[position][0] if position is not None and position < len(rows) else None
        column = _COLUMN.search(message)
        return [
            RowError(
                file_name, excel_row, column.group(1) if column else "activity_unit", message, SHEET
            )
        ]
    return []


def import_inventory(
    content: bytes, file_name: str, by: User, name: str = "", description: str = ""
) -> ImportResult[Inventory]:
    """Check every row, then store the whole file as one inventory, or raise ImportRejected."""
    services.require_editor(by, "import inventories for")
    parsed = list(parse(content, file_name))
    good = [item for item in parsed if not isinstance(item, RowError)]
    if not parsed:
        raise ImportRejected(
            [RowError(file_name, None, None, "the file has no source rows", SHEET)]
        )
    if len(good) == len(parsed):
        parsed += _unit_errors(good, file_name)  # type: ignore[arg-type]

    def apply(rows: list[tuple[int, dict[str, str]]]) -> ImportResult[Inventory]:
        created = services.create_inventory(
            by, name or file_name, [row for _, row in rows], file_name, description
        )
        return ImportResult(created=len(rows), items=[created])

    return import_all_or_nothing(parsed, apply)
