"""The embedded default: SQLite in var/, jobs in-process, served on 127.0.0.1."""

from __future__ import annotations

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

if not SECRET_KEY:  # noqa: F405
    # A per-installation key kept in var/, so sessions survive restarts without a
    # secret ever being committed. Production must set COACT_SECRET_KEY.
    key_file = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        os.chmod(key_file, 0o600)
    SECRET_KEY = key_file.read_text().strip()
