"""A Redis that is up but frozen (SIGSTOP: it accepts connections and never answers)
costs a request at most about a second, as broker or as cache, and loses nothing: the
delivery waits in the outbox and the breaker makes the next calls skip Redis at once.

A private redis-server on a port of its own (6390-6399) is frozen, never the machine's
shared one."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from apps.core.breaker import BROKER_BREAKER, CACHE_BREAKER
from apps.notifications.models import DeliveryStatus
from apps.orders.models import OrderStatus

from .conftest import with_email
from .test_celery_integration import app_broker, redis_answers, the_email_delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_redis(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("NO redis-server BINARY — FROZEN REDIS TEST NOT RUN")
    port = next((p for p in range(6390, 6400) if _free(p)), None)
    if port is None:
        pytest.skip("no free port in 6390-6399 for a private redis-server")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not redis_answers(port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.terminate()
        proc.wait(timeout=10)


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.django_db(transaction=True)  # the enqueue runs after a real commit
def test_placing_and_dispatching_with_the_broker_frozen(
    frozen_redis: str, flow: Any, v: Any, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with_email(v.vol1.user)
    from apps.notifications.outbox import enqueue_deliveries

    with app_broker(frozen_redis):
        started = time.monotonic()
        order = flow("dispatched")  # placing and dispatching: several queries, one enqueue
        elapsed = time.monotonic() - started
        assert elapsed < 2.5, f"{elapsed:.2f} s with the broker frozen"
        order.refresh_from_db()
        assert order.status == OrderStatus.DISPATCHED
        delivery = the_email_delivery()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert BROKER_BREAKER.is_open()
        # The next request does not wait for the frozen broker again.
        started = time.monotonic()
        assert enqueue_deliveries([delivery.pk]) == 0
        assert time.monotonic() - started < 0.1
        # And one enqueue that does try waits about half a second, not Redis's outage.
        BROKER_BREAKER.reset()
        started = time.monotonic()
        assert enqueue_deliveries([delivery.pk]) == 0
        elapsed = time.monotonic() - started
        assert elapsed < 1.0, f"one enqueue took {elapsed:.2f} s"
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING  # left for the sweep


def test_cache_calls_with_redis_frozen_degrade_to_misses(frozen_redis: str, settings: Any) -> None:
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": frozen_redis,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "CONNECTION_POOL_KWARGS": {
                    "connection_class": __import__(
                        "apps.core.breaker", fromlist=["FailFastConnection"]
                    ).FailFastConnection
                },
            },
        }
    }
    from django.core.cache import caches

    frozen = caches["default"]
    started = time.monotonic()
    assert frozen.get("a") is None
    first = time.monotonic() - started
    assert first < 0.9, f"first cache call took {first:.2f} s"
    assert CACHE_BREAKER.is_open()
    started = time.monotonic()
    for i in range(20):
        frozen.set(f"k{i}", i)
        assert frozen.get(f"k{i}") is None
    assert time.monotonic() - started < 0.1


def test_an_api_request_with_redis_frozen_answers_within_a_second(
    frozen_redis: str, settings: Any, api: Any, tree: Any
) -> None:
    from apps.core.breaker import FailFastConnection

    assert api.get("/api/v1/sites/").status_code == 200  # warm: URLconf and views loaded
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": frozen_redis,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "CONNECTION_POOL_KWARGS": {"connection_class": FailFastConnection},
            },
        }
    }
    started = time.monotonic()
    r = api.get("/api/v1/sites/")  # throttled: the anonymous rate lives in the cache
    elapsed = time.monotonic() - started
    assert r.status_code == 200
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    cache.close()
