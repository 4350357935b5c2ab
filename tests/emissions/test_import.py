"""The activity-data template: download, fill, upload (all or nothing), errors named by row."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from coact.emissions import engine, services
from coact.emissions.models import Inventory
from coact.emissions.workbooks import SHEET

pytestmark = pytest.mark.django_db


def _filled(rows: list[dict[str, str]], download: bytes) -> bytes:
    wb = load_workbook(io.BytesIO(download))
    ws = wb[SHEET]
    keys = [cell.value.rsplit("(", 1)[1].rstrip(")") for cell in ws[1]]
    for row in rows:
        ws.append([row.get(k, "") for k in keys])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _demo_rows(n: int) -> list[dict[str, str]]:
    rows = engine.shipped_document("demo")["sources"][:n]
    return [{**r, "illustrative": "false"} for r in rows]


def test_template_round_trip(eco) -> None:
    client = Client()
    client.force_login(eco)
    template = client.get("/emissions/inventories/?template=1")
    assert template.status_code == 200
    content = _filled(_demo_rows(12), template.content)
    response = client.post(
        "/api/emissions/inventories/import",
        {"file": SimpleUploadedFile("sources.xlsx", content), "name": "power plants 2020"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["sources"] == 12
    inventory = Inventory.objects.get(name="power plants 2020")
    assert inventory.rows[0]["source_id"] == "PWR-COAL-01"
    assert inventory.rows[0]["activity"] == "60000"  # read back exactly as written
    scenario = services.create_scenario(eco, "from my inventory", inventory=inventory)
    assert scenario.illustrative is False  # rows marked illustrative=false
    results = services.run_scenario(scenario, eco).results
    assert results["totals"]["SO2"][0] > 0


def test_bad_rows_are_named_and_nothing_is_stored(eco) -> None:
    client = Client()
    client.force_login(eco)
    template = client.get("/api/emissions/inventories/template").content
    rows = _demo_rows(3)
    rows[1]["activity"] = "lots"  # Excel row 3
    rows[2]["profile"] = "no_such_profile"  # Excel row 4
    content = _filled(rows, template)
    api = client.post(
        "/api/emissions/inventories/import", {"file": SimpleUploadedFile("bad.xlsx", content)}
    )
    assert api.status_code == 400
    errors = api.json()["errors"]
    named = {(e["file"], e["sheet"], e["row"], e["column"]) for e in errors}
    assert ("bad.xlsx", SHEET, 3, "activity") in named
    assert ("bad.xlsx", SHEET, 4, "profile") in named
    page = client.post(
        "/emissions/inventories/",
        {"file": SimpleUploadedFile("bad.xlsx", content), "name": "bad"},
    )
    html = page.content.decode()
    assert 'id="import-errors"' in html and "lots" in html and "no_such_profile" in html
    assert Inventory.objects.count() == 0


def test_unit_mismatch_is_named_by_row(eco) -> None:
    client = Client()
    client.force_login(eco)
    template = client.get("/api/emissions/inventories/template").content
    rows = _demo_rows(2)
    rows[1]["activity_unit"] = "m"  # a length: TJ-based factors cannot apply, Excel row 3
    api = client.post(
        "/api/emissions/inventories/import",
        {"file": SimpleUploadedFile("units.xlsx", _filled(rows, template))},
    )
    assert api.status_code == 400
    error = api.json()["errors"][0]
    assert error["row"] == 3 and error["column"] == "activity_unit"


def test_import_is_for_editors_only(traffic) -> None:
    client = Client()
    client.force_login(traffic)
    assert client.get("/emissions/inventories/").status_code == 403
    response = client.post(
        "/api/emissions/inventories/import", {"file": SimpleUploadedFile("x.xlsx", b"not excel")}
    )
    assert response.status_code == 403
