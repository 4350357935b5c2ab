"""Demo data of online monitoring (called by `coact setup`) and the simulated fleet used by
tests and the gateway benchmark. Every record made here is flagged ``illustrative``."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from coact.core.models import Enterprise, Region, RegionKind
from coact.engines.uscc import uscc_check_character

from . import rules, services
from .models import Alarm, Device, Limit, MonitoredFactor, Outlet, Reading

DEMO_PREFIX = "DEMO212"


def _uscc(serial: int) -> str:
    first17 = f"91320600{serial:09d}"
    return first17 + uscc_check_character(first17)


def _counties() -> list[Region]:
    counties = list(Region.objects.exclude(kind=RegionKind.CITY).exclude(kind=RegionKind.PROVINCE))
    return counties or list(Region.objects.all())


def demo_enterprise(serial: int, name: str, region: Region, industry: str) -> Enterprise:
    enterprise, _ = Enterprise.objects.get_or_create(
        uscc=_uscc(serial),
        defaults={
            "name": name,
            "region": region,
            "industry": industry,
            "illustrative": True,
            "address": f"{region.name}(演示地址)",
            "lon": (region.lon or 120.9) + 0.03 * (serial % 5),
            "lat": (region.lat or 32.0) + 0.02 * (serial % 3),
        },
    )
    return enterprise


def load_reference_data() -> str:
    book = rules.rule_book()
    return (
        f"{len(rules.standards())} emission standards, {len(book.rules)} alarm rules (data files)"
    )


def load_demo_data(seed: int = 212) -> str:
    """Three illustrative enterprises (a power plant, an incinerator, a sewage plant and its
    upstream discharger), their outlets and devices, an hour of minute values and hourly
    values for the last day; one hour over the limit raises an alarm and its case."""
    if Outlet.objects.filter(code__startswith="DEMO").exists():
        return "already present"
    rng = random.Random(seed)
    counties = _counties()
    rugao = Region.objects.filter(code="320682").first() or counties[0]
    haian = Region.objects.filter(code="320685").first() or counties[-1]
    with transaction.atomic():
        power = demo_enterprise(9001, "示例热电有限公司(演示)", rugao, "火电")
        incinerator = demo_enterprise(9002, "示例垃圾焚烧发电有限公司(演示)", haian, "垃圾焚烧")
        plant = demo_enterprise(9003, "示例污水处理有限公司(演示)", rugao, "污水处理")
        upstream = demo_enterprise(9004, "示例印染有限公司(演示)", rugao, "纺织印染")
        stack = services.register_outlet(
            power,
            code="DEMO-DA001",
            name="1号锅炉烟囱",
            medium="air",
            standard="GB13223-2011-special-coal",
            permit_number="91320600DEMO001P",
            lon=power.lon,
            lat=power.lat,
            illustrative=True,
            factors=["a19001", "a00000", "a01012"],
        )
        furnace = services.register_outlet(
            incinerator,
            code="DEMO-DA002",
            name="焚烧线烟囱",
            medium="air",
            standard="GB18485-2014-msw-incinerator",
            rule_set="incinerator",
            permit_number="91320600DEMO002P",
            lon=incinerator.lon,
            lat=incinerator.lat,
            illustrative=True,
            factors=["a19001", "a01901"],
        )
        sewer = services.register_outlet(
            upstream,
            code="DEMO-DW001",
            name="废水总排口",
            medium="water",
            standard="GBT31962-2015-B",
            permit_number="91320600DEMO004P",
            lon=upstream.lon,
            lat=upstream.lat,
            illustrative=True,
            factors=["w00000", "w01001"],
        )
        devices = [
            services.register_device(
                stack, f"{DEMO_PREFIX}00000000000000001", "123456", illustrative=True
            ),
            services.register_device(
                furnace, f"{DEMO_PREFIX}00000000000000002", "123456", illustrative=True
            ),
            services.register_device(
                sewer, f"{DEMO_PREFIX}00000000000000003", "123456", illustrative=True
            ),
        ]
        services.subscribe(plant, sewer, kinds=["hour"])
        now = timezone.now().replace(second=0, microsecond=0)
        for device in devices:
            _demo_readings(device, now, rng)
        Outlet.objects.filter(pk__in=[stack.pk, furnace.pk, sewer.pk]).update(last_seen=now)
        Device.objects.filter(pk__in=[d.pk for d in devices]).update(last_seen=now)
    raised = services.evaluate_outlet(stack.pk, {"hour": {_hour(now) - dt.timedelta(hours=1)}})
    Alarm.objects.filter(pk__in=[a.pk for a in raised]).update(illustrative=True)
    values = Reading.objects.filter(outlet__illustrative=True).count()
    return f"3 illustrative outlets, {values} values, {len(raised)} alarm(s)"


def _hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _demo_readings(device: Device, now: dt.datetime, rng: random.Random) -> None:
    outlet = device.outlet
    codes = list(MonitoredFactor.objects.filter(outlet=outlet).values_list("code", flat=True))
    limits = {
        lim.factor.code: lim.value
        for lim in Limit.objects.filter(factor__outlet=outlet, period="hour")
    }
    base = {
        "a19001": 8.0,
        "a01012": 55.0,
        "a00000": 90.0,
        "a01901": 930.0,
        "w01001": 7.3,
        "w00000": 30.0,
    }
    rows = []
    for minute in range(60):
        moment = now - dt.timedelta(minutes=60 - minute)
        rows.append(
            Reading(
                outlet=outlet,
                device=device,
                kind="min",
                data_time=moment,
                received_at=moment,
                values=_values(codes, base, limits, rng, 0.5),
            )
        )
    last_hour = _hour(now) - dt.timedelta(hours=1)
    for hours_back in range(24, 0, -1):
        moment = _hour(now) - dt.timedelta(hours=hours_back)
        # The stack's last complete hour is over its SO2 limit: the demo alarm.
        exceed = outlet.code == "DEMO-DA001" and moment == last_hour
        values = _values(codes, base, limits, rng, 0.5)
        if exceed:
            values["a21026"]["Avg"] = round(limits.get("a21026", 50) * 1.6, 2)
        rows.append(
            Reading(
                outlet=outlet,
                device=device,
                kind="hour",
                data_time=moment,
                received_at=moment,
                values=values,
            )
        )
    Reading.objects.bulk_create(rows)


def _values(
    codes: list[str],
    base: dict[str, float],
    limits: dict[str, float],
    rng: random.Random,
    share: float,
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for code in codes:
        mean = base.get(code) or limits.get(code, 20.0) * share
        out[code] = {"Avg": round(max(0.0, rng.gauss(mean, mean * 0.08)), 2), "Flag": "N"}
    return out


def register_fleet(
    count: int, mn_file: Path | None = None, prefix: str = "SIM"
) -> list[tuple[str, str, str]]:
    """``count`` illustrative devices, one outlet each (air and water alternating), spread
    over a few enterprises per county, for the simulator; writes ``MN,PW,medium`` lines."""
    counties = _counties()
    devices: list[tuple[str, str, str]] = []
    with transaction.atomic():
        enterprises = [
            demo_enterprise(
                100_000 + n, f"模拟企业{n:03d}(演示)", counties[n % len(counties)], "模拟"
            )
            for n in range(max(1, min(50, count // 20)))
        ]
        for n in range(count):
            enterprise = enterprises[n % len(enterprises)]
            medium = "air" if n % 2 == 0 else "water"
            outlet = services.register_outlet(
                enterprise,
                code=f"{prefix}{n:05d}",
                name=f"模拟排口{n:05d}",
                medium=medium,
                standard="GB13223-2011-special-coal" if medium == "air" else "GBT31962-2015-B",
                illustrative=True,
            )
            mn = f"{prefix}{n:021d}"[-24:]
            password = f"{n % 1000000:06d}"
            Device.objects.create(outlet=outlet, mn=mn, password=password, illustrative=True)
            devices.append((mn, password, medium))
    if mn_file is not None:
        mn_file.write_text(
            "".join(f"{mn},{pw},{medium}\n" for mn, pw, medium in devices), encoding="ascii"
        )
    return devices
