"""Settings shared by every environment. Secrets and the database come from the environment."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import dj_database_url


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"package {name} is missing: run scripts/bootstrap.sh")
    return Path(spec.origin).parent


BASE_DIR = Path(__file__).resolve().parent.parent  # src/coact
VAR_DIR = Path(os.environ.get("COACT_VAR_DIR", Path.cwd() / "var"))

SECRET_KEY = os.environ.get("COACT_SECRET_KEY", "")
DEBUG = os.environ.get("COACT_DEBUG", "0") == "1"
ALLOWED_HOSTS = [
    h for h in os.environ.get("COACT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("COACT_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "auditlog",
    "django_q",
    "coact.core",
    "coact.web",
    "coact.plan",
    "coact.cases", "coact.complaints", "coact.rectification",
    "coact.air",
    "coact.emissions",
    "coact.monitoring",
    "coact.forecast",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "coact.web.middleware.IgnoreAcceptLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "coact.urls"
WSGI_APPLICATION = "coact.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:public"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coact.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'coact.sqlite3'}",
        conn_max_age=int(os.environ.get("COACT_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers and the job worker work while a writer commits; the timeout turns
    # short lock waits into waits instead of "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Apache ECharts 5.6 (Apache-2.0) comes from the pinned PyPI package `vizly`, which ships
# the official echarts.min.js; htmx comes from django-htmx. Nothing is fetched at run time.
STATICFILES_DIRS = [("echarts", _package_dir("vizly") / "assets")]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free header tag instead
X_FRAME_OPTIONS = "DENY"

# Jobs: django-q2 with the ORM broker works on SQLite and PostgreSQL with no extra server.
Q_CLUSTER = {
    "name": "coact",
    "orm": "default",
    "workers": int(os.environ.get("COACT_JOB_WORKERS", "1")),
    "timeout": 600,
    "retry": 900,
    "catch_up": False,
    "max_attempts": 3,
    "poll": 2,
    "sync": os.environ.get("COACT_JOBS_SYNC", "0") == "1",
}

AUDITLOG_INCLUDE_ALL_MODELS = False

# Where the plan and organisation data files are read from (several plans side by side).
COACT_PLAN_DIR = Path(os.environ.get("COACT_PLAN_DIR", BASE_DIR / "data" / "plans"))
COACT_ORG_DIR = Path(os.environ.get("COACT_ORG_DIR", BASE_DIR / "data" / "org" / "nantong"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("COACT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
