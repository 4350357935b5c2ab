"""Fixtures of the case tests: two enterprises in two counties and users of every role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_user


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
