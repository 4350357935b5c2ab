"""The one importer pattern: parse everything, collect every error, store all or nothing.

An importer reads a file into rows, validates each row into a value object or a
:class:`RowError` naming file, sheet, row, column and reason, and only when no row has
an error applies the whole file in one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None
    column: str | None
    message: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"sheet {self.sheet}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(Exception):
    """Nothing was stored: every problem found in the file is in ``errors``."""

    def __init__(self, errors: Sequence[RowError]):
        self.errors = list(errors)
        super().__init__(
            f"{len(self.errors)} problem(s); nothing was imported. First: {self.errors[0]}"
        )


@dataclass
class ImportResult(Generic[T]):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    items: list[T] | None = None


def import_all_or_nothing(
    parsed: Iterable[T | RowError], apply: Callable[[list[T]], ImportResult[T]]
) -> ImportResult[T]:
    """Apply ``parsed`` rows in one transaction, or raise ImportRejected with every error."""
    rows: list[T] = []
    errors: list[RowError] = []
    for item in parsed:
        (errors if isinstance(item, RowError) else rows).append(item)  # type: ignore[arg-type]
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        return apply(rows)


class UnreadableFile(Exception):
    """The file as a whole cannot be read as a table (not a row's problem)."""


@dataclass
class Table:
    """The first sheet of a workbook or a CSV file: its header and its non-blank rows, each
    with its 1-based row number as the user sees it (the header is row 1)."""

    name: str | None  # the sheet's title; None for a CSV file
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_table(content: bytes, filename: str) -> Table:
    """The first sheet of an .xlsx, or a .csv (UTF-8, or GB18030 as Excel in China saves it).
    Raises :class:`UnreadableFile` naming what is wrong with the file."""
    lower = filename.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise UnreadableFile(
                _("not a readable .xlsx workbook (%(error)s)") % {"error": type(exc).__name__}
            ) from exc
        sheet = book.worksheets[0]
        values = [list(v) for v in sheet.iter_rows(values_only=True)]
        name: str | None = sheet.title
    elif lower.endswith((".csv", ".txt")):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gb18030", errors="replace")
        values = [list(v) for v in csv.reader(io.StringIO(text))]
        name = None
    else:
        raise UnreadableFile(_("use an .xlsx or .csv file"))
    if not values:
        raise UnreadableFile(_("the file is empty"))
    header = [str(v if v is not None else "").strip() for v in values[0]]
    rows = [
        (number, row)
        for number, row in enumerate(values[1:], start=2)
        if any(str(v if v is not None else "").strip() for v in row)
    ]
    return Table(name, header, rows)
