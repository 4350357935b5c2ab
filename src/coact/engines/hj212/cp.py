"""The CP data area of an HJ 212 packet: ``CP=&&field=value;field=value,field=value&&``.

HJ 212-2017 section 6.3.3: different items are separated by ``;``, values of the same item by
``,``; pollutant fields are ``<code>-<suffix>`` (Rtd, Min, Avg, Max, Cou, ZsRtd, ZsMin, ZsAvg,
ZsMax, Flag, EFlag, SampleTime; SBxxx-RS/RT for equipment; i-codes with -Info). HJ/T 212-2005
uses the same syntax with its own codes; HJ 212-2025 adds suffixes such as -CompleteTime.

Two views are produced:

* a flat ordered mapping ``field name -> value string as sent`` (the fast path, built with C-level
  ``str.split``/``dict`` calls, since that is what every packet needs);
* structured records per factor (``FactorRecord``), built on demand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Suffixes whose value is a number (for FactorRecord.number); others are text or flags.
NUMERIC_SUFFIXES = frozenset(
    {
        "Rtd",
        "Min",
        "Avg",
        "Max",
        "Cou",
        "ZsRtd",
        "ZsMin",
        "ZsAvg",
        "ZsMax",
        "RT",
        "RS",
        "Data",
        "DayData",
        "NightData",
        "ValidNum",
        "TotalNum",
    }
)


@dataclass(slots=True)
class CpParse:
    """Result of splitting a CP body: the flat mapping, every item in order, and warnings."""

    fields: dict[str, str]
    items: list[tuple[str, str]]
    warnings: list[str]


# bytes.translate(_COMMA_TO_SEMICOLON, _NOT_SEPARATORS) keeps only "=", ";" and "," (as ";"):
# the separator signature of a CP body, which must read "=;=;...;=" for the fast path.
_NOT_SEPARATORS = bytes(b for b in range(256) if b not in b"=;,")
_COMMA_TO_SEMICOLON = bytes(range(256)).replace(b",", b";")
_ALTERNATING: list[bytes] = []


def separators_alternate(text: str) -> int:
    """Number of ``name=value`` items if every item of ``text`` (split at ``;`` and ``,``) holds
    exactly one ``=``, else 0. One C-level translate and one comparison."""
    signature = text.encode("utf-8").translate(_COMMA_TO_SEMICOLON, _NOT_SEPARATORS)
    size = len(signature)
    if not size & 1:
        return 0
    while len(_ALTERNATING) <= size:  # grows to the longest body seen (at most ~10 kB)
        count = len(_ALTERNATING)
        _ALTERNATING.append(b"=" + b";=" * (count // 2) if count & 1 else b"")
    return (size + 1) // 2 if signature == _ALTERNATING[size] else 0


def split_cp(body: str) -> dict[str, str] | None:
    """Fast path: the flat mapping of a well-formed CP body (between ``&&`` and ``&&``).

    When the separators alone read ``=;=,=;...=`` (every item has exactly one ``=``), splitting
    on ``;``, ``,`` and ``=`` at once alternates names and values; ``bytes.translate`` checks
    that pattern at C speed. Returns None when the body needs the careful path (empty items,
    items without ``=`` or with ``=`` in the value, duplicate names, blanks at the ends).
    """
    if not body or body[0].isspace() or body[-1].isspace():
        return None
    equals = separators_alternate(body)
    if not equals:
        return None
    parts = body.replace(",", ";").replace("=", ";").split(";")
    fields = dict(zip(parts[0::2], parts[1::2], strict=False))
    if len(fields) != equals or "" in fields:  # duplicates, or an empty name
        return None
    return fields


def split_cp_careful(body: str) -> CpParse:
    """Tolerant split: skips empty items, keeps items without ``=`` with an empty value, keeps
    the FIRST value of a duplicated name in the flat mapping (all of them in ``items``)."""
    fields: dict[str, str] = {}
    items: list[tuple[str, str]] = []
    warnings: list[str] = []
    if not body.strip():
        return CpParse(fields, items, warnings)
    for group in body.split(";"):
        for item in group.split(","):
            if not item.strip():
                continue
            name, sep, value = item.partition("=")
            name = name.strip()  # "&& DataTime=..." (a space after "&&") is seen in the field
            if not sep:
                warnings.append(f"cp-item-without-value:{name[:40]}")
            items.append((name, value))
            if name in fields:
                warnings.append(f"duplicate-cp-field:{name[:40]}")
            else:
                fields[name] = value
    return CpParse(fields, items, warnings)


def parse_cp_body(body: str) -> CpParse:
    """Flat mapping + items + warnings for a CP body; the fast path when it applies."""
    if body.strip():
        fields = split_cp(body)
        if fields is not None:
            return CpParse(fields, list(fields.items()), [])
    return split_cp_careful(body)


def encode_cp(fields: dict[str, str] | list[tuple[str, str]]) -> str:
    """CP body from fields in order: ``,`` between fields of the same code (``a21026-Rtd=1,
    a21026-Flag=N``), ``;`` between different items, as HJ 212-2017 section 6.3.3 prescribes."""
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    parts: list[str] = []
    previous_code: str | None = None
    for name, value in pairs:
        code, dash, _ = name.rpartition("-")
        code = code if dash else None
        if parts:
            parts.append("," if code is not None and code == previous_code else ";")
        parts.append(f"{name}={value}")
        previous_code = code
    return "".join(parts)


@dataclass(slots=True)
class FactorRecord:
    """All fields of one code in a CP area, e.g. ``a21026-Rtd=12.3,a21026-Flag=N``.

    ``values`` maps suffix (``Rtd``, ``Avg``, ``Flag``, ``ZsAvg``, ``SampleTime``, ``RS``...) to
    the value string as sent. ``kind`` is ``factor``, ``device`` (SBxxx run state/time) or
    ``info`` (i-codes of CN 3020). ``polid`` is the ``PolId`` in force where the record appeared
    (CN 3020 groups i-codes under a pollutant).
    """

    code: str
    values: dict[str, str] = field(default_factory=dict)
    polid: str | None = None

    @property
    def kind(self) -> str:
        if self.code.startswith("SB"):
            return "device"
        if self.code[:1] in ("i", "I") and self.code[1:2].isdigit():
            return "info"
        return "factor"

    def number(self, suffix: str) -> float | None:
        """The value of ``suffix`` as a float, or None if absent or not a number."""
        text = self.values.get(suffix)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return None

    @property
    def rtd(self) -> float | None:
        return self.number("Rtd")

    @property
    def avg(self) -> float | None:
        return self.number("Avg")

    @property
    def min(self) -> float | None:
        return self.number("Min")

    @property
    def max(self) -> float | None:
        return self.number("Max")

    @property
    def cou(self) -> float | None:
        return self.number("Cou")

    @property
    def flag(self) -> str | None:
        """Data flag (N, F, M, S, D, C, T, B; 2005: P), as sent."""
        return self.values.get("Flag")

    @property
    def sample_time(self) -> dt.datetime | None:
        return parse_hj_time(self.values.get("SampleTime"))


@dataclass(slots=True)
class CpRecords:
    """Structured view: top-level fields (DataTime, RestartTime, QnRtn...) and per-code records."""

    top: dict[str, str]
    records: dict[str, FactorRecord]

    @property
    def data_time(self) -> dt.datetime | None:
        return parse_hj_time(self.top.get("DataTime"))


def build_records(items: list[tuple[str, str]]) -> CpRecords:
    """Group ``<code>-<suffix>`` items per code (split at the LAST ``-``), in order of first
    appearance; names without ``-`` are top-level fields. A record is keyed by code, or by
    ``code@PolId`` when a ``PolId`` is in force (CN 3020 repeats i-codes per pollutant)."""
    top: dict[str, str] = {}
    records: dict[str, FactorRecord] = {}
    polid: str | None = None
    for name, value in items:
        code, dash, suffix = name.rpartition("-")
        if not dash or not code:
            if name == "PolId":
                polid = value
            top.setdefault(name, value)
            continue
        key = f"{code}@{polid}" if polid is not None else code
        record = records.get(key)
        if record is None:
            record = records[key] = FactorRecord(code=code, polid=polid)
        record.values.setdefault(suffix, value)
    return CpRecords(top=top, records=records)


def parse_hj_time(text: str | None) -> dt.datetime | None:
    """``YYYYMMDDhhmmss`` (N14, HJ 212-2017) or with milliseconds ``YYYYMMDDhhmmsszzz`` (QN, and
    17-digit DataTime seen in the field) -> naive local datetime; None if absent or invalid."""
    if not text or not text.isascii() or not text.isdigit() or len(text) not in (14, 17):
        return None
    try:
        moment = dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    if len(text) == 17:
        moment = moment.replace(microsecond=int(text[14:]) * 1000)
    return moment


def format_hj_time(moment: dt.datetime, milliseconds: bool = False) -> str:
    """Inverse of ``parse_hj_time``: N14, or the 17-digit QN form with ``milliseconds``."""
    text = moment.strftime("%Y%m%d%H%M%S")
    return f"{text}{moment.microsecond // 1000:03d}" if milliseconds else text
