"""Demo data of the emissions app, called by `coact setup --demo`."""

from __future__ import annotations

from . import services


def load_demo_data() -> str:
    """The shipped illustrative demo scenario as a record, already run (not published)."""
    scenario, created = services.ensure_demo_scenario()
    return f"demo scenario #{scenario.pk} {'created' if created else 'already present'}"
