"""Start Django lazily, only for the commands that need the database."""

from __future__ import annotations

import os


def setup_django(settings_module: str = "coact.settings.dev") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
