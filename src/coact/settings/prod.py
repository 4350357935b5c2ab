"""Production: PostgreSQL from DATABASE_URL, secret from COACT_SECRET_KEY, HTTPS cookies."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

if not SECRET_KEY:  # noqa: F405
    raise ImproperlyConfigured("COACT_SECRET_KEY must be set in production")
if "DATABASE_URL" not in os.environ:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")
DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("COACT_INSECURE_COOKIES", "0") != "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
