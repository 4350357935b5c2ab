"""The plan file format: the shipped Nantong plan and org, and a checker that finds every fault."""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from coact.cli import plan as plan_cli
from coact.engines.planfile import (
    Comparator,
    Problem,
    check_org,
    check_plan,
    default_org_folder,
    departments_named_in,
    describe_target,
    load_org,
    load_plan,
    plan_files,
)

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "src/coact/data/plans/nantong-2023-2025.yaml"
ORG = REPO / "src/coact/data/org/nantong"
SOURCE_TEXT = REPO.parent / "shared/plan/nantong-2023-2025-action-plan.zh.txt"


@pytest.fixture(scope="module")
def nantong() -> Any:
    return load_plan(PLAN)


# --- the shipped plan ------------------------------------------------------------------------


def test_shipped_plan_checks_clean() -> None:
    assert check_plan(PLAN) == []
    assert check_plan(PLAN, ORG) == []


def test_shipped_plan_shape(nantong: Any) -> None:
    assert nantong.code == "nantong-2023-2025"
    assert [g.code for g in nantong.goals] == ["G1", "G2", "G3", "G4", "G5"]
    assert [t.number for t in nantong.tasks] == list(range(1, 31))
    assert all(len(t.lead) >= 1 for t in nantong.tasks)
    assert all(t.local_implementation for t in nantong.tasks)
    assert len(nantong.indicators) >= 50
    assert PLAN in plan_files()


def test_every_goal_and_task_text_is_the_plans_own_paragraph(nantong: Any) -> None:
    if not SOURCE_TEXT.is_file():
        pytest.skip("shared/plan text not present")
    paragraphs = SOURCE_TEXT.read_text("utf-8").split("\n")
    for goal in nantong.goals:
        assert f"{goal.number}.{goal.text}" in paragraphs, goal.code
    for task in nantong.tasks:
        assert f"{task.number}.{task.text}" in paragraphs, task.number
    assert nantong.plan.title in SOURCE_TEXT.read_text("utf-8")


def test_lead_departments_read_from_the_text(nantong: Any) -> None:
    # "(市住房和城乡建设局、市政和园林局牵头,市生态环境局等按职责分工负责)": two leads.
    assert nantong.task(21).lead == ["housing", "municipal_parks"]
    assert nantong.task(21).co == ["ecology"]
    # "(市农业农村局、生态环境局、...等按职责分工负责)": no 牵头, so the first listed leads.
    assert nantong.task(6).lead == ["agriculture"]
    assert nantong.task(6).co == ["ecology", "housing", "water"]
    # "(市攻坚办牵头,市各有关部门按职责分工负责)"
    assert nantong.task(18).lead == ["campaign_office"]
    assert nantong.task(18).co_collective == ["市各有关部门"]
    assert nantong.task(12).co == []


def test_headline_indicators(nantong: Any) -> None:
    pm25 = nantong.indicator("NT-AIR-PM25")
    assert (pm25.comparator, pm25.target, pm25.tolerance) == (Comparator.ABOUT, 25, 1)
    assert pm25.higher_is_better is False and pm25.computed_by == "air.pm25_annual_mean"
    good = nantong.indicator("NT-AIR-GOOD-DAYS")
    assert (good.comparator, good.target, good.goal) == (Comparator.AT_LEAST, 88, "G1")
    rail = nantong.indicator("NT-TRANS-RAIL-FREIGHT")
    assert (rail.comparator, rail.target, rail.baseline.year) == ("pct_change_vs_base", 30, 2020)
    shore = nantong.indicator("NT-PORT-SHORE-POWER")
    assert (shore.comparator, shore.target, shore.baseline.year) == ("multiple_of_base", 2, 2020)
    vocs = nantong.indicator("NT-AIR-VOCS-REDUCTION")
    assert vocs.comparator == "exceed_provincial_target" and vocs.target is None and vocs.annual
    assert nantong.indicator("NT-PORT-DRY-BULK-ENCLOSED").deadline == dt.date(2023, 12, 31)
    assert describe_target(rail) == "+30 % ±1.5 vs 2020"


def test_indicator_values_quoted_from_the_text(nantong: Any) -> None:
    """Each numeric target appears in its own quote, so a typo in either is caught."""
    for indicator in nantong.indicators:
        if indicator.target not in (None, 0, 1, 2, 100) and indicator.comparator != "about":
            assert f"{abs(indicator.target):g}" in indicator.quote, indicator.code


def test_indicator_counts_by_goal_and_task(nantong: Any) -> None:
    assert len(nantong.goal("G1").indicators) == 4
    assert nantong.goal("G5").indicators == []
    assert {i.code for i in nantong.indicators_of_task(16)} >= {
        "NT-TRANS-RAIL-FREIGHT",
        "NT-TRANS-WATER-FREIGHT",
        "NT-PORT-SHORE-POWER",
    }


def test_the_example_in_the_docs_checks_clean(tmp_path: Path) -> None:
    docs = (REPO / "docs/plan-format.md").read_text("utf-8")
    example = docs.split("### Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "example.yaml").write_text(example, "utf-8")
    assert check_plan(tmp_path / "example.yaml") == []


# --- org -------------------------------------------------------------------------------------


def test_shipped_org() -> None:
    assert check_org(ORG) == []
    org = load_org(ORG)
    assert default_org_folder("320600") == ORG
    counties = org.children("320600")
    assert len([r for r in counties if r.kind in ("county", "district")]) == 7
    assert len([r for r in counties if r.kind == "park"]) == 3
    assert org.region("320613").name == "崇川区"
    assert len(org.departments) >= 25
    assert org.department("ecology").name == "南通市生态环境局"


def test_departments_named_in_prefers_the_longest_spelling() -> None:
    org = load_org(ORG)
    text = "市生态环境局、市场监督管理局、地方金融监督管理局、南通银保监分局等按职责分工负责"
    found = departments_named_in(text, org.departments)
    assert found == ["ecology", "market", "financial_regulation", "banking_insurance"]


# --- malformed plans -------------------------------------------------------------------------

TASK_TEXT = "治理示范任务。到2025年,示范率达90%以上。(市甲局牵头,市乙局等按职责分工负责)"


def small_plan() -> dict[str, Any]:
    """A valid two-task plan over a tiny org (regions R0, R1; departments a, b, c)."""
    indicator = {
        "code": "X-RATE",
        "name": "示范率",
        "name_en": "Demo rate",
        "unit": "%",
        "comparator": "at_least",
        "target": 90,
        "baseline": None,
        "deadline": dt.date(2025, 12, 31),
        "goal": "G1",
        "tasks": [1],
        "responsible": ["a"],
        "reporting": "reported",
        "higher_is_better": True,
        "quote": "示范率达90%以上",
    }
    task = {
        "number": 1,
        "chapter": "二",
        "chapter_title": "行动",
        "title": "治理示范任务",
        "title_en": "Demo task",
        "text": TASK_TEXT,
        "responsibility": "市甲局牵头,市乙局等按职责分工负责",
        "lead": ["a"],
        "co": ["b"],
        "local_implementation": True,
        "indicators": ["X-RATE"],
    }
    task2 = {**task, "number": 2, "indicators": []}
    return {
        "format": "coact-plan/1",
        "plan": {
            "code": "demo-2023-2025",
            "title": "示范计划",
            "title_en": "Demo plan",
            "issuer": "示范市人民政府",
            "issued": dt.date(2023, 5, 8),
            "period_start": dt.date(2023, 1, 1),
            "period_end": dt.date(2025, 12, 31),
            "region": "R0",
            "source": "test",
            "version": 1,
        },
        "goals": [
            {
                "code": "G1",
                "number": 1,
                "title": "目标",
                "title_en": "Goal",
                "text": "目标。示范率达90%以上。",
                "indicators": ["X-RATE"],
            }
        ],
        "tasks": [task, task2],
        "indicators": [indicator],
    }


@pytest.fixture()
def org_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "org"
    folder.mkdir()
    regions = [
        {
            "code": "R0",
            "name": "示范市",
            "name_en": "Demo",
            "kind": "city",
            "parent": None,
            "lon": 120,
            "lat": 32,
        },
        {
            "code": "R1",
            "name": "示范县",
            "name_en": "County",
            "kind": "county",
            "parent": "R0",
            "lon": 121,
            "lat": 32,
        },
    ]
    departments = [
        {
            "code": c,
            "name": f"示范市{n}局",
            "short": f"{n}局",
            "name_en": c,
            "aliases": [f"市{n}局"],
            "kind": "municipal_department",
        }
        for c, n in (("a", "甲"), ("b", "乙"), ("c", "丙"))
    ]
    write(folder / "regions.yaml", {"format": "coact-regions/1", "regions": regions})
    write(
        folder / "departments.yaml", {"format": "coact-departments/1", "departments": departments}
    )
    return folder


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def problems_of(tmp_path: Path, data: Any, org_dir: Path, name: str = "plan.yaml") -> list[Problem]:
    return check_plan(write(tmp_path / name, data), org_dir)


def paths(problems: list[Problem]) -> set[str]:
    return {p.path for p in problems}


def test_small_plan_is_valid(tmp_path: Path, org_dir: Path) -> None:
    assert problems_of(tmp_path, small_plan(), org_dir) == []


def test_every_broken_reference_is_reported_with_its_location(
    tmp_path: Path, org_dir: Path
) -> None:
    data = small_plan()
    data["tasks"][0]["lead"] = ["nobody"]  # unknown department
    data["tasks"][1]["number"] = 4  # gap: 1, 4
    data["indicators"][0]["goal"] = "G9"  # unknown goal
    data["indicators"][0]["tasks"] = [1, 7]  # unknown task
    data["goals"][0]["indicators"].append("X-MISSING")  # unknown indicator
    file = write(tmp_path / "broken.yaml", data)
    problems = check_plan(file, org_dir)
    found = {(p.path, p.message.split(" (")[0]) for p in problems}
    assert ("tasks[0].lead[0]", "unknown department 'nobody'") in found
    assert ("goals[0].indicators[1]", "unknown indicator 'X-MISSING'") in found
    assert ("indicators[0].goal", "unknown goal 'G9'") in found
    assert ("indicators[0].tasks[1]", "unknown task 7") in found
    assert any(p.path == "tasks" and "missing [2, 3]" in p.message for p in problems)
    # The lead read from the text (市甲局牵头) is 'a': the checker says so too.
    assert any(p.path == "tasks[0].co" and "names 'a'" in p.message for p in problems)
    lines = file.read_text("utf-8").splitlines()
    lead = next(p for p in problems if p.path == "tasks[0].lead[0]")
    assert lead.location == f"broken.yaml:{lead.line}: tasks[0].lead[0]"
    assert "nobody" in lines[lead.line - 1]
    goal = next(p for p in problems if p.path == "indicators[0].goal")
    assert "G9" in lines[goal.line - 1]


def test_schema_errors_in_several_items_are_all_reported(tmp_path: Path, org_dir: Path) -> None:
    data = small_plan()
    second = copy.deepcopy(data["indicators"][0])
    second.update(code="X-SECOND", goal=None, comparator="roughly")  # not a comparator
    third = copy.deepcopy(data["indicators"][0])
    third.update(code="X-THIRD", goal=None, targett=5)  # misspelt field
    del third["unit"]  # missing field
    data["indicators"] += [second, third]
    data["plan"]["version"] = 0
    problems = problems_of(tmp_path, data, org_dir)
    found = {(p.path, p.message.split(" (")[0]) for p in problems}
    assert any(p.path == "indicators[1].comparator" and "at_least" in p.message for p in problems)
    assert ("indicators[2].targett", "unknown field 'targett'") in found
    assert ("indicators[2].unit", "missing required field 'unit'") in found
    assert any(p.path == "plan.version" for p in problems)
    # The valid first indicator is still cross-checked despite its broken neighbours.
    assert all(not p.path.startswith("indicators[0]") for p in problems)


def test_comparator_requirements(tmp_path: Path, org_dir: Path) -> None:
    data = small_plan()
    base = data["indicators"][0]
    variants = {
        "X-PCT": {"comparator": "pct_change_vs_base", "target": 30},  # no base year
        "X-FULL": {"comparator": "full_coverage", "target": 90},  # full coverage is 100
        "X-PROV": {"comparator": "exceed_provincial_target", "target": 5},  # target is an input
        "X-MOST": {"comparator": "at_most", "target": 30},  # at_most but higher_is_better
        "X-LATE": {"deadline": dt.date(2031, 1, 1)},  # far outside 2023..2025
        "X-QUOTE": {"quote": "示范率达95%以上"},  # not in the text
        "X-CALC": {"reporting": "computed"},  # no computed_by
    }
    for code, change in variants.items():
        data["indicators"].append({**base, "code": code, "goal": None, **change})
        data["tasks"][0]["indicators"].append(code)
    problems = problems_of(tmp_path, data, org_dir)
    by_path = {p.path: p.message for p in problems}
    assert "needs baseline.year" in by_path["indicators[1].baseline"]
    assert "full_coverage means 100" in by_path["indicators[2].target"]
    assert "target must be null" in by_path["indicators[3].target"]
    assert "higher_is_better: false" in by_path["indicators[4].higher_is_better"]
    assert "outside the plan period" in by_path["indicators[5].deadline"]
    assert "exact quote" in by_path["indicators[6].quote"]
    assert "computed_by is required" in by_path["indicators[7].computed_by"]
    assert len(problems) == 7


def test_duplicates_and_inconsistent_links(tmp_path: Path, org_dir: Path) -> None:
    data = small_plan()
    data["indicators"].append(copy.deepcopy(data["indicators"][0]))  # same code twice
    data["goals"].append({**data["goals"][0], "number": 2, "indicators": []})  # same code G1
    data["tasks"][1]["indicators"] = ["X-RATE"]  # task 2 lists it, the indicator does not
    data["tasks"][0]["co"] = ["b", "b"]
    problems = problems_of(tmp_path, data, org_dir)
    messages = [str(p) for p in problems]
    assert any("indicator code 'X-RATE' is used more than once" in m for m in messages)
    assert any("goal code 'G1' is used more than once" in m for m in messages)
    assert any("tasks[1].indicators[0]" in m and "does not list task 2" in m for m in messages)
    assert any("department 'b' is listed twice" in m for m in messages)


def test_yaml_level_faults(tmp_path: Path, org_dir: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("format: coact-plan/1\nplan: [unclosed\n", "utf-8")
    [problem] = check_plan(bad_yaml, org_dir)
    assert "not valid YAML" in problem.message and problem.line is not None

    text = yaml.safe_dump(small_plan(), allow_unicode=True, sort_keys=False)
    twice = tmp_path / "twice.yaml"
    twice.write_text(text.replace("  version: 1\n", "  version: 1\n  version: 2\n"), "utf-8")
    [problem] = check_plan(twice, org_dir)
    assert problem.path == "plan.version" and "appears twice" in problem.message
    assert twice.read_text("utf-8").splitlines()[problem.line - 1] == "  version: 2"

    wrong_format = small_plan() | {"format": "coact-plan/9", "extra": 1}
    found = paths(problems_of(tmp_path, wrong_format, org_dir, "format.yaml"))
    assert found == {"format", "extra"}


def test_load_plan_raises_with_all_problems(tmp_path: Path, org_dir: Path) -> None:
    data = small_plan()
    data["tasks"][0]["lead"] = ["x1"]
    data["indicators"][0]["responsible"] = ["x2"]
    file = write(tmp_path / "p.yaml", data)
    with pytest.raises(ValueError) as caught:
        load_plan(file, org_dir)
    assert "x1" in str(caught.value) and "x2" in str(caught.value)


def test_broken_org_is_reported(tmp_path: Path, org_dir: Path) -> None:
    regions = yaml.safe_load((org_dir / "regions.yaml").read_text("utf-8"))
    regions["regions"][1]["parent"] = "R7"
    write(org_dir / "regions.yaml", regions)
    departments = yaml.safe_load((org_dir / "departments.yaml").read_text("utf-8"))
    departments["departments"][2]["aliases"] = ["市甲局"]  # spelling of 'a' given to 'c'
    write(org_dir / "departments.yaml", departments)
    problems = check_org(org_dir)
    messages = [str(p) for p in problems]
    assert any(
        m.startswith("regions.yaml:") and "unknown parent region 'R7'" in m for m in messages
    )
    assert any("spelling '市甲局' belongs to both 'a' and 'c'" in m for m in messages)


# --- command line ----------------------------------------------------------------------------


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="coact")
    plan_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code = args.handler(args)
    return code, capsys.readouterr().out


def test_cli_check(tmp_path: Path, org_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(["plan", "check", str(PLAN)], capsys)
    assert (code, out.strip()) == (
        0,
        f"ok: 5 goals, 30 tasks, {len(load_plan(PLAN).indicators)} indicators",
    )
    data = small_plan()
    data["tasks"][0]["lead"] = ["nobody"]
    file = write(tmp_path / "cli.yaml", data)
    code, out = run_cli(["plan", "check", str(file), "--org", str(org_dir)], capsys)
    assert code == 1
    assert any(
        line.startswith("cli.yaml:") and "tasks[0].lead[0]: unknown department 'nobody'" in line
        for line in out.splitlines()
    )


def test_cli_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(["plan", "show", "--json"], capsys)
    [plan] = json.loads(out)
    assert code == 0 and plan["plan"]["code"] == "nantong-2023-2025"
    assert plan["tasks"][20]["lead"] == ["housing", "municipal_parks"]
    assert len(plan["indicators"]) >= 50
    code, out = run_cli(["plan", "show"], capsys)
    assert "住房和城乡建设局 (housing)" in out and "NT-AIR-PM25" in out
