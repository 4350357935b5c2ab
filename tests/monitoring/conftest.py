"""Fixtures of the monitoring tests: an outlet with its device, enterprise users, and a
helper that runs bytes through the gateway's handler, store and post-commit step (the same
code the gateway process runs, without sockets or threads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.conftest import make_user


def make_enterprise(serial: int, region_code: str, name: str) -> Any:
    from coact.core.models import Enterprise, Region
    from coact.engines.uscc import uscc_check_character

    first17 = f"91320600{serial:09d}"
    return Enterprise.objects.create(
        uscc=first17 + uscc_check_character(first17),
        name=name,
        region=Region.objects.get(code=region_code),
    )


def make_outlet(enterprise: Any, code: str, mn: str, medium: str = "air", **kw: Any) -> Any:
    from coact.monitoring import services

    standard = "GB13223-2011-special-coal" if medium == "air" else "GBT31962-2015-B"
    outlet = services.register_outlet(
        enterprise,
        code=code,
        name=f"outlet {code}",
        medium=medium,
        standard=standard,
        lon=120.5,
        lat=32.3,
        factors=["a19001"] if medium == "air" else [],
        **kw,
    )
    services.register_device(outlet, mn, "123456")
    return outlet


@pytest.fixture
def ent_a(db: Any) -> Any:
    return make_enterprise(501, "320682", "Enterprise A (Rugao)")


@pytest.fixture
def ent_b(db: Any) -> Any:
    return make_enterprise(502, "320685", "Enterprise B (Haian)")


@pytest.fixture
def outlet_a(ent_a: Any) -> Any:
    return make_outlet(ent_a, "DA001", "MNA000000000000000000001")


@pytest.fixture
def outlet_b(ent_b: Any) -> Any:
    return make_outlet(ent_b, "DA001", "MNB000000000000000000001")


@pytest.fixture
def user_a(ent_a: Any) -> Any:
    return make_user("ent_a", "enterprise", enterprise=ent_a)


@pytest.fixture
def user_b(ent_b: Any) -> Any:
    return make_user("ent_b", "enterprise", enterprise=ent_b)


class Pipeline:
    """handler.feed -> BatchStore.write -> services.after_batch, synchronously."""

    def __init__(self) -> None:
        from coact.monitoring import services
        from coact.monitoring.gateway.handler import PacketHandler
        from coact.monitoring.gateway.store import BatchStore

        self.devices = services.device_directory()
        self.handler = PacketHandler("127.0.0.1:40000", self.devices.get)
        self.store = BatchStore()
        self.replies: list[bytes] = []
        self.alarms: list[Any] = []

    def send(self, data: bytes, now: dt.datetime | None = None) -> list[Any]:
        from coact.monitoring import services

        items = self.handler.feed(data, now)
        result = self.store.write(items)
        for item in items:
            self.replies.extend(item.replies)
        self.alarms.extend(services.after_batch([result]))
        return items


@pytest.fixture
def pipeline(outlet_a: Any, outlet_b: Any) -> Pipeline:
    return Pipeline()


def packet(
    mn: str,
    cn: str,
    data_time: dt.datetime,
    values: dict[str, float],
    *,
    pw: str = "123456",
    flag: int = 5,
    qn: str | None = None,
) -> bytes:
    """An HJ 212-2017 upload (``values`` as Avg, or Rtd for CN 2011; all flagged N)."""
    from coact.engines.hj212.cp import format_hj_time
    from coact.engines.hj212.reply import encode_packet

    suffix = "Rtd" if cn == "2011" else "Avg"
    cp: list[tuple[str, object]] = [("DataTime", format_hj_time(data_time))]
    for code, value in values.items():
        cp += [(f"{code}-{suffix}", value), (f"{code}-Flag", "N")]
    header = {
        "QN": qn or format_hj_time(data_time, milliseconds=True),
        "ST": "31",
        "CN": cn,
        "PW": pw,
        "MN": mn,
        "Flag": flag,
    }
    return encode_packet(header, cp)


def local_hour(hours_back: int = 1) -> dt.datetime:
    """The start of an hour in Beijing time, naive (as DataTime is sent)."""
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    return now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours_back)
