"""The production configuration, exercised for real: PostgreSQL, prod settings, gunicorn with
several workers, the job worker. Runs in the PostgreSQL pass of scripts/test."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

DATABASE_URL = os.environ.get("DATABASE_URL", "")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith("postgres"), reason="needs DATABASE_URL of PostgreSQL"
    ),
]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prod_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    import psycopg

    name = "coact_deploy_test"
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "coact.settings.prod",
        "DATABASE_URL": DATABASE_URL.rsplit("/", 1)[0] + f"/{name}",
        "COACT_SECRET_KEY": "deployment-test-secret-" + "x" * 30,
        "COACT_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "COACT_INSECURE_COOKIES": "1",
    }
    subprocess.run([BIN / "coact", "setup"], env=env, check=True, capture_output=True, timeout=300)
    yield env
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_prod_settings_refuse_to_start_without_secret(prod_env: dict[str, str]) -> None:
    env = {k: v for k, v in prod_env.items() if k != "COACT_SECRET_KEY"}
    result = subprocess.run(
        [BIN / "coact", "manage", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "COACT_SECRET_KEY" in result.stderr


def test_gunicorn_workers_serve_the_plan_from_postgres(prod_env: dict[str, str]) -> None:
    port = _free_port()
    subprocess.run(
        [BIN / "coact", "manage", "collectstatic", "--noinput", "-v0"],
        env=prod_env,
        check=True,
        timeout=120,
    )
    create = (
        "from coact.core.models import User; u=User(username='ops', role='supervisor'); "
        "u.set_password('ops-pass-123'); u.save()"
    )
    subprocess.run(
        [BIN / "coact", "manage", "shell", "-c", create], env=prod_env, check=True, timeout=120
    )
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "coact.wsgi:application",
            "--workers",
            "3",
            "--bind",
            f"127.0.0.1:{port}",
            "--env",
            "DJANGO_SETTINGS_MODULE=coact.settings.prod",
        ],
        env=prod_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/plan/public/")
        public = urllib.request.urlopen(base + "/api/plans/nantong-2023-2025/dashboard").read()
        assert sum(json.loads(public)["counts"].values()) >= 50
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(base + "/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        body = (
            f"csrfmiddlewaretoken={token}&username=ops&password=ops-pass-123&next=/plan/".encode()
        )
        request = urllib.request.Request(
            base + "/accounts/login/", data=body, headers={"Referer": base + "/accounts/login/"}
        )
        page = opener.open(request).read().decode()
        assert "南通市减污降碳协同增效三年行动计划" in page
        assert opener.open(base + "/static/echarts/echarts.min.js").status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_job_worker_runs_scheduled_work(prod_env: dict[str, str]) -> None:
    script = (
        "from django_q.tasks import async_task, result; import time;"
        "tid = async_task('coact.plan.jobs.daily');"
        "deadline = time.time() + 60\n"
        "while result(tid) is None and time.time() < deadline: time.sleep(0.5)\n"
        "print('RESULT', result(tid))"
    )
    worker = subprocess.Popen(
        [BIN / "coact", "jobs"], env=prod_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        out = subprocess.run(
            [BIN / "coact", "manage", "shell", "-c", script],
            env=prod_env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert "RESULT {'refreshed'" in out


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")
