"""Reporting, approval, correction, status override and task reports, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from coact.plan import services
from coact.plan.models import Indicator, Observation, Task
from tests.conftest import foreign_indicator

pytestmark = pytest.mark.django_db


def _value(value: float, year: int = 2024) -> services.ObservationInput:
    return services.ObservationInput(
        value=value,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        source="统计年报",
    )


def _own_indicator(code: str) -> Indicator:
    return (
        Indicator.objects.filter(responsible__code=code, reporting="reported")
        .order_by("code")
        .first()
    )


def test_plan_loaded_whole(plan) -> None:
    assert plan.goals.count() == 5
    assert plan.tasks.count() == 30
    assert all(t.lead.exists() for t in plan.tasks.all())
    assert plan.indicators.count() >= 50


def test_submit_then_approve_changes_status(eco, office) -> None:
    indicator = _own_indicator("ecology")
    assert indicator.status == "no_data"
    obs = services.record_observation(indicator, _value(indicator.target or 1), by=eco)
    assert obs.state == "submitted"
    indicator.refresh_from_db()
    assert indicator.status == "no_data"  # not counted before approval
    services.approve_observation(obs, office)
    indicator.refresh_from_db()
    assert indicator.status != "no_data"
    assert LogEntry.objects.get_for_object(obs).count() >= 2  # created, then approved


def test_reporter_cannot_approve_or_report_outside_scope(eco, traffic) -> None:
    theirs = foreign_indicator(eco, "transport")
    with pytest.raises(PermissionDenied):
        services.record_observation(theirs, _value(1), by=eco)
    obs = services.record_observation(theirs, _value(1), by=traffic)
    with pytest.raises(PermissionDenied):
        services.approve_observation(obs, traffic)
    obs.refresh_from_db()
    assert obs.state == "submitted"


def test_second_reviewer_gets_conflict_and_nothing_changes(eco, office) -> None:
    indicator = _own_indicator("ecology")
    obs = services.record_observation(indicator, _value(5), by=eco)
    stale = Observation.objects.get(pk=obs.pk)
    services.approve_observation(obs, office)
    with pytest.raises(services.Conflict):
        services.reject_observation(stale, office, "too late")
    obs.refresh_from_db()
    assert obs.state == "approved"


def test_correction_supersedes_never_overwrites(eco, office) -> None:
    indicator = _own_indicator("ecology")
    first = services.record_observation(indicator, _value(10), by=eco)
    services.approve_observation(first, office)
    second = services.record_observation(indicator, _value(12), by=eco)
    services.approve_observation(second, office)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.value) == ("superseded", 10)
    assert second.supersedes_id == first.pk


def test_bad_values_are_refused_with_the_field(eco) -> None:
    indicator = _own_indicator("ecology")
    bad = services.ObservationInput(
        value=1, period_start=dt.date(2024, 12, 31), period_end=dt.date(2024, 1, 1), source=""
    )
    with pytest.raises(ValidationError) as info:
        services.record_observation(indicator, bad, by=eco)
    assert {"period_end", "source"} <= set(info.value.message_dict)
    assert not Observation.objects.filter(indicator=indicator).exists()


def test_override_records_who_and_why(office, eco) -> None:
    indicator = _own_indicator("ecology")
    with pytest.raises(PermissionDenied):
        services.set_override(indicator, "at_risk", "x", eco)
    services.set_override(indicator, "at_risk", "field check found under-reporting", office)
    indicator.refresh_from_db()
    assert indicator.status == "at_risk"
    assert indicator.status_detail["override"]["reason"] == "field check found under-reporting"
    services.clear_override(indicator, office)
    indicator.refresh_from_db()
    assert indicator.status == indicator.status_detail["computed"]


def test_task_report_revision_conflict_and_approval_lock(eco, office) -> None:
    task = Task.objects.visible_to(eco).first()
    data = services.TaskReportInput(year=2025, quarter=2, narrative="推进中", percent_done=40)
    report = services.submit_task_report(task, data, by=eco)
    assert report.version == 1
    with pytest.raises(services.Conflict):
        services.submit_task_report(task, data, by=eco, expected_version=0)
    services.review_task_report(report, office, approve=True)
    with pytest.raises(services.Conflict):
        services.submit_task_report(task, data, by=eco)


def test_county_reports_only_for_its_own_area(rugao) -> None:
    indicator = Indicator.objects.filter(reporting="reported").first()
    obs = services.record_observation(indicator, _value(3), by=rugao)
    assert obs.region.code == "320682"
    with pytest.raises(PermissionDenied):
        services.record_observation(
            indicator,
            services.ObservationInput(
                value=3,
                period_start=dt.date(2024, 1, 1),
                period_end=dt.date(2024, 12, 31),
                source="x",
                region_code="320685",
            ),
            by=rugao,
        )
