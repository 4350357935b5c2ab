"""Alarm rules of online monitoring as pure functions over stored values (no Django).

The rules themselves (thresholds, windows, which flags count) are data in
``src/coact/data/monitoring/alarm_rules.yaml``; emission limits in
``emission_standards.yaml``. This module loads them and evaluates one rule on one series.

Converted (折算) concentration, GB 13223-2011 section 5.2 and HJ 75-2017 [R]::

    converted = measured x (21 - O2ref) / (21 - O2measured)

with O2 in percent by volume of dry flue gas. Example: 40 mg/m3 measured at 9 % O2, reference
6 %: 40 x 15 / 12 = 50 mg/m3.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from coact.engines.hj212 import codes

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "monitoring"
O2_IN_AIR = 21.0  # the "21" of the conversion formula (GB 13223-2011 5.2), % by volume
O2_CODE = "a19001"  # HJ 212-2017 Table B.2 oxygen content [V]

# Stored reading kinds per HJ 212 CN (HJ 212-2017 Table 9 [V]).
KIND_BY_CN = {
    "2011": "rtd",
    "2051": "min",
    "2061": "hour",
    "2031": "day",
    "2021": "state",
    "2041": "runtime",
    "2081": "restart",
    "2111": "furnace5",  # HJ 212-2025 incinerator 5-minute furnace temperature [3P]
}
PERIOD_LENGTH = {
    "min": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
}


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    category: str
    params: Mapping[str, Any]
    source: str
    label: str = ""  # what people call it (zh); label_en in params for English pages
    basis: str = ""  # the source as users read it (zh, no confidence tag)

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True)
class RuleBook:
    rules: Mapping[str, Rule]
    rule_sets: Mapping[str, tuple[str, ...]]
    plausible: Mapping[str, Mapping[str, float]]

    def rules_for(self, rule_set: str) -> list[Rule]:
        names = self.rule_sets.get(rule_set) or self.rule_sets["default"]
        return [self.rules[n] for n in names]

    def plausible_range(self, code: str) -> tuple[float | None, float | None]:
        spec = self.plausible.get(code) or self.plausible.get("default_concentration") or {}
        return spec.get("min"), spec.get("max")


class RuleFileError(ValueError):
    """A rule or standards file is malformed; the message names the file and entry."""


@cache
def rule_book(path: Path | None = None) -> RuleBook:
    path = path or DATA_DIR / "alarm_rules.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    known = {
        "exceedance",
        "flat_line",
        "long_flag",
        "below_threshold",
        "no_data",
        "impossible_value",
        "clock_drift",
        "quarantine",
    }
    rules = {}
    for name, spec in (raw.get("rules") or {}).items():
        kind = spec.get("kind")
        if kind not in known:
            raise RuleFileError(f"{path.name}: rule {name}: unknown kind {kind!r}")
        params = {
            k: v
            for k, v in spec.items()
            if k not in ("kind", "category", "source", "label", "basis")
        }
        category = spec.get("category", "data_quality")
        rules[name] = Rule(
            name,
            kind,
            category,
            params,
            spec["source"],
            spec.get("label", name),
            spec.get("basis") or without_tags(spec["source"]),
        )
    sets = {k: tuple(v) for k, v in (raw.get("rule_sets") or {}).items()}
    for set_name, names in sets.items():
        for n in names:
            if n not in rules:
                raise RuleFileError(f"{path.name}: rule set {set_name}: unknown rule {n!r}")
    if "default" not in sets:
        raise RuleFileError(f"{path.name}: a rule set named 'default' is required")
    return RuleBook(rules, sets, raw.get("plausible_ranges") or {})


@dataclass(frozen=True)
class StandardLimit:
    factor: str
    period: str
    value: float
    unit: str


@dataclass(frozen=True)
class Standard:
    key: str
    title: str
    title_en: str
    medium: str
    reference_o2: float | None
    source: str
    limits: tuple[StandardLimit, ...]


@cache
def standards(path: Path | None = None) -> dict[str, Standard]:
    path = path or DATA_DIR / "emission_standards.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = {}
    for key, spec in (raw.get("standards") or {}).items():
        limits = []
        for number, item in enumerate(spec.get("limits") or [], start=1):
            if item.get("period") not in ("hour", "day"):
                raise RuleFileError(f"{path.name}: {key} limit {number}: period must be hour/day")
            limits.append(
                StandardLimit(
                    item["factor"], item["period"], float(item["value"]), item.get("unit", "")
                )
            )
        out[key] = Standard(
            key=key,
            title=spec["title"],
            title_en=spec.get("title_en", ""),
            medium=spec["medium"],
            reference_o2=spec.get("reference_o2"),
            source=spec["source"],
            limits=tuple(limits),
        )
    return out


# --- values ---------------------------------------------------------------------------------


def converted_concentration(
    measured: float | None, o2_measured: float | None, o2_reference: float | None
) -> float | None:
    """Concentration at the reference O2 (GB 13223-2011 5.2 / HJ 75-2017), mg/m3 in, mg/m3 out.

    None when an input is missing or O2 is not below 21 % (the formula divides by zero or
    turns negative: such O2 values are impossible in flue gas and raise their own alarm).
    """
    if measured is None or o2_measured is None or o2_reference is None:
        return None
    if o2_measured >= O2_IN_AIR or o2_measured < 0:
        return None
    return measured * (O2_IN_AIR - o2_reference) / (O2_IN_AIR - o2_measured)


def compliance_value(
    values: Mapping[str, Mapping[str, Any]],
    code: str,
    reference_o2: float | None,
    suffix: str = "Avg",
) -> tuple[float | None, str]:
    """The value judged against a limit, and its basis.

    With a reference O2 the platform converts the measured mean itself ("converted"); if the
    packet carries no O2 it falls back to the device's own converted value ("device-converted",
    the ``Zs`` suffix); without a reference O2 (water) the measured value ("measured")."""
    item = values.get(code) or {}
    measured = _number(item.get(suffix))
    if reference_o2 is None:
        return measured, "measured"
    o2 = _number((values.get(O2_CODE) or {}).get(suffix))
    converted = converted_concentration(measured, o2, reference_o2)
    if converted is not None:
        return converted, "converted"
    device = _number(item.get("Zs" + suffix))
    if device is not None:
        return device, "device-converted"
    return None, "no-o2"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- findings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One alarm condition found: which rule, on which factor and period, and why."""

    rule: str
    kind: str
    category: str
    factor: str
    data_time: dt.datetime | None
    message: str
    value: float | None = None
    limit: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One stored period value of one factor: the start of its period, the value, its flag."""

    data_time: dt.datetime
    value: float | None
    flag: str | None


def exceedance(rule: Rule, factor: str, limit: float, series: Sequence[Point]) -> Finding | None:
    """The last ``consecutive`` periods are contiguous, valid and each above ``limit``."""
    need = int(rule.get("consecutive", 1))
    valid = set(rule.get("valid_flags", ["N"]))
    step = PERIOD_LENGTH[rule.get("period", "hour")]
    if len(series) < need:
        return None
    window = list(series[-need:])
    for earlier, later in itertools.pairwise(window):
        if later.data_time - earlier.data_time != step:
            return None
    for point in window:
        if point.value is None or (point.flag or "N") not in valid or point.value <= limit:
            return None
    peak = max(p.value for p in window if p.value is not None)
    return Finding(
        rule=rule.name,
        kind=rule.kind,
        category=rule.category,
        factor=factor,
        data_time=window[-1].data_time,
        value=round(window[-1].value, 4) if window[-1].value is not None else None,
        limit=limit,
        message=f"{factor} {rule.get('period')} value {window[-1].value:.2f} > limit {limit:g}"
        + (f" for {need} consecutive periods (peak {peak:.2f})" if need > 1 else ""),
    )


def flat_line(rule: Rule, factor: str, series: Sequence[Point]) -> Finding | None:
    """``count`` valid values in a row, all exactly equal (a frozen analyser, or typed data)."""
    if factor in set(rule.get("ignore_factors", [])):
        return None
    need = int(rule.get("count", 6))
    window = [p for p in series[-need:] if p.value is not None and (p.flag or "N") == "N"]
    if len(window) < need or len({p.value for p in window}) != 1:
        return None
    return Finding(
        rule.name,
        rule.kind,
        rule.category,
        factor,
        window[-1].data_time,
        f"{factor}: {need} identical values {window[-1].value:g} in a row",
        value=window[-1].value,
    )


def long_flag(rule: Rule, factor: str, series: Sequence[Point]) -> Finding | None:
    """Every one of the last ``hours`` hourly values carries a flag from ``flags``."""
    need = int(rule.get("hours", 24))
    flags = set(rule.get("flags", []))
    window = series[-need:]
    if len(window) < need or any((p.flag or "N") not in flags for p in window):
        return None
    seen = "".join(sorted({p.flag or "" for p in window}))
    return Finding(
        rule.name,
        rule.kind,
        rule.category,
        factor,
        window[-1].data_time,
        f"{factor}: flag(s) {seen} for {need} hours in a row",
        extra={"flags": seen},
    )


def below_threshold(rule: Rule, series: Sequence[Point]) -> Finding | None:
    """Mean of the valid values over the last ``window_minutes`` is below ``threshold``."""
    if not series:
        return None
    end = series[-1].data_time
    start = end - dt.timedelta(minutes=int(rule.get("window_minutes", 5)) - 1)
    values = [p.value for p in series if p.data_time >= start and p.value is not None]
    minutes = int(rule.get("window_minutes", 5))
    if len(values) < minutes:
        return None  # an incomplete window is judged when it is complete
    mean = sum(values) / len(values)
    threshold = float(rule.get("threshold"))
    if mean >= threshold:
        return None
    return Finding(
        rule.name,
        rule.kind,
        rule.category,
        str(rule.get("factor")),
        end,
        f"{rule.get('factor')}: {minutes}-minute mean {mean:.1f} below {threshold:g}",
        value=round(mean, 2),
        limit=threshold,
    )


def impossible_values(
    book: RuleBook,
    rule: Rule,
    values: Mapping[str, Mapping[str, Any]],
    data_time: dt.datetime | None,
) -> list[Finding]:
    """Values outside the physically possible range of their factor (plausible_ranges)."""
    found = []
    for code, item in values.items():
        if code.startswith(("SB", "i", "I")):
            continue  # device states and info codes are not quantities
        low, high = book.plausible_range(code)
        for suffix, raw in item.items():
            value = _number(raw) if suffix in ("Rtd", "Avg", "Min", "Max") else None
            if value is None:
                continue
            if (low is not None and value < low) or (high is not None and value > high):
                found.append(
                    Finding(
                        rule.name,
                        rule.kind,
                        rule.category,
                        code,
                        data_time,
                        f"{code}-{suffix}={value:g} outside [{low}, {high}]",
                        value=value,
                    )
                )
                break
    return found


def clock_drift(
    rule: Rule, data_time: dt.datetime | None, received_at: dt.datetime
) -> Finding | None:
    """|DataTime - receipt time| above ``seconds`` for realtime data (both aware)."""
    if data_time is None:
        return None
    drift = (data_time - received_at).total_seconds()
    if abs(drift) <= float(rule.get("seconds", 600)):
        return None
    return Finding(
        rule.name,
        rule.kind,
        rule.category,
        "",
        data_time,
        f"device clock off by {drift:+.0f} s (DataTime {data_time:%Y-%m-%d %H:%M:%S})",
        value=round(drift, 1),
        limit=float(rule.get("seconds", 600)),
    )


def no_data(rule: Rule, last_seen: dt.datetime | None, now: dt.datetime) -> Finding | None:
    limit = dt.timedelta(minutes=int(rule.get("minutes", 60)))
    if last_seen is not None and now - last_seen <= limit:
        return None
    since = f"since {last_seen:%Y-%m-%d %H:%M}" if last_seen else "ever"
    return Finding(rule.name, rule.kind, rule.category, "", now, f"no data {since}")


def factor_series(
    rows: Iterable[tuple[dt.datetime, Mapping[str, Mapping[str, Any]]]],
    code: str,
    reference_o2: float | None = None,
    suffix: str = "Avg",
    convert: bool = True,
) -> list[Point]:
    """Points of one factor from stored readings (``(data_time, values)`` in time order)."""
    points = []
    for data_time, values in rows:
        item = values.get(code)
        if item is None:
            continue
        if convert:
            value, _basis = compliance_value(values, code, reference_o2, suffix)
        else:
            value = _number(item.get(suffix))
        points.append(Point(data_time, value, item.get("Flag")))
    return points


# --- what users read ----------------------------------------------------------------------------
#
# Findings keep their English engine message (stored on the alarm). Cases show people a Chinese
# sentence built from the alarm's fields, with the factor's Chinese name and unit from the HJ 212
# code table (src/coact/data/hj212/factors.csv) and the rule's ``basis``; the confidence tags of
# our reference notes ([V], [3P], [R], [D]) never reach a user.

CONFIDENCE_TAG = re.compile(r"\s*\[(?:V|3P|R|D)\]")
PERIOD_ZH = {"min": "分钟均值", "hour": "小时均值", "day": "日均值"}
PERIOD_UNIT_ZH = {"min": "分钟", "hour": "小时", "day": "日"}
UNIT_DISPLAY = {"mg/m3": "mg/m³", "ug/m3": "μg/m³", "m3/s": "m³/s", "m3/h": "m³/h", "m3": "m³"}


def without_tags(text: str) -> str:
    """``text`` without the confidence tags of the reference notes ("[3P]", "[V]", ...)."""
    return CONFIDENCE_TAG.sub("", text or "").strip()


def factor_label_zh(code: str) -> str:
    """ "二氧化硫(a21026)" from the HJ 212 factor table; the bare code when it is not listed."""
    found = codes.factor(code) if code else None
    return f"{found.name_zh}({code})" if found and found.name_zh else code


def unit_display(code: str, unit: str = "") -> str:
    """The factor's unit as printed (mg/m³), from ``unit`` or the HJ 212 factor table."""
    found = codes.factor(code) if code else None
    raw = unit or (found.unit if found else "")
    return UNIT_DISPLAY.get(raw, raw)


def alarm_text_zh(
    rule: Rule | None,
    *,
    kind: str,
    factor: str,
    value: float | None,
    limit: float | None,
    data_time_text: str = "",
    converted: bool = False,
    english: str = "",
) -> str:
    """One Chinese sentence saying what an alarm found, e.g. "二氧化硫(a21026) 小时均值折算浓度
    90.43 mg/m³，超过限值 50 mg/m³". ``converted``: the value is the O2-converted (折算)
    concentration; ``english`` (the engine message) is kept in brackets where the fields
    alone cannot say it (quarantined packets)."""
    params = rule.params if rule else {}
    name, unit = factor_label_zh(factor), unit_display(factor)
    period = str(params.get("period", "hour"))
    if kind == "exceedance" and value is not None and limit is not None:
        what = PERIOD_ZH.get(period, "均值") + ("折算浓度" if converted else "")
        text = f"{name} {what} {value:.2f} {unit}，超过限值 {limit:g} {unit}"
        need = int(params.get("consecutive", 1))
        if need > 1:
            text += f"，已连续{need}{PERIOD_UNIT_ZH.get(period, '个时段')}超标"
        return _tidy(text)
    if kind == "below_threshold" and value is not None and limit is not None:
        minutes = int(params.get("window_minutes", 5))
        return _tidy(f"{name} {minutes}分钟均值 {value:.1f} {unit}，低于 {limit:g} {unit}")
    if kind == "flat_line":
        count = int(params.get("count", 6))
        same = f"（{value:g} {unit}）" if value is not None else ""
        return _tidy(f"{name} 连续{count}个{PERIOD_ZH.get(period, '均值')}完全相同{same}")
    if kind == "long_flag":
        hours = int(params.get("hours", 24))
        return f"{name} 连续{hours}小时带停运/维护/故障/校准/通讯异常标记"
    if kind == "impossible_value" and value is not None:
        return _tidy(f"{name} 数值 {value:g} {unit}，超出可能范围")
    if kind == "clock_drift" and value is not None:
        allowed = f"（允许 {limit:g} 秒）" if limit is not None else ""
        return f"设备时钟偏差 {value:+.0f} 秒{allowed}"
    if kind == "no_data":
        minutes = int(params.get("minutes", 60))
        since = f"，最后数据时间 {data_time_text}" if data_time_text else ""
        return f"超过 {minutes} 分钟未收到监测数据{since}"
    label = rule.label if rule else kind
    return f"{label}（{english}）" if english else label


def _tidy(text: str) -> str:
    return " ".join(text.split()).replace(" ，", "，").replace(" （", "（")
