"""Fail fast on a Redis that stopped answering.

A frozen Redis (up but silent: a full disk, a stuck failover) accepts TCP connections
and then never replies, so every call waits for its socket timeout. One request may
touch Redis several times (throttle counters read and written, the after-commit
enqueue), and every gunicorn thread pays the same wait. A ``Breaker`` remembers, per
process, that a dependency failed a moment ago: for ``cooldown`` seconds callers skip
it at once (a cache miss, work left in the outbox) instead of waiting again.

``FailFastConnection`` is the redis-py connection class the Django cache uses
(``CONNECTION_POOL_KWARGS``): a timeout or refused connection trips ``CACHE_BREAKER``,
and while it is open no command is sent. django-redis then turns the error into a
cache miss (``IGNORE_EXCEPTIONS``).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class Breaker:
    """Open for ``cooldown`` seconds after ``trip()``. Thread-safe; per process."""

    def __init__(self, name: str, cooldown: float) -> None:
        self.name = name
        self.cooldown = cooldown
        self._open_until = 0.0
        self._lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


# Five seconds: long enough that a burst of requests pays one timeout, short enough that
# a recovered Redis is used again almost at once.
_COOLDOWN = float(os.environ.get("REDIS_BREAKER_SECONDS", "5"))
CACHE_BREAKER = Breaker("cache", _COOLDOWN)
BROKER_BREAKER = Breaker("broker", _COOLDOWN)


class FailFastConnection(redis.Connection):
    breaker = CACHE_BREAKER

    def _skip_if_open(self) -> None:
        if self.breaker.is_open():
            self.disconnect()
            raise RedisConnectionError(f"{self.breaker.name}: Redis failed moments ago, skipped")

    def connect(self) -> None:
        self._skip_if_open()
        try:
            super().connect()
        except (RedisConnectionError, RedisTimeoutError):
            self.breaker.trip()
            raise

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        self._skip_if_open()
        try:
            super().send_packed_command(command, check_health)
        except (RedisConnectionError, RedisTimeoutError):
            self.breaker.trip()
            raise

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError):
            self.breaker.trip()
            raise
