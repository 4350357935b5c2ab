"""HJ 212 code tables loaded from ``coact/data/hj212`` (commands, systems, factors, protocol facts).

Every value lives in a data file with its source; this module only reads and indexes them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

_PACKAGE = "coact.data.hj212"


def _read_text(name: str) -> str:
    return resources.files(_PACKAGE).joinpath(name).read_text("utf-8")


@cache
def protocol() -> dict[str, Any]:
    """protocol.yaml: flag bits, version bits, limits, QnRtn/ExeRtn, data flags, 2025 markers."""
    return yaml.safe_load(_read_text("protocol.yaml"))


@dataclass(frozen=True, slots=True)
class Command:
    cn: str
    direction: str  # P platform->field, F field->platform, PF both
    upload_answer: str  # data (9014), notice (9013), none
    names: dict[str, str]  # edition -> meaning
    source: str

    def name(self, edition: str | None = None) -> str:
        """Meaning in ``edition`` if defined there, else the newest known meaning."""
        if edition and edition in self.names:
            return self.names[edition]
        return self.names[max(self.names)]


@cache
def commands() -> dict[str, Command]:
    raw = yaml.safe_load(_read_text("commands.yaml"))["commands"]
    return {
        str(row["cn"]): Command(
            cn=str(row["cn"]),
            direction=row["direction"],
            upload_answer=row["upload_answer"],
            names={str(k): v for k, v in row["names"].items()},
            source=row["source"],
        )
        for row in raw
    }


@cache
def systems() -> dict[str, str]:
    """ST code -> system name."""
    raw = yaml.safe_load(_read_text("systems.yaml"))["systems"]
    return {str(code): row["name"] for code, row in raw.items()}


@dataclass(frozen=True, slots=True)
class Factor:
    code: str  # 2017/2025 code, e.g. a21026
    code_2005: str  # HJ/T 212-2005 code ("原编码"), "" if none
    medium: str  # air / water
    name_en: str
    name_zh: str
    unit: str  # concentration (or value) unit
    unit_amount: str  # unit of -Cou
    unit_2005: str  # 2005 unit where it differed
    data_type: str  # e.g. N5.2
    editions: tuple[str, ...]
    source: str


@cache
def factors() -> dict[str, Factor]:
    """Factor code -> Factor; both 2017-style and 2005-style codes are keys."""
    table: dict[str, Factor] = {}
    for row in csv.DictReader(io.StringIO(_read_text("factors.csv"))):
        factor = Factor(
            code=row["code"],
            code_2005=row["code_2005"],
            medium=row["medium"],
            name_en=row["name_en"],
            name_zh=row["name_zh"],
            unit=row["unit"],
            unit_amount=row["unit_amount"],
            unit_2005=row["unit_2005"],
            data_type=row["data_type"],
            editions=tuple(row["editions"].split(";")),
            source=row["source"],
        )
        table[factor.code] = factor
        if factor.code_2005:
            table[factor.code_2005] = factor
    return table


def factor(code: str) -> Factor | None:
    """Look up a factor by its 2017/2025 or 2005 code (None for vendor codes)."""
    return factors().get(code)


def canonical_factor_code(code: str) -> str:
    """The 2017/2025 code for a 2005 code (``"011"`` -> ``"w01018"``); other codes unchanged."""
    found = factors().get(code)
    return found.code if found else code


@cache
def known_commands() -> frozenset[str]:
    return frozenset(commands())


@cache
def known_systems() -> frozenset[str]:
    return frozenset(systems())


@cache
def version_editions() -> dict[int, str]:
    """Flag version bits (Flag >> 2) -> edition."""
    return {int(k): str(v["edition"]) for k, v in protocol()["version_bits"].items()}


@cache
def markers_2025() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(header fields, CNs, STs) that only HJ 212-2025 packets carry."""
    raw = protocol()["markers_2025"]
    return frozenset(raw["header_fields"]), frozenset(raw["commands"]), frozenset(raw["systems"])


@cache
def limit(name: str) -> int:
    return int(protocol()["limits"][name]["value"])


def must_encrypt_2025(cn: str) -> bool:
    """Whether HJ 212-2025 section 6.4.4 requires this CN's CP region to be SM4-encrypted [3P]."""
    rule = protocol()["encryption_2025"]["must_encrypt_commands"]
    if cn in rule["codes"]:
        return True
    return cn.isdigit() and any(low <= int(cn) <= high for low, high in rule["ranges"])


def qn_rtn_meaning(code: int) -> str:
    return protocol()["qn_rtn"]["codes"].get(code, "unknown QnRtn")


def exe_rtn_meaning(code: int) -> str:
    return protocol()["exe_rtn"]["codes"].get(code, "unknown ExeRtn")


def data_flag_meaning(flag: str, edition: str = "2017") -> str | None:
    """Meaning of a data flag (N, F, M, ...); 2025 uses the 2017 table (unverified)."""
    tables = protocol()["data_flags"]
    table = tables.get("2005" if edition == "2005" else "2017", {})
    return table.get(flag)
