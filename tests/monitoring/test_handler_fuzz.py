"""The gateway's connection handler never raises, keeps its memory bounded, and a bad packet
does not cost the connection the good packets around it (hypothesis over bytes)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coact.engines.hj212 import Tolerance
from coact.monitoring.gateway.handler import DeviceInfo, PacketHandler
from tests.monitoring.conftest import packet

MN = "010000A8900016F000169DC0"
DEVICE = DeviceInfo(1, MN, "123456", 1, Tolerance())
NOW = dt.datetime(2025, 3, 1, 0, 30, tzinfo=dt.UTC)  # 08:30 Beijing
GOOD = packet(MN, "2011", dt.datetime(2025, 3, 1, 8, 30), {"a21026": 12.5, "a19001": 8.1})
GOOD2 = packet(
    MN, "2011", dt.datetime(2025, 3, 1, 8, 30, 1), {"a21026": 12.6}, qn="20250301083001000"
)
HOURLY = packet(MN, "2061", dt.datetime(2025, 3, 1, 7), {"a21026": 30.0}, qn="20250301080000123")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def handler() -> PacketHandler:
    return PacketHandler("127.0.0.1:1", {MN: DEVICE}.get)


def bounded(h: PacketHandler) -> None:
    # Framer: about two frames of 10 kB; reassembler: at most max_split_groups groups.
    assert h.framer.buffered <= 2 * (6 + 9999 + 6) + 64
    assert h.splits is None or len(h.splits) <= h.limits.max_split_groups


def test_good_packet_is_accepted_and_answered() -> None:
    h = handler()
    [item] = h.feed(GOOD, NOW)
    assert item.status == "accepted" and item.kind == "rtd"
    assert item.values == {
        "a21026": {"Rtd": 12.5, "Flag": "N"},
        "a19001": {"Rtd": 8.1, "Flag": "N"},
    }
    assert item.replies and b"CN=9014" in item.replies[0]
    assert item.data_time == dt.datetime(
        2025, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )


@FUZZ
@given(st.lists(st.binary(max_size=3000), max_size=8))
def test_random_bytes_never_raise(chunks: list[bytes]) -> None:
    h = handler()
    for chunk in chunks:
        for item in h.feed(chunk, NOW):
            assert item.status in ("accepted", "rejected", "framing", "quarantined", "ignored")
        bounded(h)
    h.flush(NOW)


@FUZZ
@given(st.data())
def test_mutated_stream_keeps_the_good_packets(data: st.DataObject) -> None:
    """A good packet, a mutated copy, then two good packets: the last two are still accepted."""
    bad = bytearray(HOURLY)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(bad) - 1))
        action = data.draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            bad[at] = data.draw(st.integers(0, 255))
        elif action == "drop" and len(bad) > 1:
            del bad[at]
        else:
            bad.insert(at, data.draw(st.integers(0, 255)))
    stream = GOOD + bytes(bad) + b"\r\n" + GOOD2 + HOURLY
    cut = data.draw(st.integers(0, len(stream)))
    h = handler()
    items = h.feed(stream[:cut], NOW) + h.feed(stream[cut:], NOW)
    accepted = [i for i in items if i.status == "accepted"]
    # The two packets after the damage survive; a resync may cost at most the damaged frame.
    assert [i.qn for i in accepted][-2:] == ["20250301083001000", "20250301080000123"]
    bounded(h)


def test_oversized_and_flooding_input_stays_bounded() -> None:
    h = handler()
    h.feed(b"##9999" + b"A" * 50_000, NOW)
    bounded(h)
    flood = GOOD * 400  # 400 packets at once: above the 200-packet burst of one connection
    items = h.feed(flood, NOW)
    assert sum(1 for i in items if i.status == "accepted") <= 200
    assert any(i.error == "rate-limit" for i in items) and h.dropped_packets > 0


def test_unknown_mn_and_wrong_password_are_quarantined() -> None:
    h = handler()
    [unknown] = h.feed(
        packet("NOBODY0000000000000000001", "2011", dt.datetime(2025, 3, 1, 8), {"a21026": 1}), NOW
    )
    [wrong] = h.feed(
        packet(MN, "2011", dt.datetime(2025, 3, 1, 8), {"a21026": 1}, pw="654321"), NOW
    )
    assert (unknown.status, unknown.quarantine, unknown.replies) == (
        "quarantined",
        "unknown_device",
        [],
    )
    assert (wrong.status, wrong.quarantine, wrong.replies) == ("quarantined", "wrong_password", [])
    assert wrong.values is None and unknown.values is None


def test_clock_drift_gets_a_time_calibration() -> None:
    h = handler()
    ahead = packet(MN, "2011", dt.datetime(2025, 3, 1, 9, 30), {"a21026": 1.0})  # +1 h
    [item] = h.feed(ahead, NOW)
    assert [f.rule for f in item.findings] == ["clock_drift"]
    assert b"CN=9014" in item.replies[0] and b"CN=1012" in item.replies[1]
    assert b"SystemTime=20250301083000" in item.replies[1]
