"""Find the optional per-app modules (``setup``, ``jobs``) of CoAct's own apps."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps


def app_modules(name: str) -> Iterator[tuple[str, ModuleType]]:
    """(app label, module) for each CoAct app that has ``<app>.<name>``."""
    for config in apps.get_app_configs():
        if not config.name.startswith("coact."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.{name}":
                raise
            continue
        yield config.label, module
