"""Service-level rules for cases, as data: deadlines, reminders, escalation, extensions, follow-ups.

Rules live in ``coact/data/cases/sla.yaml`` (each with ``ref`` citing its source; Nantong's own
12345 SLA is an open question, so every number is data). A rule matches on case type and,
optionally, intake source, complaint category (a group such as ``air`` covers ``air.odour``)
and urgency. :func:`resolve_sla` picks the most specific matching rule; the loader refuses a
table in which two matching rules could tie (see :func:`load_sla_table`).

Time arithmetic is :mod:`coact.engines.workdays` (Chinese official calendar, Asia/Shanghai).
Follow-up plans ("一件举报、四次回访") are in ``coact/data/cases/follow_up_plans.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from coact.engines import workdays
from coact.engines.workflow import default_case_types, vocabulary

MATCH_KEYS = ("source", "category", "urgency")
RULE_KEYS = {
    *("id", "extends", "case_type", "ref", "deadlines", "reminders", "escalation"),
    *("extension", "follow_up_plan", "roll_to_working_day", *MATCH_KEYS),
}
MAIN_MILESTONE = "resolve"


class SlaError(ValueError):
    """The SLA table or follow-up plans are invalid, or a case matches no single rule."""


@dataclass(frozen=True)
class Duration:
    """An amount of time in one SLA unit (``working_days``, ``calendar_days``, ``hours``)."""

    value: float
    unit: str
    counted_from: str = "received"  # the case event the app passes as the start time

    def after(self, start: dt.datetime, *, roll_to_working_day: bool = False) -> workdays.Deadline:
        return workdays.add_duration(
            start, self.value, self.unit, roll_to_working_day=roll_to_working_day
        )


@dataclass(frozen=True)
class EscalationStep:
    level: int  # 1, 2, ... in the order they fire
    action: str  # urge (催办), report_supervisor (通报), escalate, ...
    after: Duration  # measured from the due moment


@dataclass(frozen=True)
class ExtensionPolicy:
    max_times: int
    max: Duration
    request_before_due: bool = True


@dataclass(frozen=True)
class Sla:
    """The resolved rule for one case: every deadline, and what happens around the due one."""

    rule_id: str
    case_type: str
    source: str | None
    category: str | None
    urgency: str | None
    deadlines: Mapping[str, Duration]
    reminders: tuple[Duration, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()
    extension: ExtensionPolicy | None = None
    follow_up_plan: str | None = None
    roll_to_working_day: bool = False
    remind_at: dt.time = dt.time(9, 0)
    ref: str = ""

    def pattern(self) -> tuple[str | None, str | None, str | None]:
        return (self.source, self.category, self.urgency)


@dataclass(frozen=True)
class ExtensionCheck:
    allowed: bool
    new_due: dt.datetime | None
    reason_code: str  # ok | no_extension | too_many | too_long | wrong_unit | too_late
    message: str


@dataclass(frozen=True)
class Visit:
    seq: int
    anchor: str  # case event the offset counts from (accepted, dispatched, replied, ...)
    offset: Duration
    method: str  # phone | on_site | ...
    zh: str
    en: str


@dataclass(frozen=True)
class FollowUpPlan:
    name: str
    zh: str
    en: str
    ref: str
    visits: tuple[Visit, ...]


@dataclass(frozen=True)
class ScheduledVisit:
    seq: int
    anchor: str
    method: str
    due: dt.datetime | None  # None while the anchor event has not happened
    calendar_estimated: bool = False


@dataclass(frozen=True)
class SlaTable:
    rules: tuple[Sla, ...]
    plans: Mapping[str, FollowUpPlan] = field(default_factory=dict)

    def resolve(
        self, case_type: str, source: str | None, category: str | None, urgency: str | None
    ) -> Sla:
        """The single most specific rule matching the case (see module docstring)."""
        query = (source or None, category or None, urgency or None)
        matching = [r for r in self.rules if r.case_type == case_type and _matches(r, query)]
        if not matching:
            raise SlaError(f"no SLA rule for case type {case_type!r}; add a catch-all rule")
        best = [r for r in matching if not any(_narrower(o, r) for o in matching)]
        if len(best) > 1:
            ids = ", ".join(r.rule_id for r in best)
            raise SlaError(f"SLA rules {ids} tie for {case_type} {query}; add a rule for it")
        return best[0]


# ---------------------------------------------------------------- matching


def _category_within(narrow: str, broad: str) -> bool:
    return narrow == broad or narrow.startswith(broad + ".")


def _dim_within(narrow: str | None, broad: str | None, key: str) -> bool:
    """Is every value matched by ``narrow`` also matched by ``broad`` on dimension ``key``?"""
    if broad is None:
        return True
    if narrow is None:
        return False
    return _category_within(narrow, broad) if key == "category" else narrow == broad


def _matches(rule: Sla, query: tuple[str | None, ...]) -> bool:
    return all(
        pattern is None or (value is not None and _dim_within(value, pattern, key))
        for key, pattern, value in zip(MATCH_KEYS, rule.pattern(), query, strict=True)
    )


def _within(a: Sla, b: Sla) -> bool:
    return all(
        _dim_within(x, y, k) for k, x, y in zip(MATCH_KEYS, a.pattern(), b.pattern(), strict=True)
    )


def _narrower(a: Sla, b: Sla) -> bool:
    """``a`` is strictly more specific than ``b``."""
    return _within(a, b) and a.pattern() != b.pattern()


def _overlap(a: Sla, b: Sla) -> tuple[str | None, ...] | None:
    """The pattern of cases matched by both rules, or None when they are disjoint."""
    merged: list[str | None] = []
    for key, x, y in zip(MATCH_KEYS, a.pattern(), b.pattern(), strict=True):
        if _dim_within(x, y, key):
            merged.append(x)
        elif _dim_within(y, x, key):
            merged.append(y)
        else:
            return None
    return tuple(merged)


# ---------------------------------------------------------------- public functions


def resolve_sla(
    case_type: str,
    source: str | None,
    category: str | None,
    urgency: str | None,
    table: SlaTable | None = None,
) -> Sla:
    """Most specific SLA rule for a case (default table: the packaged ``sla.yaml``)."""
    return (table or default_sla_table()).resolve(case_type, source, category, urgency)


def due_date(
    sla: Sla, received_at: dt.datetime, milestone: str = MAIN_MILESTONE
) -> workdays.Deadline:
    """When ``milestone`` is due, counting from ``received_at`` — the time of the event named
    by ``sla.deadlines[milestone].counted_from`` (receipt for most deadlines)."""
    duration = sla.deadlines.get(milestone)
    if duration is None:
        raise SlaError(
            f"SLA rule {sla.rule_id!r} has no {milestone!r} deadline; "
            f"it has: {', '.join(sla.deadlines)}"
        )
    return duration.after(received_at, roll_to_working_day=sla.roll_to_working_day)


def reminders(sla: Sla, due: dt.datetime) -> list[dt.datetime]:
    """Reminder moments before ``due``, earliest first.

    Day offsets fire at ``sla.remind_at`` local time on the n-th working (or calendar) day
    before the due day; hour offsets fire exactly n hours before ``due``."""
    local_due = workdays.to_local(due)
    moments = [_reminder_moment(sla, local_due, offset) for offset in sla.reminders]
    return sorted(m for m in moments if m < local_due)


def _reminder_moment(sla: Sla, due: dt.datetime, offset: Duration) -> dt.datetime:
    if offset.unit == "hours":
        return due - dt.timedelta(hours=offset.value)
    if offset.unit == "working_days":
        day, _ = workdays.shift_working_days(due.date(), -int(offset.value))
    else:
        day = due.date() - dt.timedelta(days=int(offset.value))
    return dt.datetime.combine(day, sla.remind_at, tzinfo=workdays.LOCAL_TZ)


def escalation_thresholds(sla: Sla, due: dt.datetime) -> list[tuple[EscalationStep, dt.datetime]]:
    """Each escalation step with the moment after which it applies (due + its ``after``)."""
    local_due = workdays.to_local(due)
    out = []
    for step in sla.escalation:
        at = local_due if step.after.value == 0 else step.after.after(local_due).due
        out.append((step, at))
    return out


def escalation_step(sla: Sla, due: dt.datetime, now: dt.datetime) -> int:
    """Highest escalation level reached at ``now`` for an open case due at ``due``.

    0 = not overdue; 1 = the first step (urge, once ``now`` is past ``due``); and so on."""
    local_now = workdays.to_local(now)
    reached = [step.level for step, at in escalation_thresholds(sla, due) if local_now > at]
    return max(reached, default=0)


def check_extension(
    sla: Sla,
    due: dt.datetime,
    requested: Duration,
    granted_before: int,
    requested_at: dt.datetime,
) -> ExtensionCheck:
    """May an extension of ``requested`` be granted on a case due at ``due``?

    Enforces the rule's limits: how many times, how long (same unit), and that the request
    came before the deadline (12345 pattern, management-modules.md §2.7)."""
    policy = sla.extension
    if policy is None:
        return ExtensionCheck(False, None, "no_extension", f"rule {sla.rule_id!r} allows none")
    if granted_before >= policy.max_times:
        return ExtensionCheck(
            False,
            None,
            "too_many",
            f"already extended {granted_before} time(s); at most {policy.max_times} allowed",
        )
    if requested.unit != policy.max.unit:
        return ExtensionCheck(
            False,
            None,
            "wrong_unit",
            f"extensions are counted in {policy.max.unit}, not {requested.unit}",
        )
    if requested.value > policy.max.value or requested.value <= 0:
        return ExtensionCheck(
            False,
            None,
            "too_long",
            f"{requested.value:g} {requested.unit} requested; allowed 1 to {policy.max.value:g}",
        )
    if policy.request_before_due and workdays.to_local(requested_at) > workdays.to_local(due):
        return ExtensionCheck(False, None, "too_late", "extension requested after the deadline")
    new_due = requested.after(due, roll_to_working_day=sla.roll_to_working_day).due
    return ExtensionCheck(True, new_due, "ok", f"new deadline {new_due.isoformat()}")


def follow_up_schedule(
    plan: FollowUpPlan | str,
    events: Mapping[str, dt.datetime],
    table: SlaTable | None = None,
) -> list[ScheduledVisit]:
    """Scheduled follow-up visits, given the times of the case events that have happened."""
    if isinstance(plan, str):
        plan = get_plan(plan, table)
    schedule = []
    for visit in plan.visits:
        anchor_time = events.get(visit.anchor)
        if anchor_time is None:
            schedule.append(ScheduledVisit(visit.seq, visit.anchor, visit.method, None))
            continue
        deadline = visit.offset.after(anchor_time)
        schedule.append(
            ScheduledVisit(
                visit.seq, visit.anchor, visit.method, deadline.due, deadline.calendar_estimated
            )
        )
    return schedule


def missed_follow_ups(
    schedule: Iterable[ScheduledVisit], done: Iterable[int], now: dt.datetime
) -> list[ScheduledVisit]:
    """Scheduled visits whose due moment has passed and whose ``seq`` is not in ``done``."""
    finished, local_now = set(done), workdays.to_local(now)
    return [
        v for v in schedule if v.due is not None and v.due < local_now and v.seq not in finished
    ]


def get_plan(name: str, table: SlaTable | None = None) -> FollowUpPlan:
    plans = (table or default_sla_table()).plans
    if name not in plans:
        raise SlaError(f"unknown follow-up plan {name!r}; known: {', '.join(plans)}")
    return plans[name]


# ---------------------------------------------------------------- taxonomy


@dataclass(frozen=True)
class Category:
    code: str  # "air" (group) or "air.odour" (sub-type)
    group: str
    zh: str
    en: str


@cache
def complaint_categories() -> dict[str, Category]:
    """Complaint category taxonomy (groups and ``group.sub_type`` codes), zh + en labels."""
    text = resources.files("coact.data.cases").joinpath("categories.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    out: dict[str, Category] = {}
    for group, spec in raw["groups"].items():
        out[group] = Category(group, group, spec["label"]["zh"], spec["label"]["en"])
        for sub, label in spec["sub_types"].items():
            code = f"{group}.{sub}"
            out[code] = Category(code, group, label["zh"], label["en"])
    return out


# ---------------------------------------------------------------- loading


@cache
def default_sla_table() -> SlaTable:
    """The packaged SLA rules and follow-up plans, validated against the case types."""
    folder = resources.files("coact.data.cases")
    return load_sla_table(
        folder.joinpath("sla.yaml").read_text("utf-8"),
        folder.joinpath("follow_up_plans.yaml").read_text("utf-8"),
        known_case_types=set(default_case_types()),
    )


def load_sla_table(
    sla_text: str,
    plans_text: str | None = None,
    *,
    known_case_types: set[str] | None = None,
    source: str = "sla.yaml",
) -> SlaTable:
    """Parse and validate SLA rules (and follow-up plans). Raises :class:`SlaError` listing
    every problem as ``source: rules[i] (id): field: what``."""
    plans = _load_plans(plans_text) if plans_text else {}
    raw = yaml.safe_load(sla_text) or {}
    loader = _RuleLoader(raw, source, known_case_types, plans)
    rules = loader.run()
    if loader.problems:
        raise SlaError("invalid SLA table:\n" + "\n".join(loader.problems))
    return SlaTable(tuple(rules), plans)


def load_sla_file(path: str | Path, plans_path: str | Path | None = None) -> SlaTable:
    plans_text = Path(plans_path).read_text("utf-8") if plans_path else None
    return load_sla_table(Path(path).read_text("utf-8"), plans_text, source=str(path))


class _RuleLoader:
    def __init__(
        self,
        raw: dict[str, Any],
        source: str,
        known_case_types: set[str] | None,
        plans: Mapping[str, FollowUpPlan],
    ) -> None:
        self.raw, self.source, self.known, self.plans = raw, source, known_case_types, plans
        self.problems: list[str] = []
        self.vocab = vocabulary()
        remind = str((raw.get("defaults") or {}).get("remind_at", "09:00"))
        self.remind_at = _parse_time(remind, self._where("defaults.remind_at"), self.problems)

    def _where(self, path: str, index: int | None = None, rule_id: str = "") -> str:
        if index is None:
            return f"{self.source}: {path}"
        return f"{self.source}: rules[{index}] ({rule_id or 'no id'}): {path}"

    def run(self) -> list[Sla]:
        specs = self.raw.get("rules")
        if not isinstance(specs, list) or not specs:
            self.problems.append(self._where("rules") + ": needs a non-empty list")
            return []
        by_id: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, spec in enumerate(specs):
            rule_id = str(spec.get("id", "")) if isinstance(spec, dict) else ""
            if not rule_id or rule_id in by_id:
                self.problems.append(self._where("id", index, rule_id) + ": missing or repeated")
                continue
            by_id[rule_id] = (index, spec)
        rules = [self._build(rule_id, by_id) for rule_id in by_id]
        built = [r for r in rules if r is not None]
        if not self.problems:
            self._check_coverage(built)
        return built

    def _flatten(
        self, rule_id: str, by_id: dict[str, tuple[int, dict[str, Any]]]
    ) -> dict[str, Any]:
        """The rule's fields with its ``extends`` chain applied (deadlines merged)."""
        chain, seen = [], set()
        current: str | None = rule_id
        while current is not None:
            if current in seen or current not in by_id:
                index = by_id[rule_id][0]
                self.problems.append(
                    self._where("extends", index, rule_id)
                    + f": {current!r} is unknown or part of a cycle"
                )
                return {}
            seen.add(current)
            chain.append(by_id[current][1])
            current = by_id[current][1].get("extends")
        merged: dict[str, Any] = {"deadlines": {}}
        for spec in reversed(chain):
            for key, value in spec.items():
                if key in MATCH_KEYS or key in ("id", "extends"):
                    continue
                if key == "deadlines":
                    merged["deadlines"].update(value or {})
                else:
                    merged[key] = value
        own = by_id[rule_id][1]
        merged.update({k: own.get(k) for k in MATCH_KEYS})
        return merged

    def _build(self, rule_id: str, by_id: dict[str, tuple[int, dict[str, Any]]]) -> Sla | None:
        index, own = by_id[rule_id]
        if not isinstance(own, dict):
            return None
        before = len(self.problems)
        for key in own:
            if key not in RULE_KEYS:
                self.problems.append(self._where(str(key), index, rule_id) + ": unknown key")
        spec = self._flatten(rule_id, by_id)
        if len(self.problems) > before:
            return None

        def where(path: str) -> str:
            return self._where(path, index, rule_id)

        self._check_match(spec, where)
        deadlines = {
            str(name): self._duration(value, where(f"deadlines.{name}"), with_from=True)
            for name, value in (spec.get("deadlines") or {}).items()
        }
        if MAIN_MILESTONE not in deadlines:
            self.problems.append(where("deadlines") + f": needs a {MAIN_MILESTONE!r} deadline")
        if not str(spec.get("ref") or "").strip():
            self.problems.append(where("ref") + ": every rule must cite its source")
        plan = spec.get("follow_up_plan")
        if plan is not None and plan not in self.plans:
            self.problems.append(where("follow_up_plan") + f": unknown plan {plan!r}")
        sla = Sla(
            rule_id=rule_id,
            case_type=str(spec.get("case_type")),
            source=_text_or_none(spec.get("source")),
            category=_text_or_none(spec.get("category")),
            urgency=_text_or_none(spec.get("urgency")),
            deadlines=deadlines,
            reminders=tuple(
                self._duration(r, where(f"reminders[{i}]"))
                for i, r in enumerate(spec.get("reminders") or [])
            ),
            escalation=self._escalation(spec.get("escalation") or [], where),
            extension=self._extension(spec.get("extension"), where),
            follow_up_plan=plan,
            roll_to_working_day=bool(spec.get("roll_to_working_day", False)),
            remind_at=self.remind_at,
            ref=str(spec.get("ref") or "").strip(),
        )
        return None if len(self.problems) > before else sla

    def _check_match(self, spec: dict[str, Any], where: Any) -> None:
        case_type = spec.get("case_type")
        if not case_type or (self.known is not None and case_type not in self.known):
            self.problems.append(where("case_type") + f": unknown case type {case_type!r}")
        source, urgency = spec.get("source"), spec.get("urgency")
        if source is not None and str(source) not in self.vocab["sources"]:
            self.problems.append(where("source") + f": unknown source {source!r}")
        if urgency is not None and str(urgency) not in self.vocab["urgencies"]:
            self.problems.append(where("urgency") + f": unknown urgency {urgency!r}")
        category = spec.get("category")
        known_categories = complaint_categories() if case_type == "complaint" else None
        if category is not None and known_categories and str(category) not in known_categories:
            self.problems.append(where("category") + f": unknown category {category!r}")

    def _duration(self, raw: Any, where: str, *, with_from: bool = False) -> Duration:
        if not isinstance(raw, dict):
            self.problems.append(f"{where}: must be a mapping with value and unit")
            return Duration(0, "hours")
        value, unit = raw.get("value"), raw.get("unit")
        if unit not in workdays.UNITS:
            self.problems.append(f"{where}.unit: {unit!r} is not one of {workdays.UNITS}")
        bad_value = not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0
        if bad_value or (unit != "hours" and isinstance(value, float) and not value.is_integer()):
            self.problems.append(
                f"{where}.value: {value!r} must be a number >= 0 (whole for day units)"
            )
            value = 0
        if with_from and not raw.get("from"):
            self.problems.append(f"{where}.from: name the event the deadline counts from")
        return Duration(value, str(unit), str(raw.get("from") or "received"))

    def _escalation(self, raw: Any, where: Any) -> tuple[EscalationStep, ...]:
        steps = []
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            path = where(f"escalation[{i}]")
            if not isinstance(item, dict) or not item.get("action"):
                self.problems.append(f"{path}: needs level, action and after")
                continue
            after = self._duration(item.get("after"), f"{path}.after")
            steps.append(EscalationStep(int(item.get("level", 0)), str(item["action"]), after))
        levels = [s.level for s in steps]
        if levels != list(range(1, len(steps) + 1)):
            self.problems.append(
                where("escalation") + f": levels must be 1, 2, ... in order, got {levels}"
            )
        return tuple(steps)

    def _extension(self, raw: Any, where: Any) -> ExtensionPolicy | None:
        if raw is None:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("max_times"), int):
            self.problems.append(where("extension") + ": needs max_times and max")
            return None
        maximum = self._duration(raw.get("max"), where("extension.max"))
        return ExtensionPolicy(raw["max_times"], maximum, bool(raw.get("request_before_due", True)))

    def _check_coverage(self, rules: list[Sla]) -> None:
        """Each case type needs a catch-all rule; patterns must be unique; any two rules that
        overlap without one being more specific need a rule for exactly their overlap."""
        patterns = {(r.case_type, r.pattern()): r.rule_id for r in rules}
        if len(patterns) < len(rules):
            self.problems.append(f"{self.source}: two rules share the same match pattern")
        for case_type in sorted({r.case_type for r in rules}):
            if (case_type, (None, None, None)) not in patterns:
                self.problems.append(
                    f"{self.source}: case type {case_type!r} needs a catch-all "
                    "rule (no source, category or urgency)"
                )
        for i, a in enumerate(rules):
            for b in rules[i + 1 :]:
                self._check_pair(a, b, patterns)

    def _check_pair(self, a: Sla, b: Sla, patterns: Mapping[tuple[Any, ...], str]) -> None:
        if a.case_type != b.case_type or _within(a, b) or _within(b, a):
            return
        overlap = _overlap(a, b)
        if overlap is not None and (a.case_type, overlap) not in patterns:
            shown = dict(zip(MATCH_KEYS, overlap, strict=True))
            self.problems.append(
                f"{self.source}: rules {a.rule_id!r} and {b.rule_id!r} both match "
                f"{a.case_type} cases with {shown} and neither is more specific; "
                "add a rule for exactly that combination"
            )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_time(text: str, where: str, problems: list[str]) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}: {text!r} is not a time like 09:00")
        return dt.time(9, 0)


def _load_plans(text: str) -> dict[str, FollowUpPlan]:
    raw = yaml.safe_load(text) or {}
    plans: dict[str, FollowUpPlan] = {}
    problems: list[str] = []
    for name, spec in (raw.get("plans") or {}).items():
        visits = []
        for i, item in enumerate(spec.get("visits") or []):
            where = f"follow_up_plans.yaml: plans.{name}.visits[{i}]"
            offset = item.get("offset") or {}
            if offset.get("unit") not in workdays.UNITS or not item.get("anchor"):
                problems.append(f"{where}: needs anchor and offset {{value, unit}}")
                continue
            visits.append(
                Visit(
                    int(item["seq"]),
                    str(item["anchor"]),
                    Duration(offset["value"], offset["unit"], str(item["anchor"])),
                    str(item.get("method", "phone")),
                    str(item.get("zh", "")),
                    str(item.get("en", "")),
                )
            )
        if [v.seq for v in visits] != list(range(1, len(visits) + 1)):
            problems.append(f"follow_up_plans.yaml: plans.{name}: seq must be 1, 2, ... in order")
        plans[str(name)] = FollowUpPlan(
            str(name), spec.get("zh", ""), spec.get("en", ""), spec.get("ref", ""), tuple(visits)
        )
    if problems:
        raise SlaError("invalid follow-up plans:\n" + "\n".join(problems))
    return plans
