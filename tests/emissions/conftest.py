"""Fixtures of the emissions tests: the demo scenario record (run once per test)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def demo(db: Any) -> Any:
    from coact.emissions import services

    scenario, _ = services.ensure_demo_scenario()
    return scenario
