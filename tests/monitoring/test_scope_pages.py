"""Scope: an enterprise sees only its own outlets, values and alarms; a county its area; a
receiving plant only the outlets it subscribes to. Pages and API render for each role."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.conftest import make_user
from tests.monitoring.conftest import local_hour, packet


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_enterprise_sees_only_its_own(
    pipeline: Any, outlet_a: Any, outlet_b: Any, user_a: Any
) -> None:
    from coact.monitoring.models import Alarm, Outlet, RawPacket, Reading

    pipeline.send(
        packet("MNA000000000000000000001", "2061", local_hour(1), {"a21026": 90.0, "a19001": 8.0})
    )
    pipeline.send(
        packet("MNB000000000000000000001", "2061", local_hour(1), {"a21026": 90.0, "a19001": 8.0})
    )
    assert list(Outlet.objects.visible_to(user_a)) == [outlet_a]
    assert set(Reading.objects.visible_to(user_a).values_list("outlet_id", flat=True)) == {
        outlet_a.pk
    }
    assert set(Alarm.objects.visible_to(user_a).values_list("outlet_id", flat=True)) == {
        outlet_a.pk
    }
    assert set(RawPacket.objects.visible_to(user_a).values_list("outlet_id", flat=True)) == {
        outlet_a.pk
    }
    client = client_for(user_a)
    assert client.get(f"/monitoring/outlets/{outlet_b.pk}/").status_code == 404
    assert client.get(f"/api/monitoring/outlets/{outlet_b.pk}/readings").status_code == 404
    assert (
        client.get(f"/api/monitoring/outlets/{outlet_a.pk}/readings").json()[0]["values"]["a21026"][
            "Avg"
        ]
        == 90.0
    )
    codes = {(o["enterprise"], o["code"]) for o in client.get("/api/monitoring/outlets").json()}
    assert codes == {("Enterprise A (Rugao)", "DA001")}
    alarms = client.get("/api/monitoring/alarms").json()
    assert alarms and {a["outlet"] for a in alarms} == {outlet_a.pk}
    assert client.get("/monitoring/quarantine/").status_code == 403
    page = client.get("/monitoring/alarms/").content.decode()
    assert "Enterprise A" in page and "Enterprise B" not in page


def test_county_scope_and_anonymous(
    pipeline: Any, outlet_a: Any, outlet_b: Any, rugao: Any
) -> None:
    from coact.monitoring.models import Outlet

    assert list(Outlet.objects.visible_to(rugao)) == [outlet_a]
    client = client_for(rugao)
    assert client.get(f"/monitoring/outlets/{outlet_b.pk}/").status_code == 404
    assert client.get(f"/monitoring/outlets/{outlet_a.pk}/").status_code == 200
    anonymous = Client()
    assert anonymous.get("/api/monitoring/outlets").status_code == 401
    assert anonymous.get("/monitoring/").status_code == 302  # to the login page
    assert "city" in anonymous.get("/api/monitoring/coverage").json()


def test_plant_reads_only_subscribed_outlets(pipeline: Any, ent_a: Any, outlet_a: Any) -> None:
    from coact.monitoring import services
    from tests.monitoring.conftest import make_enterprise, make_outlet

    plant = make_enterprise(778, "320682", "Sewage plant")
    sewer = make_outlet(ent_a, "DW001", "MNW000000000000000000002", medium="water")
    make_outlet(ent_a, "DW002", "MNW000000000000000000003", medium="water")
    services.subscribe(plant, sewer)
    pipeline.handler.directory = services.device_directory().get
    pipeline.send(packet("MNW000000000000000000002", "2061", local_hour(1), {"w01018": 40.0}))
    plant_user = make_user("plant", "enterprise", enterprise=plant)
    client = client_for(plant_user)
    shared = client.get("/api/monitoring/shared/outlets").json()
    assert [o["code"] for o in shared] == ["DW001"]
    readings = client.get(f"/api/monitoring/shared/outlets/{sewer.pk}/readings").json()
    assert readings[0]["values"]["w01018"]["Avg"] == 40.0
    assert client.get(f"/api/monitoring/shared/outlets/{outlet_a.pk}/readings").status_code == 404
    # The plant is not the discharger: the ordinary outlet API shows it nothing.
    assert client.get("/api/monitoring/outlets").json() == []


def test_pages_render_for_the_office(pipeline: Any, outlet_a: Any, office: Any) -> None:
    for n in range(3, 0, -1):
        pipeline.send(
            packet(
                "MNA000000000000000000001",
                "2061",
                local_hour(n),
                {"a21026": 30.0 + n, "a19001": 8.0},
                qn=f"209901010000000{n:02d}",
            )
        )
    pipeline.send(packet("NOBODY000000000000000009", "2011", local_hour(0), {"a21026": 1.0}))
    client = client_for(office)
    page = client.get("/monitoring/").content.decode()
    assert 'data-outlet="DA001"' in page and "echart" in page
    detail = client.get(f"/monitoring/outlets/{outlet_a.pk}/").content.decode()
    assert 'data-factor="a21026"' in detail and "GB 13223-2011" in detail
    assert "NOBODY000000000000000009" in client.get("/monitoring/quarantine/").content.decode()
    assert client.get("/monitoring/alarms/").status_code == 200
    assert client.get("/api/monitoring/statistics").status_code == 200
    rows = client.get("/monitoring/?region=320685", HTTP_HX_REQUEST="true").content.decode()
    assert "Enterprise B" in rows and "Enterprise A" not in rows
