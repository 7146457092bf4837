"""A database that is down answers 503: problem JSON for the API, a plain Chinese page
for pages, never a 500 or a debug page — whether the error comes from a view, from the
session or user loaded for it, or from a middleware after it.

The last test is the real thing: a private PostgreSQL (initdb in a temporary folder, on
a port of its own) that a separate Django process is connected to, then stopped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[2]


def down(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError('connection to server at "db" failed: Connection refused')


@pytest.mark.django_db
def test_api_answers_503_problem_json(api_as: Any, cast: Any, monkeypatch: Any) -> None:
    client = api_as(cast.res1)
    monkeypatch.setattr("apps.orders.selectors.order_list", down, raising=False)
    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", down)
    r = client.get("/api/v1/orders/")
    assert r.status_code == 503
    assert r.json()["code"] == "service_unavailable"
    assert r["Retry-After"] == "30"


@pytest.mark.django_db
def test_page_answers_a_plain_chinese_503(login_as: Any, cast: Any, monkeypatch: Any) -> None:
    client = login_as(cast.res1)
    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", down)
    r = client.get("/orders/mine/")
    assert r.status_code == 503
    assert r["Content-Type"].startswith("text/html")
    assert "系统暂时无法使用" in r.content.decode()


@pytest.mark.django_db
def test_session_load_failing_answers_503(login_as: Any, cast: Any, monkeypatch: Any) -> None:
    client = login_as(cast.res1)
    monkeypatch.setattr(SessionStore, "load", down)
    r = client.get("/orders/mine/")
    assert r.status_code == 503
    r = client.get("/api/v1/me/")
    assert r.status_code == 503 and r.json()["code"] == "service_unavailable"


@pytest.mark.django_db
def test_a_closed_connection_answers_503(login_as: Any, cast: Any, monkeypatch: Any) -> None:
    client = login_as(cast.res1)

    def closed(*args: Any, **kwargs: Any) -> Any:
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", closed)
    assert client.get("/orders/mine/").status_code == 503


class FailsAfterTheView:
    """Stands for a middleware that touches the database after the view (as the
    session middleware does when it saves a changed session)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        down()
        return response


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v1/sites/"])
def test_error_in_a_middleware_after_the_view_answers_503(settings: Any, path: str) -> None:
    # No view hook sees an error raised there: the project's handler500 does.
    settings.DEBUG = False
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:4],
        "tests.deploy.test_database_down.FailsAfterTheView",
        *settings.MIDDLEWARE[4:],
    ]
    r = Client(raise_request_exception=False).get(path)
    assert r.status_code == 503
    if path.startswith("/api/"):
        assert r.json()["code"] == "service_unavailable"
    else:
        assert "系统暂时无法使用" in r.content.decode()


@pytest.mark.django_db
def test_other_errors_stay_500(login_as: Any, cast: Any, monkeypatch: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.res1, backend="apps.accounts.backends.UsernameOrMobileBackend")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", broken)
    assert client.get("/orders/mine/").status_code == 500
    r = client.get("/api/v1/orders/")
    assert r.status_code == 500 and r.json()["code"] == "server_error"


# --- a real PostgreSQL, stopped under a running Django process ---------------------------------
PROBE = """
import sys
import django
django.setup()
from django.test import Client
from django.conf import settings

client = Client(HTTP_HOST="portal.test")
print("healthz-up", client.get("/healthz?scope=web").status_code, flush=True)
sys.stdin.readline()  # the server is stopped now
client.cookies["sessionid"] = "x" * 32
page = client.get("/orders/mine/")
print("page", page.status_code, "系统暂时无法使用" in page.content.decode(), flush=True)
api = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)
print("api", api.status_code, api.json().get("code"), flush=True)
print("healthz-down", client.get("/healthz?scope=web").status_code, flush=True)
"""


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(path)
    return None


def free_port() -> int:
    for port in range(55430, 55440):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 55430-55439 for a private PostgreSQL")


def test_stopped_postgresql_answers_503_to_a_running_process() -> None:
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PRIVATE POSTGRESQL TEST NOT RUN: initdb/pg_ctl not found")
    tmp_path = Path(tempfile.mkdtemp(prefix="portal-pg-"))
    if os.geteuid() == 0:
        # initdb refuses root: run it as the postgres user in a folder it owns.
        runner = ["su", "postgres", "-s", "/bin/sh", "-c"]
        shutil.chown(tmp_path, "postgres")
    else:
        runner = ["sh", "-c"]
    data, port = tmp_path / "data", free_port()

    def pg(cmd: str) -> None:
        subprocess.run([*runner, cmd], check=True, capture_output=True, timeout=120)

    pg(f"{initdb} -D {data} -U postgres -A trust")
    pg(
        f"{pg_ctl} -D {data} -l {tmp_path}/server.log -w start"
        f" -o '-p {port} -c listen_addresses=127.0.0.1 -k {tmp_path}'"
    )
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "private-postgres-test-" + "k" * 40,
        "ALLOWED_HOSTS": "portal.test",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/postgres",
        "DJANGO_SETTINGS_MODULE": "practice_portal.settings",
        "REDIS_URL": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline()
        while line and not line.startswith("healthz-up"):  # skip the request log lines
            line = proc.stdout.readline()
        assert line.split() == ["healthz-up", "200"]
        pg(f"{pg_ctl} -D {data} -m fast -w stop")
        started = time.monotonic()
        out, err = proc.communicate("\n", timeout=60)
        assert proc.returncode == 0, err
        results = [x for x in out.splitlines() if x.startswith(("page", "api", "healthz"))]
        assert results == [
            "page 503 True",
            "api 503 service_unavailable",
            "healthz-down 503",
        ], out + err
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
        subprocess.run([*runner, f"{pg_ctl} -D {data} -m immediate stop"], capture_output=True)
        shutil.rmtree(tmp_path, ignore_errors=True)
