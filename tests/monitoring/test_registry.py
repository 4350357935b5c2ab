"""The outlet and device registry import (services.import_registry, the page and the API):
creates outlets and data loggers the gateway then accepts, is idempotent, all or nothing with
every error named by file, row and column, scoped to the importer's county, never shows
secrets."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

KEY = "0123456789abcdef0123456789abcdef"  # 32 hex digits (HJ 212-2025 §6.4 SM4 key)
PASSWORD = "S3cretPW9"
HEADER = (
    "uscc,outlet_code,outlet_name,medium,standard,lon,lat,rule_set,reference_o2,"
    "mn,password,edition,tolerances,sm4_key"
)


def sheet(ent: Any, *extra_rows: str) -> bytes:
    """Two outlets of ``ent``: an air outlet with two loggers (one HJ 212-2025 with a key) and a
    water outlet with one (2005, tolerant of swapped CRC bytes)."""
    rows = [
        f"{ent.uscc},DA001,1号锅炉排放口,air,GB13223-2011-special-coal,120.86,32.01,,,"
        f"MNREG0000000000000000001,{PASSWORD},2025,,{KEY}",
        f"{ent.uscc},DA001,1号锅炉排放口,air,GB13223-2011-special-coal,120.86,32.01,,,"
        f"MNREG0000000000000000002,{PASSWORD},2017,,",
        f"{ent.uscc},DW001,总排口,废水,GB18918-2002-1A,,,,,"
        f"MNREG0000000000000000003,654321,2005,swapped-crc,",
        *extra_rows,
    ]
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def counts() -> tuple[int, int, int, int]:
    from auditlog.models import LogEntry

    from coact.monitoring.models import Device, Limit, Outlet

    return (
        Outlet.objects.count(),
        Device.objects.count(),
        Limit.objects.count(),
        LogEntry.objects.count(),
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_import_creates_outlets_devices_and_the_gateway_directory(office: Any, ent_a: Any) -> None:
    from coact.monitoring import services
    from coact.monitoring.models import Device, Outlet

    result = services.import_registry(sheet(ent_a), "registry.csv", office)
    assert result.as_dict() == {
        "outlets": {"created": 2, "updated": 0, "unchanged": 0},
        "devices": {"created": 3, "updated": 0, "unchanged": 0},
    }
    air = Outlet.objects.get(enterprise=ent_a, code="DA001")
    water = Outlet.objects.get(enterprise=ent_a, code="DW001")
    assert (air.medium, water.medium) == ("air", "water")  # 废水 read as water
    assert air.reference_o2 == 6  # GB 13223-2011 coal boilers: 6 % O2 (the standard's value)
    assert air.region == ent_a.region and (air.lon, air.lat) == (120.86, 32.01)
    assert air.factors.filter(code="a21026", limits__period="hour").exists()
    directory = services.device_directory()
    keyed = directory["MNREG0000000000000000001"]
    assert keyed.outlet_pk == air.pk and keyed.password == PASSWORD
    assert keyed.decrypt_cp is not None  # the SM4 key was given
    assert directory["MNREG0000000000000000002"].decrypt_cp is None
    assert directory["MNREG0000000000000000003"].tolerance.swapped_crc
    assert Device.objects.get(mn="MNREG0000000000000000003").edition == "2005"


def test_reimport_creates_and_changes_nothing(office: Any, ent_a: Any) -> None:
    from coact.monitoring import services

    services.import_registry(sheet(ent_a), "registry.csv", office)
    before = counts()
    result = services.import_registry(sheet(ent_a), "registry.csv", office)
    assert result.as_dict() == {
        "outlets": {"created": 0, "updated": 0, "unchanged": 2},
        "devices": {"created": 0, "updated": 0, "unchanged": 3},
    }
    assert counts() == before  # no row and no audit entry added


def test_a_changed_sheet_updates_and_is_audited_without_secrets(office: Any, ent_a: Any) -> None:
    from coact.core.audit import history_for
    from coact.monitoring import services
    from coact.monitoring.models import Device, Outlet

    services.import_registry(sheet(ent_a), "registry.csv", office)
    changed = (
        sheet(ent_a)
        .decode()
        .replace("总排口", "污水总排口")
        .replace(f"MNREG0000000000000000002,{PASSWORD}", "MNREG0000000000000000002,NewPw77")
    )
    result = services.import_registry(changed.encode(), "registry-v2.csv", office)
    assert (result.outlets_updated, result.outlets_unchanged) == (1, 1)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    water = Outlet.objects.get(enterprise=ent_a, code="DW001")
    assert water.name == "污水总排口"
    assert history_for(water).first().changes_dict["name"] == ["总排口", "污水总排口"]
    device = Device.objects.get(mn="MNREG0000000000000000002")
    assert device.password == "NewPw77"
    entry = history_for(device).first()
    assert entry.changes_dict == {"password": ["(hidden)", "(changed)"]}
    assert entry.actor == office
    assert "NewPw77" not in str(entry.changes) and PASSWORD not in str(entry.changes)


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        (
            "{uscc},DA002,2号炉,air,GB99999-2030,,,,,MNBAD1,123456,2017,,",
            "standard",
            "GB99999-2030",
        ),
        (
            "{uscc},DA002,2号炉,air,GB13223-2011-special-coal,,,,,MNBAD2,123456,2025,,NOTAKEY",
            "sm4_key",
            "SM4",
        ),
        (
            "91320600MA1Q2B3C4Y,DA002,2号炉,air,GB13223-2011-special-coal,,,,,MNBAD3,123456,,,",
            "uscc",
            "91320600MA1Q2B3C4Y",
        ),
        (
            "{uscc},DA002,2号炉,air,GB13223-2011-special-coal,,,,,MNB000000000000000000001,1,,,",
            "mn",
            "MNB000000000000000000001",
        ),
        (
            "{uscc},DA002,2号炉,air,GB13223-2011-special-coal,,,,,MNBAD5,123456,,wrong-crc,",
            "tolerances",
            "wrong-crc",
        ),
        (
            "{uscc},DA002,2号炉,water,GB13223-2011-special-coal,,,,,MNBAD6,123456,,,",
            "standard",
            "air",
        ),
    ],
    ids=[
        "bad-standard",
        "bad-sm4-key",
        "unknown-uscc",
        "mn-of-another-outlet",
        "bad-tolerance",
        "standard-of-other-medium",
    ],
)
def test_a_malformed_row_names_file_row_column_and_imports_nothing(
    office: Any, ent_a: Any, outlet_b: Any, row: str, column: str, words: str
) -> None:
    from django.utils import translation

    from coact.core.importing import ImportRejected
    from coact.monitoring import services

    before = counts()
    with translation.override("en"), pytest.raises(ImportRejected) as rejected:
        services.import_registry(sheet(ent_a, row.format(uscc=ent_a.uscc)), "bad.csv", office)
    (error,) = rejected.value.errors
    assert (error.file, error.row, error.column) == ("bad.csv", 5, column)  # header = row 1
    assert words in error.message
    assert counts() == before  # the three good rows were not imported either


def test_duplicate_mn_and_inconsistent_outlet_rows(office: Any, ent_a: Any) -> None:
    from coact.core.importing import ImportRejected
    from coact.monitoring import services

    rows = (
        f"{ent_a.uscc},DW001,总排口,water,GB18918-2002-1A,,,,,MNREG0000000000000000003,1,,,",
        f"{ent_a.uscc},DW001,另一个名字,water,GB18918-2002-1A,,,,,MNREG9,1,,,",
    )
    with pytest.raises(ImportRejected) as rejected:
        services.import_registry(sheet(ent_a, *rows), "dup.csv", office)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(5, "mn"), (6, "outlet_name")]


def test_missing_columns_and_wrong_file_type(office: Any) -> None:
    from coact.core.importing import ImportRejected
    from coact.monitoring import services

    with pytest.raises(ImportRejected) as rejected:
        services.import_registry(b"uscc,outlet_code\nX,Y\n", "cols.csv", office)
    assert rejected.value.errors[0].row == 1
    assert "执行标准 (standard)" in rejected.value.errors[0].column
    with pytest.raises(ImportRejected) as rejected:
        services.import_registry(b"\x00\x01", "registry.pdf", office)
    assert rejected.value.errors[0].file == "registry.pdf"


def test_chinese_headers_in_a_gb18030_csv_and_the_xlsx_template(office: Any, ent_a: Any) -> None:
    from openpyxl import load_workbook

    from coact.monitoring import registry, services
    from coact.monitoring.models import Device, Outlet

    text = (
        "统一社会信用代码,排放口编号,排放口名称,介质/类型,执行标准,经度,纬度,"
        "数采仪MN,密码,协议版本,容错,SM4密钥,企业名称\n"
        f"{ent_a.uscc},DA009,焚烧炉排放口,废气,GB18485-2014-msw-incinerator,120.5,32.3,"
        f"MNZH01,112233,HJ 212-2025,,{KEY},不导入的列\n"
    )
    result = services.import_registry(text.encode("gb18030"), "登记表.csv", office)
    assert (result.outlets_created, result.created) == (1, 1)
    outlet = Outlet.objects.get(code="DA009")
    assert outlet.reference_o2 == 11  # GB 18485-2014: 11 % O2
    assert Device.objects.get(mn="MNZH01").edition == "2025"
    # The template: "中文 (key)" headers, one example row, a sheet of allowed values.
    book = load_workbook(io.BytesIO(registry.template()))
    first, allowed = book.worksheets
    headers = [c.value for c in first[1]]
    assert headers[0] == "统一社会信用代码 (uscc)" and "数采仪MN (mn)" in headers
    assert first.cell(row=2, column=1).value == "91320600MA1Q2B3C4Y"
    listed = {c.value for c in allowed["A"]}
    assert {"GB13223-2011-special-coal", "air", "water", "2025", "swapped-crc"} <= listed
    first.cell(row=2, column=1).value = ent_a.uscc  # fill the template's row with a real one
    first.cell(row=2, column=10).value = "MNXLSX01"
    buffer = io.BytesIO()
    book.save(buffer)
    result = services.import_registry(buffer.getvalue(), "template.xlsx", office)
    assert (result.outlets_created, result.created) == (1, 1)
    assert Device.objects.get(mn="MNXLSX01").outlet.code == "DA001"


def test_county_imports_only_its_own_enterprises(
    ent_a: Any, ent_b: Any, outlet_b: Any, rugao: Any
) -> None:
    from django.core.exceptions import PermissionDenied

    from coact.core.importing import ImportRejected
    from coact.monitoring import services

    result = services.import_registry(sheet(ent_a), "rugao.csv", rugao)  # ent_a is in Rugao
    assert result.created == 3
    before = counts()
    other = f"{ent_b.uscc},DA002,海安炉,air,GB13223-2011-special-coal,,,,,MNHAIAN2,1,,,"
    with pytest.raises(ImportRejected) as rejected:
        services.import_registry(sheet(ent_a, other), "rugao.csv", rugao)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(5, "uscc")]
    assert counts() == before
    with pytest.raises(PermissionDenied):  # the service itself refuses, not only the import
        services.update_outlet(outlet_b, {"name": "x"}, by=rugao)


def test_enterprise_user_is_refused_on_page_and_api(user_a: Any, outlet_a: Any, ent_a: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from coact.monitoring import services

    client = client_for(user_a)
    assert client.get("/monitoring/registry/").status_code == 403
    assert client.get("/monitoring/registry/template.xlsx").status_code == 403
    upload = SimpleUploadedFile("r.csv", sheet(ent_a))
    assert client.post("/monitoring/registry/", {"file": upload}).status_code == 403
    upload = SimpleUploadedFile("r.csv", sheet(ent_a))
    assert client.post("/api/monitoring/registry", {"file": upload}).status_code == 403
    assert client.get("/api/monitoring/devices").status_code == 403
    with pytest.raises(PermissionDenied):
        services.import_registry(sheet(ent_a), "r.csv", user_a)


def test_page_and_api_import_and_list_devices_without_secrets(
    office: Any, ent_a: Any, outlet_b: Any, haian: Any
) -> None:
    client = client_for(office)
    page = client.get("/monitoring/registry/")
    assert page.status_code == 200 and b"registry-template" in page.content
    response = client.post(
        "/monitoring/registry/",
        {"file": SimpleUploadedFile("r.csv", sheet(ent_a))},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'id="registry-result"' in html and "MNREG0000000000000000001" in html
    assert PASSWORD not in html and KEY not in html and "123456" not in html
    bad = SimpleUploadedFile("bad.csv", sheet(ent_a, f"{ent_a.uscc},X,x,air,nope,,,,,M,1,,,"))
    html = client.post("/monitoring/registry/", {"file": bad}).content.decode()
    assert 'id="registry-errors"' in html and "bad.csv" in html
    api = client.post(
        "/api/monitoring/registry", {"file": SimpleUploadedFile("r.csv", sheet(ent_a))}
    )
    assert api.status_code == 200
    assert api.json()["devices"] == {"created": 0, "updated": 0, "unchanged": 3}
    bad = SimpleUploadedFile("bad.csv", sheet(ent_a, f"{ent_a.uscc},X,x,air,nope,,,,,M,1,,,"))
    api = client.post("/api/monitoring/registry", {"file": bad})
    assert api.status_code == 400
    assert {k: api.json()["errors"][0][k] for k in ("file", "row", "column")} == {
        "file": "bad.csv",
        "row": 5,
        "column": "standard",
    }
    devices = client.get("/api/monitoring/devices")
    body = devices.content.decode()
    assert PASSWORD not in body and KEY not in body and "123456" not in body
    by_mn = {d["mn"]: d for d in devices.json()}
    assert by_mn["MNREG0000000000000000001"]["sm4_key_set"] is True
    assert by_mn["MNREG0000000000000000002"]["sm4_key_set"] is False
    assert not any("password" in d or "sm4_key" in d for d in devices.json())
    # Haian's county user sees only Haian's logger (outlet_b), in the list and the API.
    assert [d["mn"] for d in client_for(haian).get("/api/monitoring/devices").json()] == [
        "MNB000000000000000000001"
    ]
    assert b"MNREG" not in client_for(haian).get("/monitoring/registry/").content


def test_department_sees_but_may_not_import_and_quarantine_links_the_registry(
    eco: Any, office: Any, ent_a: Any
) -> None:
    client = client_for(eco)
    page = client.get("/monitoring/registry/")
    assert page.status_code == 200 and b'enctype="multipart/form-data"' not in page.content
    upload = SimpleUploadedFile("r.csv", sheet(ent_a))
    assert client.post("/monitoring/registry/", {"file": upload}).status_code == 403
    quarantine = client_for(office).get("/monitoring/quarantine/").content.decode()
    assert 'id="quarantine-registry-link"' in quarantine and "/monitoring/registry/" in quarantine
