"""Action plans as data: the "coact-plan/1" YAML format, its loader and its checker.

A plan file holds one plan (header, goals, numbered tasks with lead and co-responsible
departments, quantitative indicators); an org folder holds the area tree (``regions.yaml``,
"coact-regions/1") and the departments (``departments.yaml``, "coact-departments/1") that plan
files refer to. The format is documented in docs/plan-format.md; nothing here knows about any
particular city, so a provincial plan or the next plan loads the same way.

``check_plan`` reports every problem it can find (schema, unique codes, references, the
comparator's required fields, deadlines, task numbering, quotes against the plan's own text),
each with the file, the YAML line and a path such as ``tasks[12].lead[0]``. ``load_plan``
returns the plan or raises ``PlanFormatError`` carrying the same list.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

PLAN_FORMAT = "coact-plan/1"
REGIONS_FORMAT = "coact-regions/1"
DEPARTMENTS_FORMAT = "coact-departments/1"
REGIONS_FILE = "regions.yaml"
DEPARTMENTS_FILE = "departments.yaml"
# A deadline may fall a little after the period (e.g. a target "by the end of 2025" read as
# the 2025 annual statistics published in 2026), never long after it.
DEADLINE_GRACE = dt.timedelta(days=366)

M = TypeVar("M", bound="BaseModel")
PathPart = str | int
YamlPath = tuple[PathPart, ...]


def _code_text(value: Any) -> Any:
    """Region codes such as 320600 are often written unquoted in YAML: read them as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


CodeText = Annotated[str, BeforeValidator(_code_text)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Number = int | float


class Comparator(StrEnum):
    """How an indicator's value is compared with its target (docs/plan-format.md)."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    ABOUT = "about"
    FULL_COVERAGE = "full_coverage"
    COUNT_REACHED = "count_reached"
    EXCEED_PROVINCIAL_TARGET = "exceed_provincial_target"
    NEGATIVE_GROWTH_VS_BASE = "negative_growth_vs_base"
    MULTIPLE_OF_BASE = "multiple_of_base"
    PCT_CHANGE_VS_BASE = "pct_change_vs_base"
    MAINTAIN = "maintain"


# Comparators that measure the value against a base-year value.
VERSUS_BASE = frozenset(
    {
        Comparator.NEGATIVE_GROWTH_VS_BASE,
        Comparator.MULTIPLE_OF_BASE,
        Comparator.PCT_CHANGE_VS_BASE,
    }
)
# Comparators whose `target` must be a number written in the plan file.
NEEDS_TARGET = frozenset(
    {
        Comparator.AT_LEAST,
        Comparator.AT_MOST,
        Comparator.ABOUT,
        Comparator.COUNT_REACHED,
        Comparator.MAINTAIN,
        Comparator.MULTIPLE_OF_BASE,
        Comparator.PCT_CHANGE_VS_BASE,
    }
)


class _Strict(BaseModel):
    """Unknown fields are errors: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanHeader(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: Annotated[str, Field(min_length=1)]
    title_en: Annotated[str, Field(min_length=1)]
    issuer: Annotated[str, Field(min_length=1)]
    issued: dt.date
    period_start: dt.date
    period_end: dt.date
    region: CodeText
    source: Annotated[str, Field(min_length=1)]
    version: Annotated[int, Field(ge=1)]


class Goal(_Strict):
    code: Annotated[str, Field(pattern=r"^G[0-9]+$")]
    number: Annotated[int, Field(ge=1)]
    title: Annotated[str, Field(min_length=1)]
    title_en: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]
    indicators: list[str] = []


class Task(_Strict):
    number: Annotated[int, Field(ge=1)]
    chapter: Annotated[str, Field(min_length=1)]
    chapter_title: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    title_en: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]
    # The closing parenthesis of the task naming its departments, quoted exactly.
    responsibility: str | None = None
    lead: Annotated[list[str], Field(min_length=1)]
    co: list[str] = []
    # Units the text names only collectively, e.g. 市各有关部门.
    co_collective: list[str] = []
    local_implementation: bool
    indicators: list[str] = []


class Baseline(_Strict):
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    value: Number | None = None


class Indicator(_Strict):
    code: Annotated[str, Field(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+)+$")]
    name: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    unit: Annotated[str, Field(min_length=1)]
    comparator: Comparator
    target: Number | None = None
    # Allowed shortfall on the wrong side of the target; null = default (docs/plan-format.md).
    tolerance: Annotated[float, Field(ge=0)] | None = None
    # True when reaching the target exactly is not enough (超过, 超额).
    strict: bool = False
    baseline: Baseline | None = None
    deadline: dt.date
    annual: bool = False
    level: Literal["city", "county"] = "city"
    goal: str | None = None
    tasks: list[int] = []
    responsible: list[str] = []
    reporting: Literal["reported", "computed"]
    computed_by: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")] | None = None
    higher_is_better: bool
    quote: Annotated[str, Field(min_length=1)]
    notes: str | None = None


class Plan(_Strict):
    format: Literal["coact-plan/1"]
    plan: PlanHeader
    goals: list[Goal]
    tasks: list[Task]
    indicators: list[Indicator]
    _path: Path | None = PrivateAttr(default=None)

    @property
    def code(self) -> str:
        return self.plan.code

    @property
    def path(self) -> Path | None:
        return self._path

    def goal(self, code: str) -> Goal:
        return _only(g for g in self.goals if g.code == code)

    def task(self, number: int) -> Task:
        return _only(t for t in self.tasks if t.number == number)

    def indicator(self, code: str) -> Indicator:
        return _only(i for i in self.indicators if i.code == code)

    def indicators_of_task(self, number: int) -> list[Indicator]:
        return [i for i in self.indicators if number in i.tasks]


def _only(items: Iterable[Any]) -> Any:
    found = list(items)
    if len(found) != 1:
        raise KeyError("not found" if not found else "not unique")
    return found[0]


# --- org: regions and departments -----------------------------------------------------------


class Region(_Strict):
    code: CodeText
    name: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    kind: Literal["province", "city", "county", "district", "park"]
    parent: CodeText | None = None
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    approx: bool = False
    note: str | None = None


class Department(_Strict):
    code: Slug
    name: Annotated[str, Field(min_length=1)]
    short: Annotated[str, Field(min_length=1)]
    name_en: Annotated[str, Field(min_length=1)]
    aliases: list[str] = []
    kind: Literal[
        "municipal_department",
        "vertical_agency",
        "judicial",
        "coordination_office",
        "public_institution",
    ]
    note: str | None = None

    @property
    def spellings(self) -> list[str]:
        """Every way the department may be written in a plan's text."""
        return [self.name, self.short, *self.aliases]


@dataclass(frozen=True)
class Org:
    """The area tree and the departments of one government (city or province)."""

    folder: Path
    regions: tuple[Region, ...]
    departments: tuple[Department, ...]

    def region(self, code: str) -> Region:
        return _only(r for r in self.regions if r.code == code)

    def department(self, code: str) -> Department:
        return _only(d for d in self.departments if d.code == code)

    @property
    def department_codes(self) -> frozenset[str]:
        return frozenset(d.code for d in self.departments)

    @property
    def region_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.regions)

    def children(self, code: str) -> list[Region]:
        return [r for r in self.regions if r.parent == code]


# --- problems ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (file, YAML line, path inside the document) and what."""

    file: str
    path: str
    message: str
    line: int | None = None

    @property
    def location(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}" if self.path else where

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class PlanFormatError(ValueError):
    """A plan or org file that does not pass its checks; ``problems`` lists every failure."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = len(self.problems) - 20
        super().__init__(shown + (f"\n... and {more} more" if more > 0 else ""))


def format_path(path: YamlPath) -> str:
    """("tasks", 12, "lead", 0) -> "tasks[12].lead[0]"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Report:
    """Collects problems for one YAML document, finding the line of each path in its nodes."""

    def __init__(self, file: str, root: yaml.Node | None) -> None:
        self.file = file
        self.root = root
        self.problems: list[Problem] = []

    def add(self, path: YamlPath, message: str) -> None:
        line = _line_of(self.root, path)
        self.problems.append(Problem(self.file, format_path(path), message, line))

    def add_validation_error(self, prefix: YamlPath, error: ValidationError) -> None:
        for item in error.errors():
            self.add(prefix + tuple(item["loc"]), _pydantic_message(item))


def _pydantic_message(item: Any) -> str:
    kind, loc = item["type"], item["loc"]
    if kind == "missing":
        return f"missing required field '{loc[-1]}'"
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1]}'"
    shown = repr(item.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{item['msg']} (got {shown})"


def _line_of(root: yaml.Node | None, path: YamlPath) -> int | None:
    """1-based line of the deepest node of ``path`` that exists in the YAML tree."""
    node = root
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1 if node is not None else None


def _child(node: yaml.Node | None, part: PathPart) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == str(part):
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


# --- reading YAML ------------------------------------------------------------------------------


def _read_yaml(path: Path, report: _Report) -> Any:
    """Parse ``path``; on failure record a problem and return None."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        report.add((), f"cannot read: {error}")
        return None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        report.root = node
        if node is None:
            report.add((), "file is empty")
            return None
        _report_duplicate_keys(node, (), report)
        return loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        report.problems.append(Problem(report.file, "", f"not valid YAML: {error}", line))
        return None
    finally:
        loader.dispose()


def _report_duplicate_keys(node: yaml.Node, path: YamlPath, report: _Report) -> None:
    """PyYAML keeps the last of two equal keys without a word; a plan must not."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                report.problems.append(
                    Problem(
                        report.file,
                        format_path((*path, key.value)),
                        f"key '{key.value}' appears twice in the same mapping",
                        key.start_mark.line + 1,
                    )
                )
            seen.add(key.value)
            _report_duplicate_keys(value, (*path, key.value), report)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _report_duplicate_keys(item, (*path, index), report)


def _validate_items(raw: Any, key: str, model: type[M], report: _Report) -> list[tuple[int, M]]:
    """Validate each list item on its own, so one broken item does not hide the others."""
    if raw is None:
        report.add((key,), f"'{key}' is missing or empty; it must be a list")
        return []
    if not isinstance(raw, list):
        report.add((key,), f"'{key}' must be a list, got {type(raw).__name__}")
        return []
    valid: list[tuple[int, M]] = []
    for index, item in enumerate(raw):
        try:
            valid.append((index, model.model_validate(item)))
        except ValidationError as error:
            report.add_validation_error((key, index), error)
    return valid


def _validate_one(raw: Any, path: YamlPath, model: type[M], report: _Report) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        report.add_validation_error(path, error)
        return None


def _top_level(data: Any, expected_format: str, keys: set[str], report: _Report) -> bool:
    """Check the document is a mapping with the right ``format`` and no unknown keys."""
    if not isinstance(data, dict):
        report.add((), f"the document must be a mapping with 'format: {expected_format}'")
        return False
    if data.get("format") != expected_format:
        report.add(("format",), f"format must be '{expected_format}', got {data.get('format')!r}")
    for key in data:
        if key not in keys:
            report.add((key,), f"unknown top-level key '{key}' (expected {sorted(keys)})")
    return True


def _duplicates(values: Iterable[Any]) -> set[Any]:
    return {value for value, count in Counter(values).items() if count > 1}


# --- org loading and checks --------------------------------------------------------------------


def check_org(folder: str | Path) -> list[Problem]:
    """Every problem in ``folder``'s regions.yaml and departments.yaml."""
    _, problems = _read_org(Path(folder))
    return problems


def load_org(folder: str | Path) -> Org:
    """The org in ``folder``; raises PlanFormatError listing every problem."""
    org, problems = _read_org(Path(folder))
    if problems or org is None:
        raise PlanFormatError(problems)
    return org


def _read_org(folder: Path) -> tuple[Org | None, list[Problem]]:
    region_report = _Report(REGIONS_FILE, None)
    regions = _read_regions(folder / REGIONS_FILE, region_report)
    department_report = _Report(DEPARTMENTS_FILE, None)
    departments = _read_departments(folder / DEPARTMENTS_FILE, department_report)
    problems = region_report.problems + department_report.problems
    if problems:
        return None, problems
    return Org(folder, tuple(regions), tuple(departments)), []


def _read_regions(path: Path, report: _Report) -> list[Region]:
    data = _read_yaml(path, report)
    if data is None or not _top_level(data, REGIONS_FORMAT, {"format", "regions"}, report):
        return []
    items = _validate_items(data.get("regions"), "regions", Region, report)
    _check_region_tree(items, report)
    return [region for _, region in items]


def _check_region_tree(items: list[tuple[int, Region]], report: _Report) -> None:
    codes = {region.code for _, region in items}
    for code in _duplicates(region.code for _, region in items):
        report.add(("regions",), f"region code '{code}' is used more than once")
    roots = [region for _, region in items if region.parent is None]
    if items and len(roots) != 1:
        report.add(("regions",), f"exactly one region must have parent null, found {len(roots)}")
    for index, region in items:
        if region.parent is not None and region.parent not in codes:
            report.add(("regions", index, "parent"), f"unknown parent region '{region.parent}'")
    parents = {region.code: region.parent for _, region in items}
    for index, region in items:
        if _has_cycle(region.code, parents):
            report.add(("regions", index, "parent"), f"region '{region.code}' is its own ancestor")


def _has_cycle(code: str, parents: dict[str, str | None]) -> bool:
    seen: set[str] = set()
    current: str | None = code
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _read_departments(path: Path, report: _Report) -> list[Department]:
    data = _read_yaml(path, report)
    keys = {"format", "region", "departments"}
    if data is None or not _top_level(data, DEPARTMENTS_FORMAT, keys, report):
        return []
    items = _validate_items(data.get("departments"), "departments", Department, report)
    for code in _duplicates(department.code for _, department in items):
        report.add(("departments",), f"department code '{code}' is used more than once")
    owner: dict[str, str] = {}
    for index, department in items:
        for spelling in set(department.spellings):
            other = owner.setdefault(spelling, department.code)
            if other != department.code:
                report.add(
                    ("departments", index),
                    f"spelling '{spelling}' belongs to both '{other}' and '{department.code}'",
                )
    return [department for _, department in items]


def departments_named_in(text: str, departments: Iterable[Department]) -> list[str]:
    """Codes of the departments spelt in ``text``, in order of first appearance.

    Longest spellings win, so 市生态环境局 is one match, not also 生态环境局 inside it.
    """
    hits: list[tuple[int, int, str]] = []
    for department in departments:
        for spelling in set(department.spellings):
            hits += [
                (m.start(), m.end(), department.code)
                for m in re.finditer(re.escape(spelling), text)
            ]
    hits.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for start, end, code in hits:
        if any(start < other_end and other_start < end for other_start, other_end in taken):
            continue
        taken.append((start, end))
        found.append((start, code))
    ordered: list[str] = []
    for _, code in sorted(found):
        if code not in ordered:
            ordered.append(code)
    return ordered


def org_folders() -> list[Path]:
    """The org folders shipped in coact/data/org (one per government)."""
    root = Path(str(resources.files("coact.data.org")))
    return sorted(p for p in root.iterdir() if (p / REGIONS_FILE).is_file())


def default_org_folder(region_code: str) -> Path | None:
    """The shipped org folder whose area tree contains ``region_code``."""
    for folder in org_folders():
        text = (folder / REGIONS_FILE).read_text("utf-8")
        data = yaml.safe_load(text) or {}
        codes = {str(r.get("code")) for r in data.get("regions", []) if isinstance(r, dict)}
        if region_code in codes:
            return folder
    return None


# --- plan loading and checks -------------------------------------------------------------------


def plan_files(folder: str | Path | None = None) -> list[Path]:
    """Plan files in ``folder`` (default: the plans shipped in coact/data/plans)."""
    root = Path(folder) if folder else Path(str(resources.files("coact.data.plans")))
    return sorted(root.glob("*.yaml"))


def check_plan(path: str | Path, org_dir: Org | str | Path | None = None) -> list[Problem]:
    """Every problem of the plan file at ``path``, checked against an org.

    ``org_dir`` may be an org folder, an Org already loaded, or None for the shipped org folder
    whose area tree contains the plan's region. Problems of the org files are reported too.
    """
    _, problems = _read_plan(Path(path), org_dir)
    return problems


def load_plan(path: str | Path, org_dir: Org | str | Path | None = None) -> Plan:
    """The plan at ``path``; raises PlanFormatError listing every problem."""
    plan, problems = _read_plan(Path(path), org_dir)
    if problems or plan is None:
        raise PlanFormatError(problems)
    return plan


def _read_plan(path: Path, org_arg: Org | str | Path | None) -> tuple[Plan | None, list[Problem]]:
    report = _Report(path.name, None)
    data = _read_yaml(path, report)
    keys = {"format", "plan", "goals", "tasks", "indicators"}
    if data is None or not _top_level(data, PLAN_FORMAT, keys, report):
        return None, report.problems
    header = _validate_one(data.get("plan"), ("plan",), PlanHeader, report)
    parts = _PlanParts(
        header=header,
        goals=_validate_items(data.get("goals"), "goals", Goal, report),
        tasks=_validate_items(data.get("tasks"), "tasks", Task, report),
        indicators=_validate_items(data.get("indicators"), "indicators", Indicator, report),
        present=_present_keys(data),
    )
    org = _resolve_org(org_arg, header, report)
    _check_plan_parts(parts, org, report)
    if report.problems:
        return None, report.problems
    plan = Plan.model_validate(data)
    plan._path = path
    return plan, []


def _resolve_org(
    org_arg: Org | str | Path | None, header: PlanHeader | None, report: _Report
) -> Org | None:
    if isinstance(org_arg, Org):
        return org_arg
    folder = Path(org_arg) if org_arg is not None else None
    if folder is None and header is not None:
        folder = default_org_folder(header.region)
        if folder is None:
            report.add(
                ("plan", "region"),
                f"no org folder in coact/data/org has region '{header.region}'; pass --org",
            )
            return None
    if folder is None:
        return None
    org, problems = _read_org(folder)
    for problem in problems:
        report.problems.append(
            Problem(f"{folder.name}/{problem.file}", problem.path, problem.message, problem.line)
        )
    return org


@dataclass
class _PlanParts:
    header: PlanHeader | None
    goals: list[tuple[int, Goal]]
    tasks: list[tuple[int, Task]]
    indicators: list[tuple[int, Indicator]]
    # Codes and numbers written in the file, valid items or not: a reference to an item that
    # exists but failed its own checks is not also reported as "unknown".
    present: dict[str, set[Any]]


def _present_keys(data: dict[str, Any]) -> dict[str, set[Any]]:
    def keys(section: str, field: str) -> set[Any]:
        items = data.get(section)
        items = items if isinstance(items, list) else []
        values = (item.get(field) for item in items if isinstance(item, dict))
        return {value for value in values if isinstance(value, str | int)}

    return {
        "goals": keys("goals", "code"),
        "tasks": keys("tasks", "number"),
        "indicators": keys("indicators", "code"),
    }


def _check_plan_parts(parts: _PlanParts, org: Org | None, report: _Report) -> None:
    _check_header(parts.header, org, report)
    _check_unique(parts, report)
    _check_task_numbering(parts.tasks, parts.present["tasks"], report)
    _check_goal_links(parts, report)
    for index, task in parts.tasks:
        _check_task(index, task, parts, org, report)
    for index, indicator in parts.indicators:
        _check_indicator(index, indicator, parts, org, report)


def _check_header(header: PlanHeader | None, org: Org | None, report: _Report) -> None:
    if header is None:
        return
    if header.period_end <= header.period_start:
        report.add(("plan", "period_end"), "period_end must be after period_start")
    if org is not None and header.region not in org.region_codes:
        report.add(
            ("plan", "region"),
            f"unknown region '{header.region}' (not in {org.folder.name}/{REGIONS_FILE})",
        )


def _check_unique(parts: _PlanParts, report: _Report) -> None:
    for code in _duplicates(goal.code for _, goal in parts.goals):
        report.add(("goals",), f"goal code '{code}' is used more than once")
    for number in _duplicates(goal.number for _, goal in parts.goals):
        report.add(("goals",), f"goal number {number} is used more than once")
    for number in _duplicates(task.number for _, task in parts.tasks):
        report.add(("tasks",), f"task number {number} is used more than once")
    for code in _duplicates(indicator.code for _, indicator in parts.indicators):
        report.add(("indicators",), f"indicator code '{code}' is used more than once")


def _check_task_numbering(
    tasks: list[tuple[int, Task]], present: set[Any], report: _Report
) -> None:
    """Tasks are numbered 1..N in file order, like the plan's text."""
    numbers = [number for number in present if isinstance(number, int) and number >= 1]
    if not numbers:
        return
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    if missing:
        report.add(
            ("tasks",), f"task numbers must run 1..{max(numbers)} without gaps; missing {missing}"
        )
    for (index, task), (_, following) in itertools.pairwise(tasks):
        if following.number <= task.number:
            report.add(
                ("tasks", index + 1, "number"),
                f"task {following.number} comes after task {task.number}; keep tasks in order",
            )


def _check_goal_links(parts: _PlanParts, report: _Report) -> None:
    indicators = {indicator.code: indicator for _, indicator in parts.indicators}
    for index, goal in parts.goals:
        for position, code in enumerate(goal.indicators):
            indicator = indicators.get(code)
            if code not in parts.present["indicators"]:
                report.add(("goals", index, "indicators", position), f"unknown indicator '{code}'")
            elif indicator is not None and indicator.goal != goal.code:
                report.add(
                    ("goals", index, "indicators", position),
                    f"indicator '{code}' is listed here but its goal is {indicator.goal!r}",
                )


def _check_task(
    index: int, task: Task, parts: _PlanParts, org: Org | None, report: _Report
) -> None:
    path: YamlPath = ("tasks", index)
    if not task.text.startswith(task.title):
        report.add((*path, "title"), "the text must begin with the title")
    if task.responsibility is not None and task.responsibility not in task.text:
        report.add(
            (*path, "responsibility"), "not found in the task's text (must be an exact quote)"
        )
    for field in ("lead", "co"):
        for code in _duplicates(getattr(task, field)):
            report.add((*path, field), f"department '{code}' is listed twice")
    for position, code in enumerate(task.co):
        if code in task.lead:
            report.add((*path, "co", position), f"department '{code}' is both lead and co")
    if org is not None:
        _check_task_departments(path, task, org, report)
    _check_task_indicators(path, task, parts, report)


def _check_task_departments(path: YamlPath, task: Task, org: Org, report: _Report) -> None:
    known = org.department_codes
    for field in ("lead", "co"):
        for position, code in enumerate(getattr(task, field)):
            if code not in known:
                report.add(
                    (*path, field, position), f"unknown department '{code}' (task {task.number})"
                )
    if task.responsibility is not None:
        _check_responsibility(path, task, org, report)


def _check_responsibility(path: YamlPath, task: Task, org: Org, report: _Report) -> None:
    """lead/co must be the departments the text names, split by the reading rule.

    Rule (docs/plan-format.md): the departments before 牵头 lead and the rest are co; with no
    牵头, the first department listed leads and the rest are co.
    """
    text = task.responsibility or ""
    named = departments_named_in(text, org.departments)
    if "牵头" in text:
        expected_lead = departments_named_in(text.split("牵头", 1)[0], org.departments)
    else:
        expected_lead = named[:1]
    expected_co = [code for code in named if code not in expected_lead]
    listed = set(task.lead) | set(task.co)
    for code in named:
        if code not in listed:
            report.add(
                (*path, "co"),
                f"the responsibility text names '{code}' but neither lead nor co lists it",
            )
    for field, expected in (("lead", expected_lead), ("co", expected_co)):
        for position, code in enumerate(getattr(task, field)):
            if code in org.department_codes and code not in expected:
                report.add(
                    (*path, field, position),
                    f"'{code}' should not be {field}: by the reading rule the text's {field} "
                    f"is {expected}",
                )


def _check_task_indicators(path: YamlPath, task: Task, parts: _PlanParts, report: _Report) -> None:
    indicators = {indicator.code: indicator for _, indicator in parts.indicators}
    for position, code in enumerate(task.indicators):
        indicator = indicators.get(code)
        if code not in parts.present["indicators"]:
            report.add((*path, "indicators", position), f"unknown indicator '{code}'")
        elif indicator is not None and task.number not in indicator.tasks:
            report.add(
                (*path, "indicators", position),
                f"indicator '{code}' does not list task {task.number}",
            )
    for code, indicator in indicators.items():
        if task.number in indicator.tasks and code not in task.indicators:
            report.add(
                (*path, "indicators"),
                f"indicator '{code}' lists task {task.number} but the task does not list it",
            )


def _check_indicator(
    index: int, indicator: Indicator, parts: _PlanParts, org: Org | None, report: _Report
) -> None:
    path: YamlPath = ("indicators", index)
    _check_indicator_links(path, indicator, parts, org, report)
    for problem_path, message in comparator_problems(indicator):
        report.add((*path, *problem_path), message)
    if parts.header is not None:
        _check_indicator_dates(path, indicator, parts.header, report)
    if (indicator.reporting == "computed") != (indicator.computed_by is not None):
        report.add(
            (*path, "computed_by"),
            "computed_by is required when reporting is 'computed' and only then",
        )


def _check_indicator_links(
    path: YamlPath, indicator: Indicator, parts: _PlanParts, org: Org | None, report: _Report
) -> None:
    goals = {goal.code: goal for _, goal in parts.goals}
    tasks = {task.number: task for _, task in parts.tasks}
    if indicator.goal is not None and indicator.goal not in parts.present["goals"]:
        report.add((*path, "goal"), f"unknown goal '{indicator.goal}'")
    if (
        indicator.goal is not None
        and indicator.goal in goals
        and indicator.code not in goals[indicator.goal].indicators
    ):
        report.add((*path, "goal"), f"goal {indicator.goal} does not list this indicator")
    if indicator.goal is None and not indicator.tasks:
        report.add(path, "an indicator must belong to a goal or at least one task")
    for position, number in enumerate(indicator.tasks):
        if number not in parts.present["tasks"]:
            report.add((*path, "tasks", position), f"unknown task {number}")
    texts = [tasks[n].text for n in indicator.tasks if n in tasks]
    texts += [goals[indicator.goal].text] if indicator.goal in goals else []
    if texts and not any(indicator.quote in text for text in texts):
        report.add(
            (*path, "quote"), "not found in the text of its goal or tasks (must be an exact quote)"
        )
    _check_responsible(path, indicator, tasks, org, report)


def _check_responsible(
    path: YamlPath, indicator: Indicator, tasks: dict[int, Task], org: Org | None, report: _Report
) -> None:
    if not indicator.responsible:
        report.add((*path, "responsible"), "at least one responsible department is required")
    involved = {code for n in indicator.tasks if n in tasks for code in tasks[n].lead + tasks[n].co}
    for position, code in enumerate(indicator.responsible):
        if org is not None and code not in org.department_codes:
            report.add((*path, "responsible", position), f"unknown department '{code}'")
        elif involved and code not in involved:
            report.add(
                (*path, "responsible", position),
                f"department '{code}' is neither lead nor co of tasks {indicator.tasks}",
            )


def comparator_problems(indicator: Indicator) -> Iterator[tuple[YamlPath, str]]:
    """Fields each comparator needs, and the direction each one implies."""
    comparator, target = indicator.comparator, indicator.target
    if comparator in NEEDS_TARGET and target is None:
        yield ("target",), f"comparator {comparator} needs a numeric target"
    if comparator == Comparator.FULL_COVERAGE:
        if target not in (None, 100):
            yield ("target",), "full_coverage means 100; leave target 100 or null"
        if indicator.unit != "%":
            yield ("unit",), "full_coverage is a share: unit must be '%'"
    if comparator == Comparator.EXCEED_PROVINCIAL_TARGET and target is not None:
        yield (
            ("target",),
            "exceed_provincial_target takes the provincial target as an input; target must be null",
        )
    if comparator == Comparator.NEGATIVE_GROWTH_VS_BASE and target not in (None, 0):
        yield (
            ("target",),
            "negative_growth_vs_base compares with the base value; target must be null or 0",
        )
    if (
        comparator == Comparator.COUNT_REACHED
        and target is not None
        and (target < 0 or target != int(target))
    ):
        yield ("target",), "count_reached needs a whole, non-negative target"
    if comparator == Comparator.MULTIPLE_OF_BASE and target is not None and target <= 0:
        yield ("target",), "multiple_of_base needs a positive multiple (2 for 翻一番)"
    yield from _baseline_problems(indicator)
    yield from _direction_problems(indicator)


def _baseline_problems(indicator: Indicator) -> Iterator[tuple[YamlPath, str]]:
    comparator = indicator.comparator
    has_year = indicator.baseline is not None and indicator.baseline.year is not None
    year_optional = comparator == Comparator.NEGATIVE_GROWTH_VS_BASE and indicator.annual
    if comparator in VERSUS_BASE and not has_year and not year_optional:
        yield (
            ("baseline",),
            f"comparator {comparator} needs baseline.year (the base year of the text)",
        )
    if (
        indicator.baseline is not None
        and indicator.baseline.year is None
        and indicator.baseline.value is not None
    ):
        yield ("baseline", "year"), "a baseline value needs its year"


def _direction_problems(indicator: Indicator) -> Iterator[tuple[YamlPath, str]]:
    """A comparator (and the sign of a change target) fixes which direction is better."""
    comparator, target = indicator.comparator, indicator.target
    implied: bool | None = None
    if comparator in (Comparator.AT_LEAST, Comparator.FULL_COVERAGE, Comparator.COUNT_REACHED):
        implied = True
    elif comparator in (Comparator.AT_MOST, Comparator.NEGATIVE_GROWTH_VS_BASE):
        implied = False
    elif comparator == Comparator.PCT_CHANGE_VS_BASE and target:
        implied = target > 0
    elif comparator == Comparator.MULTIPLE_OF_BASE and target and target != 1:
        implied = target > 1
    if implied is not None and indicator.higher_is_better != implied:
        yield (
            ("higher_is_better",),
            f"comparator {comparator} with target {target} implies "
            f"higher_is_better: {str(implied).lower()}",
        )


def _check_indicator_dates(
    path: YamlPath, indicator: Indicator, header: PlanHeader, report: _Report
) -> None:
    if not header.period_start <= indicator.deadline <= header.period_end + DEADLINE_GRACE:
        report.add(
            (*path, "deadline"),
            f"deadline {indicator.deadline} is outside the plan period "
            f"{header.period_start}..{header.period_end} (+1 year)",
        )
    baseline = indicator.baseline
    if (
        baseline is not None
        and baseline.year is not None
        and baseline.year > header.period_start.year
    ):
        report.add(
            (*path, "baseline", "year"),
            f"base year {baseline.year} is after the plan starts ({header.period_start.year})",
        )


def describe_target(indicator: Indicator) -> str:
    """The target in a short readable form, e.g. "≥ 88 %", "≈ 25 ±1 ug/m3", "×2 vs 2020"."""
    comparator, unit = indicator.comparator, indicator.unit
    target = "" if indicator.target is None else f"{indicator.target:g}"
    base = indicator.baseline.year if indicator.baseline and indicator.baseline.year else None
    versus = f"vs {base}" if base else "vs previous year"
    better = "≥" if indicator.higher_is_better else "≤"
    tolerance = f" ±{indicator.tolerance:g}" if indicator.tolerance else ""
    text = {
        Comparator.AT_LEAST: f"{'>' if indicator.strict else '≥'} {target} {unit}",
        Comparator.AT_MOST: f"{'<' if indicator.strict else '≤'} {target} {unit}",
        Comparator.ABOUT: f"≈ {target}{tolerance} {unit}",
        Comparator.FULL_COVERAGE: "100 %",
        Comparator.COUNT_REACHED: f"≥ {target} {unit}",
        Comparator.EXCEED_PROVINCIAL_TARGET: "> provincial target",
        Comparator.NEGATIVE_GROWTH_VS_BASE: f"< 0 % {versus}",
        Comparator.MULTIPLE_OF_BASE: f"×{target} {versus}",
        Comparator.PCT_CHANGE_VS_BASE: f"{indicator.target or 0:+g} %{tolerance} {versus}",
        Comparator.MAINTAIN: f"keep {better} {target} {unit}",
    }[comparator]
    return text + (" every year" if indicator.annual else "")
