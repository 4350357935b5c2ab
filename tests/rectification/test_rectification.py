"""Rectification: plan with milestones, progress, failed and passed verification, sign-off by
someone else, the recurrence warning, exports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from coact.cases import services as cases
from coact.rectification import services
from coact.rectification.models import PlanState, Problem
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _problem(ent, by, **kw) -> Problem:
    fields = {
        "title": "VOCs收集设施停运",
        "description": "风机停运",
        "enterprise": ent,
        "source": "inspection",
        "severity": "serious",
        "category": "air.industrial_emission",
        "found_on": timezone.localdate(),
        "legal_basis": "大气污染防治法第四十五条",
        "by": by,
    }
    fields.update(kw)
    return services.register_problem(**fields)


def _photo(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"jpeg")


def test_full_loop_with_failed_then_passed_verification(
    ent_a, ent_user_a, office, office2, rugao
) -> None:
    problem = _problem(ent_a, office)
    case = problem.case
    assert case.region.code == "320682" and case.source == "enforcement"
    deadline = (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    case = cases.transition(
        case, "assign", office, {"assignee": "county:320682", "deadline": deadline}
    )
    assert (
        case.due_at.date().isoformat() == deadline
        or case.due_at.astimezone().date().isoformat() == deadline
    )
    case = cases.transition(
        case,
        "submit_plan",
        ent_user_a,
        {
            "plan": "更换风机，加装在线监控",
            "responsible_person": "张工",
            "plan_deadline": deadline,
            "milestones": f"{deadline} 完成更换\n",
        },
    )
    plan = problem.plans.get()
    assert plan.state == PlanState.SUBMITTED and plan.milestones.count() == 1
    with pytest.raises(cases.TransitionForbidden):  # the enterprise cannot approve its own plan
        cases.transition(case, "approve_plan", ent_user_a, {})
    case = cases.transition(case, "approve_plan", rugao, {})
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED and plan.reviewed_by == rugao
    case = cases.transition(
        case, "report_progress", ent_user_a, {"progress": "风机已订货"}, files=[_photo()]
    )
    case = cases.transition(
        case,
        "request_verification",
        ent_user_a,
        {"completion_report": "已完成"},
        files=[_photo("done.jpg")],
    )
    case = cases.transition(
        case,
        "fail_verification",
        rugao,
        {"verification_report": "仍有泄漏", "reason": "集气罩破损"},
    )
    assert case.state == "rectifying"
    case = cases.transition(
        case,
        "report_progress",
        rugao,
        {"progress": "县局督促修复集气罩"},
        files=[_photo("visit.jpg")],
    )  # rugao now handled the case
    case = cases.transition(
        case,
        "request_verification",
        ent_user_a,
        {"completion_report": "集气罩已修复"},
        files=[_photo("fixed.jpg")],
    )
    with pytest.raises(cases.TransitionRefused) as err:
        cases.transition(
            case,
            "pass_verification",
            rugao,
            {"verification_report": "合格"},
            files=[_photo("c.jpg")],
        )
    assert err.value.decision.reason_code == "sign_off_by_handler"
    inspector = make_user("rugao_inspector", "county", region="320682")
    case = cases.transition(
        case,
        "pass_verification",
        inspector,
        {"verification_report": "合格"},
        files=[_photo("check.jpg")],
    )
    assert case.state == "verified"
    case = cases.transition(case, "sign_off", office2, {"document": "通环销〔2025〕1号"})
    assert case.state == "signed_off" and case.state_group == "fixed"
    assert str(ent_user_a.pk) in case.handlers and str(office2.pk) not in case.handlers


def test_recurrence_within_n_months_warns(ent_a, ent_b, office) -> None:
    first = _problem(ent_a, office, found_on=timezone.localdate() - dt.timedelta(days=100))
    again = _problem(ent_a, office)
    assert (
        again.recurrence_of_id == first.case_id and "Recurrence" in again.recurrence_warning
    ) or again.recurrence_of_id == first.case_id
    assert again.case.links.filter(kind="recurrence_of", target_case=first.case).exists()
    other_category = _problem(ent_a, office, category="water.industrial_wastewater")
    other_enterprise = _problem(ent_b, office)
    long_ago = _problem(
        ent_b,
        office,
        category="noise.industrial",
        found_on=timezone.localdate() - dt.timedelta(days=500),
    )
    later = _problem(ent_b, office, category="noise.industrial")
    assert not other_category.recurrence_warning and not other_enterprise.recurrence_warning
    assert not later.recurrence_warning and long_ago.pk  # 500 days > 12 months


def test_bad_milestones_are_named(ent_a, ent_user_a, office) -> None:
    case = cases.transition(
        _problem(ent_a, office).case,
        "assign",
        office,
        {
            "assignee": "county:320682",
            "deadline": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
        },
    )
    with pytest.raises(Exception) as err:
        cases.transition(
            case,
            "submit_plan",
            ent_user_a,
            {
                "plan": "x",
                "responsible_person": "y",
                "milestones": "2025-01-01 ok\nnext week 买风机",
            },
        )
    assert "line 2" in str(err.value)


def test_exports_and_pages(ent_a, office, rugao, haian) -> None:
    from openpyxl import load_workbook

    problem = _problem(ent_a, office)
    client = Client()
    client.force_login(office)
    for url, first_header in (
        ("/rectification/problems.xlsx", "编号"),
        ("/rectification/ledger.xlsx", "编号"),
    ):
        rows = list(
            load_workbook(io.BytesIO(client.get(url).content)).active.iter_rows(values_only=True)
        )
        assert rows[0][0] == first_header and rows[1][0] == problem.case.number
    other = Client()
    other.force_login(haian)
    rows = list(
        load_workbook(
            io.BytesIO(other.get("/rectification/problems.xlsx").content)
        ).active.iter_rows(values_only=True)
    )
    assert len(rows) == 1  # Haian sees no Rugao problem
    assert client.get("/rectification/").status_code == 200
    assert problem.case.number in client.get(f"/api/problems/{problem.case_id}").json()["number"]
    assert other.get(f"/api/problems/{problem.case_id}").status_code == 404


def test_demo_data_is_flagged_illustrative() -> None:
    from coact.complaints import setup as complaint_setup
    from coact.complaints.models import Complaint
    from coact.rectification import setup as rectification_setup

    assert complaint_setup.load_demo_data() == "4 illustrative complaints"
    assert rectification_setup.load_demo_data() == "1 illustrative problem"
    assert complaint_setup.load_demo_data() == "already present"
    assert all(c.illustrative and c.case.illustrative for c in Complaint.objects.all())
    assert Problem.objects.get().case.subject_enterprise.illustrative
    assert Complaint.objects.filter(is_repeat=True).exists()  # the two alike complaints
