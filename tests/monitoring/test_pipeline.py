"""Packets through the gateway's handler, batch store and post-commit step: readings,
quarantine, alarms, the alarm case and its closed loop, webhooks, coverage."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import make_user
from tests.monitoring.conftest import local_hour, make_outlet, packet

MN_A = "MNA000000000000000000001"


def test_hourly_values_are_stored_and_answered(pipeline: Any) -> None:
    from coact.monitoring.models import RawPacket, Reading

    hour = local_hour(2)
    items = pipeline.send(packet(MN_A, "2061", hour, {"a21026": 20.0, "a19001": 8.0}))
    assert [i.status for i in items] == ["accepted"]
    reading = Reading.objects.get(kind="hour")
    assert reading.values["a21026"] == {"Avg": 20.0, "Flag": "N"}
    assert reading.data_time == hour.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    raw = RawPacket.objects.get()
    assert (raw.mn, raw.cn, raw.status, raw.peer) == (MN_A, "2061", "accepted", "127.0.0.1:40000")
    assert bytes(raw.data).startswith(b"##") and b"CN=9014" in pipeline.replies[0]
    # A resend of the same hour is archived again but stored once.
    pipeline.send(
        packet(MN_A, "2061", hour, {"a21026": 20.0, "a19001": 8.0}, qn="20990101000000001")
    )
    assert Reading.objects.count() == 1 and RawPacket.objects.count() == 2
    assert not pipeline.alarms  # 20 x (21-6)/(21-8) = 23.1 < 50: compliant


def test_archive_keeps_any_bytes_exactly(pipeline: Any) -> None:
    """Bytes that COPY's text format must escape (tab, newline, backslash, NUL, non-UTF-8)
    come back unchanged from the archive, on SQLite and on PostgreSQL, next to a good packet
    of the same batch."""
    from coact.monitoring.models import RawPacket, Reading

    segment = b"\t\\N\x00\xff\xfe\\x41 \xe6\xb1\xa1"
    bad = b"##%04d" % len(segment) + segment + b"ABCD"  # a frame with a wrong CRC
    good = packet(MN_A, "2061", local_hour(3), {"a21026": 12.0})
    items = pipeline.send(bad + b"\r\n" + good)  # (encode_packet ends with CR LF)
    assert [i.status for i in items] == ["rejected", "accepted"]
    stored = {row.status: bytes(row.data) for row in RawPacket.objects.all()}
    assert stored["rejected"] == bad
    assert stored["accepted"] == good.removesuffix(b"\r\n")
    assert Reading.objects.get().values["a21026"]["Avg"] == 12.0


def test_unknown_mn_and_wrong_password_are_quarantined_and_alarmed(pipeline: Any) -> None:
    from coact.monitoring.models import Alarm, QuarantineEntry, RawPacket, Reading

    hour = local_hour(1)
    pipeline.send(packet("STRANGER0000000000000001", "2061", hour, {"a21026": 5.0}))
    pipeline.send(
        packet("STRANGER0000000000000001", "2061", hour, {"a21026": 5.0}, qn="20990101000000002")
    )
    pipeline.send(packet(MN_A, "2061", hour, {"a21026": 5.0}, pw="000000"))
    assert Reading.objects.count() == 0 and pipeline.replies == []
    unknown = QuarantineEntry.objects.get(reason="unknown_device")
    assert (unknown.mn, unknown.count) == ("STRANGER0000000000000001", 2)
    wrong = QuarantineEntry.objects.get(reason="wrong_password")
    assert wrong.mn == MN_A and wrong.device.mn == MN_A
    assert RawPacket.objects.filter(status="quarantined").count() == 3
    # One alarm per quarantined MN and reason (not one per packet).
    assert sorted(Alarm.objects.values_list("rule", flat=True)) == [
        "unknown_device",
        "wrong_password",
    ]


def test_exceedance_opens_a_case_that_is_answered_and_closed(pipeline: Any, user_a: Any) -> None:
    from coact.cases import services as cases
    from coact.monitoring import services
    from coact.monitoring.models import Alarm

    # 60 mg/m3 SO2 at 9 % O2, reference 6 %: 60 x 15/12 = 75 > 50 (GB 13223-2011 Table 2)
    pipeline.send(packet(MN_A, "2061", local_hour(1), {"a21026": 60.0, "a19001": 9.0}))
    alarm = Alarm.objects.get(rule="exceedance_hour")
    assert (alarm.factor, alarm.value, alarm.limit) == ("a21026", 75.0, 50.0)
    assert alarm.received_at is not None and alarm.case_linked_at >= alarm.received_at
    case = cases.get_visible(make_user("office2", "supervisor"), alarm.case_id_ref)
    assert case.case_type == "monitoring_alarm" and case.state == "dispatched"
    assert case.region.code == "320682" and case.subject_enterprise == user_a.enterprise
    # A second exceeding hour joins the open case instead of opening another.
    pipeline.send(packet(MN_A, "2061", local_hour(2), {"a21026": 70.0, "a19001": 9.0}))
    second = Alarm.objects.filter(rule="exceedance_hour").exclude(pk=alarm.pk).get()
    assert second.case_id_ref == alarm.case_id_ref and second.case_joined
    # The county forwards, the enterprise explains with evidence, the analyst closes.
    county = make_user("rugao_mon", "county", region="320682")
    case = cases.transition(case, "forward", county, {}, case.version)
    evidence = SimpleUploadedFile("maintenance-log.txt", b"desulfuriser pump replaced at 07:40")
    case = cases.transition(
        case,
        "explain",
        user_a,
        {"explanation": "pump failure, repaired"},
        case.version,
        files=[evidence],
    )
    analyst = make_user("eco_mon", "department", department="ecology")
    case = cases.transition(case, "close", analyst, {"conclusion": "repair verified"}, case.version)
    assert case.state == "closed"
    stats = services.alarm_statistics(analyst)
    assert stats["closed"] == 1 and stats["responses"] == 1
    assert {r["rule"] for r in stats["by_rule"]} == {"exceedance_hour"}


def test_impossible_values_and_incinerator_rule(pipeline: Any, ent_a: Any) -> None:
    from coact.monitoring import services
    from coact.monitoring.models import Alarm

    furnace = make_outlet(ent_a, "DA009", "MNF000000000000000000001", rule_set="incinerator")
    services._contexts.clear()
    pipeline.handler.directory = services.device_directory().get
    start = local_hour(1)
    for minute, temp in enumerate([860, 830, 820, 840, 845]):  # mean 839 < 850 degC
        pipeline.send(
            packet(
                "MNF000000000000000000001",
                "2051",
                start + dt.timedelta(minutes=minute),
                {"a01901": temp},
                qn=f"2099010100000{minute:04d}",
            )
        )
    found = Alarm.objects.get(rule="furnace_temperature_low")
    assert found.outlet == furnace and found.value == 839.0
    pipeline.send(packet(MN_A, "2051", start, {"a19001": 23.0}))
    assert Alarm.objects.filter(rule="impossible_value", factor="a19001").exists()


def test_offline_and_flat_line_scan(pipeline: Any, outlet_a: Any) -> None:
    from coact.monitoring import services
    from coact.monitoring.models import Alarm

    for n in range(6, 0, -1):
        pipeline.send(
            packet(
                MN_A,
                "2061",
                local_hour(n),
                {"a21026": 12.5, "a19001": 8.0},
                qn=f"209901010000000{n:02d}",
            )
        )
    counts = services.scan_data_quality()
    assert Alarm.objects.filter(outlet=outlet_a, rule="flat_line", factor="a21026").exists()
    assert counts["flat_line"] >= 1
    # outlet B never sent anything: offline; a second scan raises nothing new.
    assert Alarm.objects.filter(rule="no_data").count() == 1
    services.scan_data_quality()
    assert Alarm.objects.filter(rule="no_data").count() == 1
    assert Alarm.objects.filter(rule="flat_line", factor="a21026").count() == 1


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((body, self.headers.get("X-CoAct-Signature", "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Any:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_plant_subscription_gets_signed_webhook(pipeline: Any, ent_a: Any, receiver: str) -> None:
    from coact.monitoring import services
    from coact.monitoring.models import Delivery
    from tests.monitoring.conftest import make_enterprise

    plant = make_enterprise(777, "320682", "Sewage plant")
    sewer = make_outlet(ent_a, "DW001", "MNW000000000000000000001", medium="water")
    subscription = services.subscribe(plant, sewer, webhook_url=receiver, kinds=["hour"])
    services._contexts.clear()
    pipeline.handler.directory = services.device_directory().get
    pipeline.send(packet("MNW000000000000000000001", "2061", local_hour(1), {"w01018": 35.0}))
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.delivered_at is not None and delivery.attempts == 1
    body, signature = _Receiver.received[0]
    expected = "sha256=" + hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature == expected and services.verify(body, subscription.secret, signature)
    payload = json.loads(body)
    assert payload["readings"][0]["values"]["w01018"]["Avg"] == 35.0
    with pytest.raises(Exception, match="only wastewater"):
        services.subscribe(plant, pipeline_outlet(MN_A))


def pipeline_outlet(mn: str) -> Any:
    from coact.monitoring.models import Device

    return Device.objects.get(mn=mn).outlet


def test_coverage_feeds_the_plan_indicator(pipeline: Any, plan: Any) -> None:
    from coact.monitoring import services
    from coact.plan.models import Observation

    pipeline.send(
        packet(
            MN_A,
            "2011",
            dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None, microsecond=0),
            {"a21026": 10.0},
        )
    )
    data = services.automatic_monitoring_coverage()
    # Enterprise A reports, enterprise B never did: 1 of 2 = 50 %.
    assert (
        data[None]["required"] == 2 and data[None]["covered"] == 1 and data[None]["percent"] == 50.0
    )
    assert data["320682"]["percent"] == 100.0 and data["320685"]["percent"] == 0.0
    assert services.record_coverage() == 1
    obs = Observation.objects.get(computed_by=services.COVERAGE_INDICATOR)
    assert (obs.value, obs.state, obs.indicator.code) == (
        50.0,
        "approved",
        "NT-MON-AUTO-MONITORING",
    )


def test_an_hj212_2025_device_with_its_sm4_key(ent_a: Any) -> None:
    """HJ 212-2025 §6.4: the data area arrives SM4-encrypted; with the device's key registered
    the reading is stored and answered, without it the packet is refused, never stored as data."""
    from coact.engines.hj212.crc import format_crc, hj212_crc16
    from coact.engines.hj212.sm4 import encrypt_data_area, parse_sm4_key
    from coact.monitoring.models import RawPacket, Reading
    from tests.monitoring.conftest import Pipeline

    outlet = make_outlet(ent_a, "DA025", "MN2025000000000000000001")
    make_outlet(ent_a, "DA026", "MN2025000000000000000002")
    outlet.devices.update(sm4_key="0000000000000000")
    hour = local_hour(2)

    def encrypted(mn: str) -> bytes:
        plain = packet(mn, "2061", hour, {"a21026": 20.0, "a19001": 8.0}, flag=9)[6:-6]
        wire = encrypt_data_area(plain, parse_sm4_key("0000000000000000"))
        return b"##%04d" % len(plain) + wire + format_crc(hj212_crc16(plain)).encode() + b"\r\n"

    pipeline = Pipeline()
    keyed = pipeline.send(encrypted("MN2025000000000000000001"))
    unkeyed = pipeline.send(encrypted("MN2025000000000000000002"))
    assert [i.status for i in keyed] == ["accepted"]
    assert [(i.status, i.error) for i in unkeyed] == [("rejected", "encrypted-cp")]
    reading = Reading.objects.get()
    assert reading.outlet_id == outlet.pk and reading.values["a21026"]["Avg"] == 20.0
    assert RawPacket.objects.count() == 2  # both archived as received (ciphertext)
    assert b"CN=9014" in pipeline.replies[0]
