"""The real thing: a Celery worker process and Redis.

* Integration (PostgreSQL + the Redis on 127.0.0.1:6379): a worker started with
  ``celery -A practice_portal worker`` against the test database; placing and
  dispatching an order in this process → the worker sends the dispatch e-mail (the
  file-based backend writes it to a folder) and marks the delivery sent.
* Fault: a private ``redis-server`` stopped while the order is placed → the order
  commits quickly, the delivery stays pending; the server restarts → the sweep
  delivers it exactly once.

The worker reads the test database, so the worker tests need committed data
(``transaction=True``) in a database another process can open: PostgreSQL. They skip,
loudly, on SQLite or without Redis. The fault test with eager delivery needs only the
``redis-server`` binary and runs on both databases.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu import pools

from apps.notifications import services, tasks
from apps.notifications.models import Channel, Delivery, DeliveryStatus
from apps.orders.models import OrderStatus

from .conftest import free_port, with_email

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# A Redis database number the portal and other suites leave alone.
WORKER_REDIS_DB = int(os.environ.get("NOTIFY_TEST_REDIS_DB", "9"))
WAIT_SECONDS = 30
# Placing and dispatching an order with the broker down: a few fast queries, and the
# enqueue must give up at once rather than keep reconnecting.
BROKER_DOWN_BUDGET = 2.5


def redis_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        return bool(
            redis.Redis(host=host, port=port, socket_connect_timeout=0.5, socket_timeout=0.5).ping()
        )
    except redis.exceptions.RedisError:
        return False


def require_worker_setup() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "POSTGRESQL + REDIS ONLY — CELERY WORKER TEST NOT RUN on "
            f"{connection.vendor}: set DATABASE_URL=postgres://... (the worker "
            "process must open the test database)"
        )
    if not redis_answers(6379):
        pytest.skip("REDIS NOT ANSWERING on 127.0.0.1:6379 — CELERY WORKER TEST NOT RUN")


def test_database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined] - a helper, not a test


@contextmanager
def app_broker(url: str) -> Iterator[Any]:
    """Point this process's Celery app at ``url`` with tasks really sent (not eager).
    The app read its configuration at import; the connection pools and the routing
    it built from it are dropped so they are made again from the new values."""
    from practice_portal.celery import app

    # Overrides live in the conf's top layer; put back exactly what was there, so the
    # values read from Django settings show through again afterwards.
    keys = ("broker_url", "task_always_eager")
    saved = {k: app.conf.changes[k] for k in keys if k in app.conf.changes}

    def reset() -> None:
        pools.reset()  # closes and forgets every broker pool this process holds
        app._pool = None
        app.__dict__.pop("amqp", None)

    reset()
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield app
    finally:
        for k in keys:
            app.conf.changes.pop(k, None)
        app.conf.changes.update(saved)
        reset()


@contextmanager
def celery_worker(redis_url: str, mail_dir: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A practice_portal worker --pool=solo`` against the test database and
    ``redis_url``; always stopped on the way out."""
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONPATH": str(settings.BASE_DIR),
        "DJANGO_SETTINGS_MODULE": "practice_portal.settings",
    }
    celery = Path(sys.executable).parent / "celery"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(celery),
                "-A",
                "practice_portal",
                "worker",
                "--pool=solo",
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"notif-test-{os.getpid()}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


@contextmanager
def private_redis(port: int, workdir: Path) -> Iterator[Callable[[], None]]:
    """A throwaway ``redis-server`` on ``port``; yields ``start()`` (call it again to
    restart after stopping) and ``stop``; killed on the way out."""
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        procs.append(
            subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(workdir),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 10
        while not redis_answers(port):
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)

    def stop() -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=10)
        assert not redis_answers(port)

    start.stop = stop  # type: ignore[attr-defined]
    try:
        yield start
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)


def wait_for(check: Callable[[], bool], what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"{what}: not within {WAIT_SECONDS} s\n--- worker log ---\n{tail}")
        time.sleep(0.1)


def mail_files(folder: Path) -> list[email.message.EmailMessage]:
    """The messages the file-based backend wrote (one file per connection, each
    message followed by a line of dashes)."""
    out = []
    for f in sorted(folder.glob("*.log")):
        for chunk in f.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                out.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return out  # type: ignore[return-value]


def the_email_delivery() -> Delivery:
    return Delivery.objects.get(channel=Channel.EMAIL)


# --- integration ------------------------------------------------------------------------------
def test_worker_delivers_the_dispatch_email(
    flow: Any, v: Any, tmp_path: Path, settings: Any
) -> None:
    require_worker_setup()
    redis_url = f"redis://127.0.0.1:6379/{WORKER_REDIS_DB}"
    redis.Redis.from_url(redis_url).delete("celery")  # no leftovers of an aborted run
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    with_email(v.vol1.user)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with celery_worker(redis_url, mail_dir, log), app_broker(redis_url):
        order = flow("dispatched")
        delivery = the_email_delivery()
        wait_for(
            lambda: Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENT).exists(),
            "the worker did not send the dispatch e-mail",
            log,
        )
        messages = mail_files(mail_dir)
        assert len(messages) == 1, [m["Subject"] for m in messages]
        msg = messages[0]
        assert msg["Subject"] == "新派单：助老上门服务"
        assert msg["To"] == v.vol1.user.email
        assert "东关社区实践站给您派了一张单" in msg.get_content()
        delivery.refresh_from_db()
        assert delivery.attempts == 1 and delivery.sent_at is not None
        # The worker did it; nothing is left for the sweep.
        assert tasks.sweep_deliveries() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED


# --- fault: Redis down while placing the order ------------------------------------------------
def require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("NO redis-server BINARY — BROKER FAULT TEST NOT RUN")


def place_with_broker_down(flow: Any, start: Any) -> Any:
    """Stop the broker, then place and dispatch an order: it must commit, quickly,
    with its e-mail delivery left pending."""
    start.stop()
    t0 = time.monotonic()
    order = flow("dispatched")  # raises if the broker failure reached the caller
    elapsed = time.monotonic() - t0
    assert elapsed < BROKER_DOWN_BUDGET, f"placing with the broker down took {elapsed:.1f} s"
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED
    delivery = the_email_delivery()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    # Past the sweep's grace: the broker never got it, so the sweep should.
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    return order


def test_broker_down_order_commits_and_the_sweep_delivers_after_restart(
    flow: Any, v: Any, tmp_path: Path
) -> None:
    """Eager delivery after the restart: runs on SQLite too."""
    require_redis_server()
    with_email(v.vol1.user)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with private_redis(port, tmp_path) as start, app_broker(url):
        place_with_broker_down(flow, start)
        delivery = the_email_delivery()
        assert mail.outbox == []
        start()  # Redis is back (empty: it kept nothing)
        # The beat's sweep finds the pending row and hands it to the broker.
        assert tasks.sweep_deliveries() == 1
        queued = redis.Redis(port=port).llen("celery")
        assert queued == 1
    # A worker would run the queued task; eagerly here.
    assert tasks.deliver.delay(delivery.pk).get() == DeliveryStatus.SENT
    assert tasks.deliver.delay(delivery.pk).get() == "skipped"  # a duplicate run
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert [m.to for m in mail.outbox] == [[v.vol1.user.email]]
    assert services.deliveries_due() == []


def test_broker_down_then_a_worker_delivers_once_after_restart(
    flow: Any, v: Any, tmp_path: Path
) -> None:
    """The same fault end to end: the sweep re-enqueues, a real worker delivers."""
    require_worker_setup()
    require_redis_server()
    with_email(v.vol1.user)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    with private_redis(port, tmp_path) as start, app_broker(url):
        place_with_broker_down(flow, start)
        delivery = the_email_delivery()
        start()
        with celery_worker(url, mail_dir, log):
            assert tasks.sweep_deliveries() == 1
            wait_for(
                lambda: Delivery.objects.filter(
                    pk=delivery.pk, status=DeliveryStatus.SENT
                ).exists(),
                "the worker did not deliver after the broker came back",
                log,
            )
            assert tasks.sweep_deliveries() == 0
        messages = mail_files(mail_dir)
        assert [m["To"] for m in messages] == [v.vol1.user.email]
        assert messages[0]["Subject"] == "新派单：助老上门服务"
        delivery.refresh_from_db()
        assert delivery.attempts == 1
