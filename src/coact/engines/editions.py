"""Which edition of a standard governs a date: the single place editions are chosen.

The table is data (``coact/data/standards/editions.yaml``) so that a wrong effective
date is corrected in one line of one file, not in code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Edition:
    standard: str
    edition: str
    effective: dt.date
    source: str


@cache
def editions() -> dict[str, tuple[Edition, ...]]:
    """All known editions per standard, oldest first."""
    text = resources.files("coact.data.standards").joinpath("editions.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    table: dict[str, tuple[Edition, ...]] = {}
    for standard, rows in raw.items():
        items = [Edition(standard, str(r["edition"]), r["effective"], r["source"]) for r in rows]
        table[standard] = tuple(sorted(items, key=lambda e: e.effective))
    return table


def edition_for(standard: str, on: dt.date | dt.datetime) -> str:
    """The edition of ``standard`` in force on ``on`` (the oldest one before it took effect)."""
    day = on.date() if isinstance(on, dt.datetime) else on
    known = editions().get(standard)
    if not known:
        raise KeyError(f"unknown standard {standard!r}; known: {sorted(editions())}")
    chosen = known[0]
    for item in known:
        if item.effective <= day:
            chosen = item
    return chosen.edition


def known_editions(standard: str) -> tuple[str, ...]:
    return tuple(e.edition for e in editions()[standard])
