"""/healthz for any Host, its web scope, beat's heartbeat (a real beat process), one log
line per request with its request id and user, one per Celery task, optional Sentry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from practice_portal import heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_DB = int(os.environ.get("NOTIFY_TEST_REDIS_DB", "9"))
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def shared_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("REDIS NOT ANSWERING on 127.0.0.1:6379 — HEARTBEAT TEST NOT RUN")
    return client


@pytest.mark.django_db
def test_healthz_answers_whatever_host_allowed_hosts_holds(client: Any, settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.REDIS_URL = ""
    for host in ("localhost:8000", "127.0.0.1", "web"):
        r = client.get("/healthz?scope=web", HTTP_HOST=host)
        assert r.status_code == 200, host
        assert r.json() == {"status": "ok", "database": "ok"}
    # Only /healthz: any other path with a foreign Host is still refused.
    assert client.get("/", HTTP_HOST="localhost").status_code == 400
    assert client.get("/", HTTP_HOST="portal.example.org").status_code == 200


@pytest.mark.django_db
def test_healthz_reports_beat_from_its_heartbeat(client: Any, settings: Any) -> None:
    r = shared_redis()
    settings.REDIS_URL = REDIS_URL
    settings.BEAT_STALE_SECONDS = 120
    r.delete(heartbeat.KEY)
    body = client.get("/healthz").json()
    assert (client.get("/healthz").status_code, body["beat"]) == (503, "never ran")
    heartbeat.write(REDIS_URL, now=time.time() - 12)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "beat": "ok: last ran 12 s ago",
    }
    heartbeat.write(REDIS_URL, now=time.time() - 400)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["beat"] == "stale: last ran 400 s ago"
    r.delete(heartbeat.KEY)


def test_a_real_beat_writes_the_heartbeat_its_health_check_reads(tmp_path: Path) -> None:
    r = shared_redis()
    r.delete(heartbeat.KEY)
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "BEAT_SCHEDULE_FILE": str(tmp_path / "schedule"),
        "PYTHONPATH": str(BASE_DIR),
    }
    env.pop("DATABASE_URL", None)
    check = [sys.executable, "-m", "practice_portal.heartbeat"]
    assert subprocess.run(check, env=env, cwd=BASE_DIR, capture_output=True).returncode == 1
    celery = Path(sys.executable).parent / "celery"
    beat = subprocess.Popen(
        [str(celery), "-A", "practice_portal", "beat", "-l", "warning"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while r.get(heartbeat.KEY) is None:
            assert time.monotonic() < deadline, "beat wrote no heartbeat"
            time.sleep(0.2)
        result = subprocess.run(check, env=env, cwd=BASE_DIR, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
        assert result.stdout.startswith("beat ok: last ran")
    finally:
        beat.terminate()
        beat.wait(timeout=15)
        r.delete(heartbeat.KEY, "celery")  # what it queued for no worker


@pytest.mark.django_db
def test_one_line_per_request_with_its_id_and_user(login_as: Any, cast: Any, caplog: Any) -> None:
    client = login_as(cast.res1)
    with caplog.at_level(logging.INFO, logger="portal.request"):
        r = client.get("/orders/mine/", HTTP_X_REQUEST_ID="abc-123")
    assert r["X-Request-ID"] == "abc-123"
    lines = [rec for rec in caplog.records if rec.name == "portal.request"]
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert "method=GET path=/orders/mine/ status=200 duration_ms=" in message
    assert message.endswith(f"user={cast.res1.pk}")
    assert lines[0].request_id == "abc-123"


@pytest.mark.django_db
def test_a_request_id_is_made_when_none_or_a_bad_one_arrives(client: Any) -> None:
    made = client.get("/").headers["X-Request-ID"]
    assert len(made) == 32
    bad = client.get("/", HTTP_X_REQUEST_ID="evil value\nInjected: 1")["X-Request-ID"]
    assert bad != "evil value\nInjected: 1" and len(bad) == 32


@pytest.mark.django_db
def test_one_line_per_task_with_name_id_duration_state(caplog: Any) -> None:
    from apps.notifications.tasks import sweep_deliveries

    with caplog.at_level(logging.INFO, logger="portal.task"):
        sweep_deliveries.delay()  # eager here: the signals fire all the same
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "portal.task"]
    assert len(lines) == 1
    assert lines[0].startswith("task name=apps.notifications.tasks.sweep_deliveries id=")
    assert "duration_ms=" in lines[0] and lines[0].endswith("state=SUCCESS")


@pytest.mark.parametrize("dsn", ["", "https://public@127.0.0.1:9/1"])
def test_sentry_starts_only_with_a_dsn(dsn: str) -> None:
    env = {**os.environ, "SENTRY_DSN": dsn}
    code = (
        "import django; django.setup(); import sentry_sdk; "
        "print(sentry_sdk.get_client().is_active())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "practice_portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == ("True" if dsn else "False")
