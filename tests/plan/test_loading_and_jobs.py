"""Plans as files (several side by side, bad files store nothing), reminders, assessment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError

from coact.core.models import Enterprise, Notification, Region
from coact.plan import assessment, services
from coact.plan.models import Goal, Plan, Task
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
NANTONG = Path(services.plan_files()[0])


def _variant(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(NANTONG.read_text(encoding="utf-8"))
    data["plan"].update(changes)
    path = tmp_path / f"{data['plan']['code']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_second_plan_loads_beside_the_first(tmp_path: Path) -> None:
    path = _variant(tmp_path, code="nantong-copy-2023-2025", title="南通市行动计划副本(演示)")
    services.load_plan_file(path)
    assert Plan.objects.count() == 2
    assert Task.objects.filter(plan__code="nantong-copy-2023-2025").count() == 30
    assert Task.objects.filter(plan__code="nantong-2023-2025").count() == 30


def test_malformed_plan_names_the_place_and_stores_nothing(tmp_path: Path) -> None:
    data = yaml.safe_load(NANTONG.read_text(encoding="utf-8"))
    data["plan"]["code"] = "broken-plan"
    data["tasks"][3]["lead"] = ["no_such_department"]
    data["indicators"][0]["comparator"] = "roughly"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(services.PlanFileInvalid) as info:
        services.load_plan_file(path)
    where = " ".join(f"{p.location} {p.message}" for p in info.value.problems)
    assert "tasks[3].lead" in where and "no_such_department" in where
    assert "indicators[0].comparator" in where
    assert not Plan.objects.filter(code="broken-plan").exists()
    assert Goal.objects.filter(plan__code="broken-plan").count() == 0


def test_enterprise_code_is_checked_by_gb32100() -> None:
    region = Region.objects.get(code="320682")
    from coact.engines.uscc import uscc_check_character

    first17 = "91320682MA1D3M00X"
    wrong = next(c for c in "0123456789" if c != uscc_check_character(first17))
    bad = Enterprise(uscc=first17 + wrong, name="x", region=region)
    with pytest.raises(ValidationError) as info:
        bad.full_clean()
    assert "check character" in str(info.value)


def test_reminders_before_and_after_the_due_date(plan) -> None:
    user = make_user("rep", "department", department="ecology")
    due = assessment.report_due(2025, 3)  # 2025-10-10 with the default 10 days
    assert due == dt.date(2025, 10, 10)
    assert assessment.send_reminders(due - dt.timedelta(days=7), plan) > 0
    before = Notification.objects.filter(user=user).count()
    first = Notification.objects.filter(user=user).first()
    assert before > 0 and "将于2025-10-10截止" in first.text
    assert assessment.send_reminders(due - dt.timedelta(days=7), plan) == 0  # once per key
    assert assessment.send_reminders(due - dt.timedelta(days=3), plan) == 0  # not a reminder day
    assessment.send_reminders(due + dt.timedelta(days=1), plan)
    assert Notification.objects.filter(user=user, text__contains="已逾期1天").exists()


def test_assessment_scores_follow_the_weights(plan, eco) -> None:
    task = Task.objects.filter(plan=plan, lead__code="ecology").first()
    services.submit_task_report(task, services.TaskReportInput(
        year=2025, quarter=2, narrative="按计划推进", percent_done=50), by=eco)
    rows = {r["code"]: r for r in assessment.assessment(plan, 2025, 2)}
    ecology = rows["ecology"]
    assert ecology["tasks"] > 1 and ecology["reports_missing"] == ecology["tasks"] - 1
    # reporting points: one report on time (100 if submitted before 2025-07-10, else late 60)
    expected_reporting = (100 if dt.date.today() <= dt.date(2025, 7, 10) else 60) / ecology["tasks"]
    assert ecology["reporting_score"] == round(expected_reporting, 1)
    weights = assessment.config()["assessment"]["weights"]
    total = (weights["indicators"] * ecology["indicator_score"]
             + weights["reporting"] * expected_reporting)
    assert ecology["score"] == round(total, 1)
