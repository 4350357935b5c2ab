"""Shared fixtures: the Nantong plan loaded once per test database, users of every role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def fresh_process_caches() -> None:
    """Per-process caches that hold rows (the gateway's device contexts) must not carry rows
    of an earlier test's database into the next test, browser tests included."""
    from django.apps import apps

    if not apps.ready:  # pure engine tests run without Django (-p no:django)
        return
    from coact.monitoring import services as monitoring

    monitoring._contexts.clear()
    monitoring._subscriptions.clear()
    monitoring._bulk_loaded[0] = 0.0


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from coact.plan import services

    with django_db_blocker.unblock():
        services.load_all()
        services.refresh_all_statuses()


def make_user(username: str, role: str, **scope: Any) -> Any:
    from coact.core.models import Department, Region, User

    user = User(username=username, role=role)
    if "department" in scope:
        user.department = Department.objects.get(code=scope["department"])
    if "region" in scope:
        user.region = Region.objects.get(code=scope["region"])
    if "enterprise" in scope:
        user.enterprise = scope["enterprise"]
    user.set_password("pw-" + username)
    user.save()
    return user


@pytest.fixture
def office(db: Any) -> Any:
    return make_user("office", "supervisor")


@pytest.fixture
def eco(db: Any) -> Any:
    return make_user("eco", "department", department="ecology")


@pytest.fixture
def traffic(db: Any) -> Any:
    return make_user("traffic", "department", department="transport")


@pytest.fixture
def rugao(db: Any) -> Any:
    return make_user("rugao", "county", region="320682")


@pytest.fixture
def haian(db: Any) -> Any:
    return make_user("haian", "county", region="320685")


@pytest.fixture
def plan(db: Any) -> Any:
    from coact.plan.models import Plan

    return Plan.objects.get(code="nantong-2023-2025")


def foreign_indicator(user: Any, owner_department: str) -> Any:
    """An indicator ``owner_department`` reports on that ``user`` cannot see."""
    from coact.plan.models import Indicator

    visible = Indicator.objects.visible_to(user).values_list("pk", flat=True)
    found = (
        Indicator.objects.filter(responsible__code=owner_department, reporting="reported")
        .exclude(pk__in=list(visible))
        .order_by("code")
        .first()
    )
    if found is None:
        pytest.skip(f"every indicator of {owner_department} is visible to {user}")
    return found


# --- enterprises in two counties (case, complaint and rectification tests) ---------------------


def make_enterprise(
    code9: str, region_code: str, name: str, lon: float | None = None, lat: float | None = None
) -> Any:
    from coact.core.models import Enterprise, Region
    from coact.engines.uscc import uscc_check_character

    first17 = f"91{region_code}{code9}"
    return Enterprise.objects.create(
        uscc=first17 + uscc_check_character(first17),
        name=name,
        region=Region.objects.get(code=region_code),
        lon=lon,
        lat=lat,
    )


@pytest.fixture
def ent_a(db: Any) -> Any:
    return make_enterprise("MA1AAAA1X", "320682", "如皋甲化工有限公司", 120.58, 32.38)


@pytest.fixture
def ent_b(db: Any) -> Any:
    return make_enterprise("MA1BBBB2X", "320685", "海安乙印染有限公司", 120.46, 32.53)


@pytest.fixture
def ent_user_a(ent_a: Any) -> Any:
    return make_user("ent_a", "enterprise", enterprise=ent_a)


@pytest.fixture
def ent_user_b(ent_b: Any) -> Any:
    return make_user("ent_b", "enterprise", enterprise=ent_b)


@pytest.fixture
def admin(db: Any) -> Any:
    return make_user("admin1", "admin")


@pytest.fixture
def office2(db: Any) -> Any:
    return make_user("office2", "supervisor")
