"""Beat's heartbeat: proof that the one beat process is alive and ticking.

``HeartbeatScheduler`` (``CELERY_BEAT_SCHEDULER``) is Celery's persistent scheduler that
also writes the time of every tick to Redis; beat wakes at least every
``CELERY_BEAT_MAX_LOOP_INTERVAL`` seconds, so a live beat's heartbeat is never older.
``/healthz`` reports its age ("ok: last ran 12 s ago", or "stale: …"), and beat's
container health check is ``python -m practice_portal.heartbeat`` (exit 0 when fresh),
which reads only ``REDIS_URL`` and ``BEAT_STALE_SECONDS`` and needs no Django.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

import redis
from celery.beat import PersistentScheduler

log = logging.getLogger(__name__)

KEY = "portal:beat:heartbeat"
# Reading or writing the heartbeat never waits long on a Redis that stopped answering.
_TIMEOUT = 0.5


def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT)


def write(url: str, now: float | None = None) -> None:
    # Kept a day: a beat stopped for longer reads "never ran" rather than a huge age.
    _client(url).set(KEY, f"{time.time() if now is None else now:.3f}", ex=86400)


def age(url: str, now: float | None = None) -> float | None:
    """Seconds since beat's last tick, or None if no heartbeat is recorded.
    Raises redis errors when Redis cannot be read."""
    raw = _client(url).get(KEY)
    if raw is None:
        return None
    return max(0.0, (time.time() if now is None else now) - float(raw))


def status(url: str, stale_after: float) -> str:
    """``ok: last ran N s ago``, ``stale: last ran N s ago``, ``never ran`` or ``error: …``."""
    try:
        seconds = age(url)
    except (redis.RedisError, ValueError) as exc:
        return f"error: {exc.__class__.__name__}"
    if seconds is None:
        return "never ran"
    state = "ok" if seconds <= stale_after else "stale"
    return f"{state}: last ran {seconds:.0f} s ago"


class HeartbeatScheduler(PersistentScheduler):
    def tick(self, *args: Any, **kwargs: Any) -> float:
        delay = super().tick(*args, **kwargs)
        url = self.app.conf.broker_url
        if url and url.startswith(("redis://", "rediss://", "unix://")):
            try:
                write(url)
            except redis.RedisError as exc:  # beat keeps scheduling; /healthz shows the age
                log.warning("beat heartbeat not written: %s", exc)
        return delay


def main() -> int:
    url = os.environ.get("REDIS_URL", "")
    stale_after = float(os.environ.get("BEAT_STALE_SECONDS", "120"))
    if not url:
        print("REDIS_URL is not set: no beat runs in the embedded default")
        return 1
    result = status(url, stale_after)
    print(f"beat {result}")
    return 0 if result.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
