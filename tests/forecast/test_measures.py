"""Emergency measures: scope by role, who may edit, Excel import with row-level errors."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.conftest import make_user
from tests.forecast.conftest import day, enterprise


@pytest.fixture
def two_lists(db: Any) -> dict[str, Any]:
    from coact.forecast import services

    rugao_ent = enterprise("如皋测试化工", "320682", "1A2B3C4")
    haian_ent = enterprise("海安测试涂装", "320685", "5D6E7F8")
    measures = {}
    for name, ent in (("rugao", rugao_ent), ("haian", haian_ent)):
        measures[name] = services.save_measure(
            services.MeasureInput(ent, "yellow", f"{name} 错峰生产", 1.0, 10.0, day(0)), by=None
        )
    return {"rugao_ent": rugao_ent, "haian_ent": haian_ent, **measures}


def _visible(user: Any) -> set[int]:
    from coact.forecast.models import EmergencyMeasure

    return set(EmergencyMeasure.objects.visible_to(user).values_list("pk", flat=True))


def test_scope_of_measures(
    two_lists: dict[str, Any], office: Any, eco: Any, traffic: Any, rugao: Any
) -> None:
    both = {two_lists["rugao"].pk, two_lists["haian"].pk}
    ent_user = make_user("ent1", "enterprise", enterprise=two_lists["rugao_ent"])
    assert _visible(office) == both
    assert _visible(eco) == both  # the supervising department
    assert _visible(traffic) == set()
    assert _visible(rugao) == {two_lists["rugao"].pk}  # the county's enterprises
    assert _visible(ent_user) == {two_lists["rugao"].pk}  # its own list only


def test_who_may_edit(two_lists: dict[str, Any], eco: Any, rugao: Any, client: Any) -> None:
    from coact.forecast import services

    ent_user = make_user("ent1", "enterprise", enterprise=two_lists["rugao_ent"])
    data = services.MeasureInput(two_lists["rugao_ent"], "red", "停产", 3.0, 40.0, day(0))
    for user in (rugao, ent_user):
        with pytest.raises(PermissionDenied):
            services.save_measure(data, by=user)
    assert services.save_measure(data, by=eco).level == "red"
    # Another enterprise's measure is a 404 for an enterprise user, not a 403.
    client.force_login(ent_user)
    assert client.get(f"/forecast/measures/{two_lists['haian'].pk}/").status_code == 404
    page = client.get("/forecast/measures/")
    assert page.status_code == 200
    assert "rugao 错峰生产" in page.content.decode() and "haian" not in page.content.decode()
    assert client.post("/forecast/measures/", {"measure": "x"}).status_code == 403


def _workbook(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "uscc",
            "level",
            "measure",
            "nox_kg_day",
            "vocs_kg_day",
            "valid_from",
            "valid_to",
            "source",
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_excel_import_all_or_nothing(two_lists: dict[str, Any], eco: Any) -> None:
    from coact.core.importing import ImportRejected
    from coact.forecast import services
    from coact.forecast.models import EmergencyMeasure

    code = two_lists["rugao_ent"].uscc
    before = EmergencyMeasure.objects.count()
    bad = _workbook(
        [
            [code, "橙色", "限产 50%", 4, 60, "2024-05-01", None, "企业清单"],
            [code, "purple", "x", 1, 1, "2024-05-01", None, ""],
            ["91320000XXXXXXXXXX", "red", "停产", 1, 1, "2024-05-01", None, ""],
            [code, "red", "停产", -1, 1, "2024-05-01", None, ""],
        ]
    )
    with pytest.raises(ImportRejected) as rejected:
        services.import_measures(bad, "list.xlsx", by=eco)
    named = {(e.row, e.column) for e in rejected.value.errors}
    assert named == {(3, "level"), (4, "uscc"), (5, "nox_kg_day")}
    assert EmergencyMeasure.objects.count() == before  # nothing stored
    good = _workbook([[code, "橙色", "限产 50%", 4, 60, "2024-05-01", None, "企业清单"]])
    result = services.import_measures(good, "list.xlsx", by=eco)
    assert (result.created, result.updated) == (1, 0)
    assert services.import_measures(good, "list.xlsx", by=eco).updated == 1  # idempotent
    stored = EmergencyMeasure.objects.get(measure="限产 50%")
    assert (stored.level, stored.nox_kg_day, stored.vocs_kg_day) == ("orange", 4.0, 60.0)
