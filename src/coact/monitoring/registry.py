"""The outlet and device registry sheet (污染源自动监控 排放口/数采仪登记表): read an .xlsx or
.csv file into checked rows, and write its template.

One row per data logger (数采仪), the outlet's columns repeated on each of its devices. The
columns, their English and Chinese headers and the allowed media and editions are data
(``data/monitoring/registry_columns.yaml``). Every problem is a ``RowError`` naming file, row and
column (the header as written in the file); nothing here writes: ``services.import_registry``
applies the rows, all or nothing (``coact.core.importing``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml
from django.utils.translation import gettext as _

from coact.core.importing import RowError, Table, UnreadableFile, read_table
from coact.core.models import Enterprise
from coact.engines.hj212 import Tolerance
from coact.engines.hj212.sm4 import parse_sm4_key
from coact.engines.hj212.tolerance import TOLERANCE_NAMES
from coact.engines.uscc import uscc_problem

from . import rules
from .models import Device, Medium

DATA_FILE = rules.DATA_DIR / "registry_columns.yaml"
SHEET = "排放口与数采仪 Registry"
ALLOWED_SHEET = "可选值 Allowed values"
PW_FORBIDDEN = set(";,=&")  # HJ 212 separators: a PW containing one could never be parsed
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number: longer codes lose digits


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    label_en: str
    headers: tuple[str, ...]
    required: bool
    example: str
    note: str


@dataclass(frozen=True)
class RegistrySpec:
    columns: tuple[Column, ...]
    lon: tuple[float, float]
    lat: tuple[float, float]
    media: dict[str, str]  # spelling (normalised) -> air / water
    editions: tuple[str, ...]


@cache
def spec() -> RegistrySpec:
    raw = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    columns = tuple(
        Column(
            c["key"],
            c["label"],
            c["label_en"],
            tuple(c["headers"]),
            bool(c["required"]),
            str(c.get("example") or ""),
            str(c.get("note") or ""),
        )
        for c in raw["columns"]
    )
    media = {_norm(word): medium for medium, words in raw["media"].items() for word in words}
    return RegistrySpec(
        columns,
        tuple(raw["bounds"]["lon"]),
        tuple(raw["bounds"]["lat"]),
        media,
        tuple(str(e) for e in raw["editions"]),
    )


def _norm(text: str) -> str:
    """Header/word comparison form: lower case, no spaces, half-width brackets."""
    text = str(text).strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


# --- reading the file --------------------------------------------------------------------------


def header_index(header: list[str]) -> tuple[dict[str, tuple[int, str]], list[str], list[str]]:
    """key -> (position, header as written); the missing required columns; duplicated ones."""
    by_text = {}
    for column in spec().columns:
        for text in (*column.headers, column.key, column.label, column.label_en):
            by_text[_norm(text)] = column.key
    index: dict[str, tuple[int, str]] = {}
    duplicated = []
    for position, text in enumerate(header):
        if not text:
            continue
        match = re.search(r"\(([a-z0-9_]+)\)$", _norm(text))  # the template's "中文 (key)"
        key = by_text.get(_norm(text)) or (by_text.get(match.group(1)) if match else None)
        if key is None:
            continue  # other columns of a registry export are ignored
        if key in index:
            duplicated.append(text)
        else:
            index[key] = (position, text)
    missing = [f"{c.label} ({c.key})" for c in spec().columns if c.required and c.key not in index]
    return index, missing, duplicated


# --- checked rows ------------------------------------------------------------------------------


@dataclass
class OutletData:
    """The outlet as the sheet describes it; ``extra`` holds only the optional columns present
    in the file (an absent column leaves the registered value alone)."""

    enterprise: Enterprise
    code: str
    name: str
    medium: str
    standard: str
    reference_o2: float | None
    extra: dict[str, Any]

    def wanted(self) -> dict[str, Any]:
        """Field values to register or update."""
        return {
            "name": self.name,
            "medium": self.medium,
            "standard": self.standard,
            "reference_o2": self.reference_o2,
            **self.extra,
        }


@dataclass
class RegistryRow:
    row: int
    outlet: OutletData
    mn: str
    password: str
    device: dict[str, Any]  # edition / tolerances / sm4_key present in the file


class _Row:
    """One sheet row: its cells by key and the RowErrors found."""

    def __init__(
        self, file: str, sheet: str | None, number: int, values: list[Any], index: dict
    ) -> None:
        self.file, self.sheet, self.number = file, sheet, number
        self.values, self.index = values, index
        self.errors: list[RowError] = []

    def raw(self, key: str) -> Any:
        position = self.index.get(key, (None,))[0]
        if position is None or position >= len(self.values):
            return None
        return self.values[position]

    def has(self, key: str) -> bool:
        return key in self.index

    def error(self, key: str, message: str) -> None:
        column = self.index[key][1] if key in self.index else key
        self.errors.append(RowError(self.file, self.number, column, message, self.sheet))

    def text(self, key: str, *, code: bool = False, max_length: int = 0) -> str:
        """The cell as text; ``code``: an identifier that Excel may have turned into a number."""
        value = self.raw(key)
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and code and len(str(abs(value))) > EXCEL_DIGITS:
            self.error(
                key,
                _(
                    "%(value)s was stored by Excel as a number and may have lost digits; "
                    "format the column as text and enter it again"
                )
                % {"value": value},
            )
        if isinstance(value, dt.datetime):
            value = value.isoformat(sep=" ")
        text = str(value).strip()
        if max_length and len(text) > max_length:
            self.error(
                key,
                _("%(value)s is longer than %(max)s characters")
                % {"value": text, "max": max_length},
            )
        return text

    def required(self, key: str, **kw: Any) -> str:
        text = self.text(key, **kw)
        if not text:
            self.error(key, _("this cell is empty; it is required"))
        return text

    def decimal(self, key: str, low: float, high: float) -> float | None:
        text = self.text(key)
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.error(key, _("%(value)s is not a number") % {"value": text})
            return None
        if not low <= value <= high:
            self.error(
                key,
                _("%(value)s is outside %(low)s..%(high)s")
                % {"value": value, "low": low, "high": high},
            )
            return None
        return value


@dataclass
class Context:
    """What checking needs from the database, read once per file."""

    enterprises: dict[str, Enterprise]
    regions: set[int] | None  # regions the importer may register in; None: all
    devices: dict[str, tuple[int, str, str, int]]  # MN -> enterprise pk, uscc, outlet code, region


def load_context(sheet: Table, index: dict, regions: set[int] | None) -> Context:
    def column(key: str) -> list[str]:
        position = index[key][0]
        return [_cell_text(values[position]) for _, values in sheet.rows if position < len(values)]

    usccs, mns = [u.upper() for u in column("uscc")], column("mn")
    enterprises = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=usccs)}
    devices = {
        mn: (enterprise_id, uscc, code, region_id)
        for mn, enterprise_id, uscc, code, region_id in Device.objects.filter(
            mn__in=mns
        ).values_list(
            "mn",
            "outlet__enterprise_id",
            "outlet__enterprise__uscc",
            "outlet__code",
            "outlet__region_id",
        )
    }
    return Context(enterprises, regions, devices)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_registry(
    content: bytes, filename: str, regions: set[int] | None
) -> list[RegistryRow | RowError]:
    """Every row checked, or a RowError for each problem (file, row, column, message).

    ``regions``: the regions whose enterprises the importer may register outlets for (a
    county's subtree), None for the whole city."""
    try:
        sheet = read_table(content, filename)
    except UnreadableFile as exc:
        return [RowError(filename, None, None, str(exc))]
    index, missing, duplicated = header_index(sheet.header)
    errors = [
        RowError(filename, 1, text, _("this column appears twice"), sheet.name)
        for text in duplicated
    ]
    if missing:
        errors.append(
            RowError(filename, 1, ", ".join(missing), _("required column(s) missing"), sheet.name)
        )
    if errors:
        return list(errors)
    if not sheet.rows:
        return [RowError(filename, None, None, _("the file has no device rows"), sheet.name)]
    context = load_context(sheet, index, regions)
    out: list[RegistryRow | RowError] = []
    seen_mn: dict[str, int] = {}
    seen_outlet: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for number, values in sheet.rows:
        row = _Row(filename, sheet.name, number, values, index)
        checked = _check_row(row, context)
        if checked is not None:
            _check_across_rows(row, checked, seen_mn, seen_outlet)
        out.extend(row.errors)
        if not row.errors and checked is not None:
            out.append(checked)
    return out


def _check_row(row: _Row, context: Context) -> RegistryRow | None:
    enterprise = _enterprise(row, context)
    outlet = _outlet(row, enterprise)
    mn = row.required("mn", code=True, max_length=64)
    password = row.required("password", code=True, max_length=64)
    if password and PW_FORBIDDEN & set(password):
        row.error("password", _("the password may not contain ; , = or & (HJ 212 separators)"))
    device = _device_options(row)
    if mn and enterprise is not None and outlet is not None:
        _check_mn_owner(row, mn, enterprise, outlet.code, context)
    if row.errors or outlet is None:
        return None
    return RegistryRow(row.number, outlet, mn, password, device)


def _enterprise(row: _Row, context: Context) -> Enterprise | None:
    uscc = row.required("uscc", code=True).upper()
    if not uscc:
        return None
    problem = uscc_problem(uscc)
    if problem:
        row.error(
            "uscc",
            _("%(value)s is not a valid unified social credit code: %(problem)s")
            % {"value": uscc, "problem": problem},
        )
        return None
    enterprise = context.enterprises.get(uscc)
    if enterprise is None:
        row.error(
            "uscc",
            _("no enterprise with the unified social credit code %(value)s is registered")
            % {"value": uscc},
        )
        return None
    if context.regions is not None and enterprise.region_id not in context.regions:
        row.error(
            "uscc",
            _("%(name)s (%(value)s) is outside your county: you may not register its outlets")
            % {"name": enterprise.name, "value": uscc},
        )
        return None
    return enterprise


def _outlet(row: _Row, enterprise: Enterprise | None) -> OutletData | None:
    code = row.required("outlet_code", code=True, max_length=32)
    name = row.required("outlet_name", max_length=200)
    medium_text = row.required("medium")
    medium = spec().media.get(_norm(medium_text)) if medium_text else None
    if medium_text and medium is None:
        row.error(
            "medium",
            _("unknown medium %(value)s; use air or water (废气 / 废水)") % {"value": medium_text},
        )
    standard = _standard(row, medium)
    reference_o2 = row.decimal("reference_o2", 0.0, 20.9)
    if reference_o2 is not None and medium == Medium.WATER:
        row.error("reference_o2", _("a reference O2 applies only to flue-gas (air) outlets"))
    known = rules.standards()
    if reference_o2 is None and standard in known:
        reference_o2 = known[standard].reference_o2
    extra = _outlet_extra(row)
    if enterprise is None or medium is None or not (code and name and standard):
        return None
    return OutletData(enterprise, code, name, medium, standard, reference_o2, extra)


def _standard(row: _Row, medium: str | None) -> str:
    text = row.required("standard")
    known = rules.standards()
    if not text:
        return ""
    key = next((k for k in known if _norm(k) == _norm(text)), None)
    if key is None:
        row.error(
            "standard",
            _("unknown standard %(value)s; allowed: %(allowed)s")
            % {"value": text, "allowed": ", ".join(known)},
        )
        return ""
    if medium and known[key].medium != medium:
        row.error(
            "standard",
            _("the standard %(value)s is for %(medium)s outlets")
            % {"value": key, "medium": known[key].medium},
        )
        return ""
    return key


def _outlet_extra(row: _Row) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    lon = row.decimal("lon", *spec().lon)
    lat = row.decimal("lat", *spec().lat)
    if row.has("lon") or row.has("lat"):
        if bool(row.text("lon")) != bool(row.text("lat")):
            row.error("lon", _("give both longitude and latitude, or neither"))
        extra.update(lon=lon, lat=lat)
    if row.has("rule_set"):
        rule_set = row.text("rule_set") or "default"
        allowed = rules.rule_book().rule_sets
        if rule_set not in allowed:
            row.error(
                "rule_set",
                _("unknown rule set %(value)s; allowed: %(allowed)s")
                % {"value": rule_set, "allowed": ", ".join(allowed)},
            )
        extra["rule_set"] = rule_set
    return extra


def _device_options(row: _Row) -> dict[str, Any]:
    device: dict[str, Any] = {}
    if row.has("edition"):
        text = row.text("edition")
        digits = re.search(r"(\d{4})\s*$", text)  # "2017", "HJ 212-2017"
        edition = digits.group(1) if digits else text
        if text and edition not in spec().editions:
            row.error(
                "edition",
                _("unknown edition %(value)s; use %(allowed)s")
                % {"value": text, "allowed": ", ".join(spec().editions)},
            )
        device["edition"] = edition
    if row.has("tolerances"):
        names = [n.strip() for n in re.split(r"[,，;；、\s]+", row.text("tolerances")) if n.strip()]
        known = (*TOLERANCE_NAMES, "all", "none")
        unknown = [n for n in names if n.removeprefix("no-") not in known]
        try:
            Tolerance.from_names(names)
        except ValueError as exc:
            row.error(
                "tolerances",
                _("unknown tolerance %(value)s; use %(allowed)s")
                % {"value": ", ".join(unknown) or str(exc), "allowed": ", ".join(TOLERANCE_NAMES)},
            )
        device["tolerances"] = ",".join(names)
    key = row.text("sm4_key")
    if key:  # blank keeps the key already set: a registry export never carries keys
        try:
            parse_sm4_key(key)
        except ValueError:
            row.error(
                "sm4_key",
                _("an SM4 key is 32 hex digits or 16 ASCII characters; this one has %(n)s")
                % {"n": len(key.strip())},
            )
        device["sm4_key"] = key
    return device


def _check_mn_owner(
    row: _Row, mn: str, enterprise: Enterprise, code: str, context: Context
) -> None:
    owner = context.devices.get(mn)
    if owner is None or (owner[0], owner[2]) == (enterprise.pk, code):
        return
    visible = context.regions is None or owner[3] in context.regions
    where = f"{owner[1]} / {owner[2]}" if visible else _("an outlet outside your county")
    row.error(
        "mn",
        _("the MN %(value)s is already registered to another outlet (%(outlet)s)")
        % {"value": mn, "outlet": where},
    )


def _check_across_rows(
    row: _Row,
    checked: RegistryRow,
    seen_mn: dict[str, int],
    seen_outlet: dict[tuple[str, str], tuple[int, dict[str, Any]]],
) -> None:
    if checked.mn in seen_mn:
        row.error(
            "mn",
            _("the MN %(value)s is also on row %(row)s")
            % {"value": checked.mn, "row": seen_mn[checked.mn]},
        )
    else:
        seen_mn[checked.mn] = row.number
    key = (checked.outlet.enterprise.uscc, checked.outlet.code)
    wanted = checked.outlet.wanted()
    if key not in seen_outlet:
        seen_outlet[key] = (row.number, wanted)
        return
    first_row, first = seen_outlet[key]
    for name, value in wanted.items():
        if first.get(name) != value:
            column = {"name": "outlet_name"}.get(name, name)
            row.error(
                column,
                _("outlet %(code)s is described differently on row %(row)s (%(other)s)")
                % {"code": checked.outlet.code, "row": first_row, "other": first.get(name)},
            )


# --- the template ------------------------------------------------------------------------------


def template() -> bytes:
    """The registry template: headers "中文 (key)", one illustrative example row (to delete
    before importing), identifier columns formatted as text; a second sheet of allowed values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    columns = spec().columns
    sheet.append([f"{c.label} ({c.key})" for c in columns])
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        header = sheet.cell(row=1, column=position)
        header.font = Font(bold=True, color="C62828" if column.required else "000000")
        sheet.column_dimensions[letter].width = max(14, min(32, len(column.example) + 4))
        cell = sheet.cell(row=2, column=position, value=column.example or None)
        if column.key in ("uscc", "outlet_code", "mn", "password", "edition", "sm4_key"):
            cell.number_format = "@"  # keep long codes and leading zeros as text
            for row in range(3, 501):
                sheet.cell(row=row, column=position).number_format = "@"
    sheet.freeze_panes = "A2"
    _allowed_sheet(book.create_sheet(ALLOWED_SHEET))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _allowed_sheet(sheet: Any) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    known = rules.standards()
    blocks: list[tuple[str, list[list[Any]]]] = [
        (
            "执行标准 standard",
            [[k, s.medium, s.title, s.reference_o2] for k, s in known.items()],
        ),
        ("介质 medium", [["air", "废气 / 气 / 大气"], ["water", "废水 / 水 / 污水"]]),
        ("协议版本 edition", [[e, f"HJ 212-{e}"] for e in spec().editions]),
        ("容错 tolerances", [[n] for n in (*TOLERANCE_NAMES, "all", "none")]),
        ("规则集 rule_set", [[n] for n in rules.rule_book().rule_sets]),
        (
            "列 columns",
            [
                [f"{c.label} ({c.key})", "必填 required" if c.required else "", c.note]
                for c in spec().columns
            ],
        ),
    ]
    row = 1
    sheet.cell(row=row, column=1, value="第2行为示例（illustrative），导入前请删除。").font = Font(
        bold=True, color="C62828"
    )
    row += 2
    for title, lines in blocks:
        sheet.cell(row=row, column=1, value=title).font = Font(bold=True)
        row += 1
        for line in lines:
            for position, value in enumerate(line, start=1):
                sheet.cell(row=row, column=position, value=value)
            row += 1
        row += 1
    for position, width in enumerate((34, 14, 60, 12), start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
