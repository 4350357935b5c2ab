"""Complaints: intake and routing, 12345 imports, contact privacy, follow-ups, Open311."""

from __future__ import annotations

import datetime as dt
import io
import json
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from coact.cases import services as cases
from coact.complaints import queries, services
from coact.complaints.models import Complaint, FollowUp
from coact.core.importing import ImportRejected
from coact.core.models import Notification

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PHONE = "13900001234"


def _file(**kw):
    data = {
        "description": "化工厂夜间排放刺鼻异味",
        "category": "air.odour",
        "address": "如皋市长江镇港城路8号",
        "reporter_name": "王先生",
        "reporter_phone": PHONE,
    }
    data.update(kw)
    return services.file_complaint(services.ComplaintInput(**data))


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- routing and intake ----------------------------------------------------------------


def test_routing_by_address_name_then_by_nearest_centre() -> None:
    assert services.route_region("江苏省如皋市长江镇").code == "320682"
    assert services.route_region("海安城东镇").code == "320685"  # short name without 市
    # No name in the address: Haian's centre (120.47, 32.53) is the nearest to (120.46, 32.55).
    assert services.route_region("某路1号", 120.46, 32.55).code == "320685"
    assert services.route_department("noise.social_life").code == "police"
    assert services.route_department("air.odour").code == "ecology"  # group route


def test_filing_routes_plans_four_visits_and_keeps_the_code_secret() -> None:
    complaint, code = _file()
    case = complaint.case
    assert case.region.code == "320682" and case.responsible_department.code == "ecology"
    assert case.state == "received" and case.source == "online"
    assert complaint.access_code_hash != code and len(code) == 10
    assert [f.seq for f in complaint.follow_ups.all()] == [1, 2, 3, 4]
    assert services.find_for_public(case.number, code.lower()) == complaint
    assert services.find_for_public(case.number, "WRONGCODE1") is None


def test_anonymous_complaint_keeps_no_contact() -> None:
    complaint, _code = _file(anonymous=True, reporter_phone="")
    assert complaint.anonymous and complaint.reporter_phone == "" and complaint.reporter_name == ""


# --- duplicates ------------------------------------------------------------------------


def test_similar_complaint_is_flagged_and_merged_in_one_click(office) -> None:
    first, _ = _file()
    second, _ = _file(description="化工厂夜间排放异味刺鼻", address="如皋市长江镇港城路8号附近")
    assert second.is_repeat and second.repeat_of_id == first.case_id
    matches = services.duplicates_for(second)
    assert matches and matches[0][0] == first and "similar_text" in matches[0][1].reasons
    response = _client(office).post(f"/complaints/{first.case_id}/merge/", {"duplicate": second.pk})
    assert response.status_code == 302
    second.case.refresh_from_db()
    assert second.case.state == "duplicate" and second.case.master_id == first.case_id


# --- 12345 files -----------------------------------------------------------------------

HEADER = "工单编号,受理时间,诉求内容,诉求类别,紧急程度,事发地址,经度,纬度,诉求人,联系电话\n"
GOOD = (
    HEADER + "NT20251009001,2025-10-09 09:12,工地夜间施工噪声,建筑施工噪声,一般,"
    "崇川区工农路100号,,,李女士,13800000001\n"
    "NT20251009002,2025/10/09 10:30,河道发黑发臭,water.black_odorous_water,紧急,"
    "海安市城东镇,120.47,32.53,,\n"
)


def test_reimporting_a_12345_file_creates_nothing_new(office) -> None:
    first = services.import_hotline_file(GOOD.encode(), "12345-20251009.csv", office)
    assert (first.created, first.unchanged) == (2, 0)
    again = services.import_hotline_file(GOOD.encode(), "12345-20251009.csv", office)
    assert (again.created, again.unchanged) == (0, 2)
    assert Complaint.objects.filter(hotline_order_no__startswith="NT2025").count() == 2
    urgent = Complaint.objects.get(hotline_order_no="NT20251009002")
    # 12345 + urgent: the same working day (Thu 2025-10-09), kept order number, routed to Haian.
    assert urgent.case.sla_rule == "complaint.12345.urgent" and urgent.case.region.code == "320685"
    assert urgent.case.due_at.astimezone(SH) == dt.datetime(2025, 10, 9, 23, 59, 59, tzinfo=SH)
    assert urgent.anonymous  # no phone given


def test_a_malformed_row_names_file_row_and_column_and_imports_nothing(office) -> None:
    bad = GOOD + "NT20251009003,2025-13-40 09:00,异味,异味臭气,一般,如皋市,,,,\n"
    before = Complaint.objects.count()
    with pytest.raises(ImportRejected) as err:
        services.import_hotline_file(bad.encode(), "12345-bad.csv", office)
    errors = err.value.errors
    assert [(e.file, e.row, e.column) for e in errors] == [("12345-bad.csv", 4, "受理时间")]
    assert Complaint.objects.count() == before  # the two good rows were not imported either


def test_xlsx_import_and_a_missing_column(office) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["工单编号", "受理时间", "诉求内容", "诉求类别"])
    book.active.append(["NTX1", dt.datetime(2025, 10, 10, 8, 0), "垃圾焚烧冒黑烟", "露天焚烧"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = services.import_hotline_file(buffer.getvalue(), "orders.xlsx", office)
    assert result.created == 1
    with pytest.raises(ImportRejected) as err:
        services.import_hotline_file("工单编号,诉求内容\nA,B\n".encode(), "cols.csv", office)
    assert err.value.errors[0].column == "受理时间, 诉求类别"


def test_import_through_api_and_page(office) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(office)
    response = client.post(
        "/api/complaint-imports", {"file": SimpleUploadedFile("a.csv", GOOD.encode())}
    )
    assert response.status_code == 200 and response.json()["created"] == 2
    bad = SimpleUploadedFile("b.csv", (HEADER + "X1,昨天,异味,异味臭气,,,,,,\n").encode())
    response = client.post("/api/complaint-imports", {"file": bad})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "file": "b.csv",
        "sheet": None,
        "row": 2,
        "column": "受理时间",
        "message": response.json()["errors"][0]["message"],
    }


# --- contact privacy -------------------------------------------------------------------


def test_reporter_contact_is_hidden_without_the_permission(office, rugao) -> None:
    complaint, code = _file()
    case_id = complaint.case_id
    county = _client(rugao)
    assert county.get(f"/api/complaints/{case_id}").json()["reporter"] is None
    page = county.get(f"/cases/{case_id}/").content.decode()
    assert PHONE not in page and "王先生" not in page
    assert PHONE not in county.get("/cases/?case_type=complaint").content.decode()
    assert PHONE not in json.dumps(county.get("/api/cases?case_type=complaint").json())
    assert PHONE in _client(office).get(f"/cases/{case_id}/").content.decode()
    assert _client(office).get(f"/api/complaints/{case_id}").json()["reporter"]["phone"] == PHONE
    rugao.user_permissions.add(Permission.objects.get(codename="view_reporter_contact"))
    rugao = type(rugao).objects.get(pk=rugao.pk)  # fresh permission cache
    assert _client(rugao).get(f"/api/complaints/{case_id}").json()["reporter"]["phone"] == PHONE
    public = Client()
    tracked = public.post(
        "/complaints/track/", {"number": complaint.case.number, "code": code}
    ).content.decode()
    assert complaint.case.number in tracked and PHONE not in tracked
    assert (
        PHONE
        not in public.get(f"/open311/v2/requests/{complaint.case.number}.json").content.decode()
    )
    assert public.get(f"/api/complaints/{case_id}").status_code == 404


# --- follow-ups ------------------------------------------------------------------------


def test_follow_ups_are_scheduled_from_case_events_and_missed_ones_remind(office, rugao) -> None:
    complaint, _ = _file()
    case = cases.transition(complaint.case, "accept", office, {})
    visit1 = complaint.follow_ups.get(seq=1)
    assert visit1.due_at is not None  # accepted + 1 working day
    assert complaint.follow_ups.get(seq=3).due_at is None  # anchor "replied" not yet
    late = visit1.due_at + dt.timedelta(hours=1)
    assert services.remind_missed_follow_ups(late) == 1
    assert Notification.objects.filter(user=office, key=f"followup:{visit1.pk}:missed").exists()
    assert services.remind_missed_follow_ups(late) == 0  # once
    services.record_follow_up(
        visit1, rugao, method="phone", result="已告知受理", satisfaction="satisfied"
    )
    visit1.refresh_from_db()
    assert visit1.done_at and visit1.operator == rugao
    with pytest.raises(cases.Conflict):
        services.record_follow_up(
            visit1, office, method="phone", result="again", satisfaction="satisfied"
        )
    assert case.updates.filter(kind="comment", text__contains="已告知受理").exists()


# --- Open311 ---------------------------------------------------------------------------


def test_open311_services_and_requests() -> None:
    client = Client()
    services_list = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services_list}
    assert "air.odour" in codes and all(s["type"] == "realtime" for s in services_list)
    assert b"<services>" in client.get("/open311/v2/services.xml").content
    created = client.post(
        "/open311/v2/requests.json",
        {
            "service_code": "noise.construction",
            "lat": "32.01",
            "long": "120.86",
            "description": "夜间施工",
            "email": "a@example.org",
        },
    )
    assert created.status_code == 201
    number = created.json()[0]["service_request_id"]
    assert created.json()[0]["access_code"]
    got = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert (
        got["status"] == "open" and got["status_notes"] == "FOR_TRIAGE" and "description" not in got
    )
    assert client.get("/open311/v2/requests.json").json() == []  # the public lists nothing
    bad = client.post(
        "/open311/v2/requests.json",
        {"service_code": "air.nonsense", "lat": "32", "long": "120.9", "description": "x"},
    )
    assert bad.status_code == 400 and "category" in bad.json()[0]["description"]


def test_public_form_and_tracking_page() -> None:
    client = Client()
    response = client.post(
        "/complaints/new/",
        {
            "category": "air.dust",
            "description": "工地扬尘很大",
            "address": "崇川区工农路",
            "anonymous": "on",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    complaint = Complaint.objects.get(case__description="工地扬尘很大")
    assert complaint.case.number in page and complaint.anonymous
    assert complaint.case.region.code == "320613"


# --- statistics, hotspots, reply sheet -------------------------------------------------


def test_monthly_statistics_hotspots_and_reply_sheet(office, eco) -> None:
    from openpyxl import load_workbook

    services.import_hotline_file(GOOD.encode(), "a.csv", office)
    for n in range(3):
        _file(description=f"异味{n}", lon=120.57 + n * 0.0005, lat=32.37, address="")
    stats = queries.monthly_statistics(office, 2025, 10)
    assert stats["total"]["count"] == 2 and {r["key"] for r in stats["by_category"]} == {
        "noise",
        "water",
    }
    spots = queries.hotspots(office)
    assert spots["clusters"] and spots["clusters"][0]["size"] == 3  # 3 points within ~100 m
    book = load_workbook(
        io.BytesIO(queries.reply_sheet(office, dt.date(2025, 10, 1), dt.date(2025, 10, 31)))
    )
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号" and {r[0] for r in rows[1:]} == {
        "NT20251009001",
        "NT20251009002",
    }
    assert _client(office).get("/complaints/?month=2025-10").status_code == 200
    assert FollowUp.objects.exists()
