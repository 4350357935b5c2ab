"""Tests: the database comes from DATABASE_URL when set (PostgreSQL run), else SQLite."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import Q_CLUSTER

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only in tests
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="coact-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
ALLOWED_HOSTS = ["*"]
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="coact-static-"))  # WhiteNoise wants it to exist
