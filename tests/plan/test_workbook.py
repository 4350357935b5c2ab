"""Reporting workbooks: own scope only, all-or-nothing uploads naming sheet, row and column."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from coact.core.importing import ImportRejected
from coact.plan import workbooks
from coact.plan.models import Indicator, Observation, TaskReport
from tests.conftest import foreign_indicator

pytestmark = pytest.mark.django_db


def _fill(
    content: bytes, rows: dict[int, dict[str, object]], sheet: str = workbooks.INDICATOR_SHEET
) -> bytes:
    wb = load_workbook(io.BytesIO(content))
    ws = wb[sheet]
    header = {str(c.value).rsplit("(", 1)[1].rstrip(")"): c.column for c in ws[1]}
    for row, values in rows.items():
        for key, value in values.items():
            ws.cell(row=row, column=header[key], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_workbook_lists_only_own_indicators(eco, plan) -> None:
    wb = load_workbook(io.BytesIO(workbooks.unit_workbook(eco, plan, 2025, 2)))
    codes = {r[0] for r in wb[workbooks.INDICATOR_SHEET].iter_rows(min_row=2, values_only=True)}
    own = set(
        Indicator.objects.visible_to(eco)
        .filter(plan=plan, reporting="reported")
        .values_list("code", flat=True)
    )
    assert codes == own
    assert codes != set(
        Indicator.objects.filter(reporting="reported").values_list("code", flat=True)
    )


def test_good_upload_imports_values_and_reports(eco, plan) -> None:
    content = workbooks.unit_workbook(eco, plan, 2025, 2)
    content = _fill(content, {2: {"value": 42.5, "source": "季度统计"}})
    content = _fill(
        content, {2: {"percent_done": 60, "narrative": "已完成部署"}}, workbooks.TASK_SHEET
    )
    result = workbooks.import_unit_workbook(content, "eco.xlsx", eco, plan)
    assert result.created == 2
    assert Observation.objects.filter(value=42.5, state="submitted").count() == 1
    assert TaskReport.objects.filter(percent_done=60, department__code="ecology").count() == 1


def test_one_bad_row_imports_nothing_and_names_the_cell(eco, plan) -> None:
    content = workbooks.unit_workbook(eco, plan, 2025, 2)
    content = _fill(content, {2: {"value": 1, "source": "ok"}, 3: {"value": "abc", "source": "ok"}})
    content = _fill(content, {2: {"percent_done": 140, "narrative": "x"}}, workbooks.TASK_SHEET)
    with pytest.raises(ImportRejected) as info:
        workbooks.import_unit_workbook(content, "eco.xlsx", eco, plan)
    found = {(e.sheet, e.row, e.column) for e in info.value.errors}
    assert (workbooks.INDICATOR_SHEET, 3, "value") in found
    assert (workbooks.TASK_SHEET, 2, "percent_done") in found
    assert not Observation.objects.exists()
    assert not TaskReport.objects.exists()


def test_foreign_indicator_row_is_refused(eco, traffic, plan) -> None:
    foreign = foreign_indicator(eco, "transport")
    content = workbooks.unit_workbook(traffic, plan, 2025, 2)
    codes = [
        r[0]
        for r in load_workbook(io.BytesIO(content))[workbooks.INDICATOR_SHEET].iter_rows(
            min_row=2, values_only=True
        )
    ]
    content = _fill(content, {codes.index(foreign.code) + 2: {"value": 3, "source": "x"}})
    with pytest.raises(ImportRejected) as info:
        workbooks.import_unit_workbook(content, "traffic.xlsx", eco, plan)
    assert info.value.errors[0].column == "indicator_code"


def test_not_an_excel_file_is_a_clear_error(eco) -> None:
    client = Client()
    client.force_login(eco)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/api/plans/nantong-2023-2025/workbook",
        {"file": SimpleUploadedFile("x.xlsx", b"not a zip")},
    )
    assert response.status_code == 400
    assert "not an Excel" in response.json()["errors"][0]["message"]
    page = client.post("/plan/workbook/", {"file": SimpleUploadedFile("x.xlsx", b"nope")})
    assert "not an Excel" in page.content.decode()


def test_board_export_has_every_visible_indicator(office, plan) -> None:
    wb = load_workbook(io.BytesIO(workbooks.board_workbook(plan, office)))
    assert wb.worksheets[0].max_row - 1 == plan.indicators.count()
    assert wb.worksheets[1].max_row - 1 == 30
