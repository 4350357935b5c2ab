"""The one importer pattern: parse everything, collect every error, store all or nothing.

An importer reads a file into rows, validates each row into a value object or a
:class:`RowError` naming file, sheet, row, column and reason, and only when no row has
an error applies the whole file in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import transaction

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
