"""/healthz: is the database reachable, the Celery broker, and is beat ticking?

``/healthz`` reports everything, 200 when all is well and 503 otherwise (monitoring, the
production smoke test). ``/healthz?scope=web`` checks only what a web process needs to
answer pages — the database — so the web container is not marked unhealthy, and the
proxy not held back, because Redis or beat is down (pages degrade without them).

``HealthzMiddleware`` answers both before host validation: the container health check
probes ``http://localhost:8000/healthz`` whatever ``ALLOWED_HOSTS`` holds. Nothing else
is served that way, and the answer carries no data beyond these few words.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from . import heartbeat


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "eager"  # embedded default: tasks run in-process, no broker needed
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _beat(broker: str) -> str:
    if not settings.REDIS_URL:
        return "off"  # embedded default: no beat, nothing periodic runs
    if broker != "ok":
        return "unknown: broker down"
    return heartbeat.status(settings.REDIS_URL, settings.BEAT_STALE_SECONDS)


def _fine(name: str, value: str) -> bool:
    return value in ("ok", "eager", "off") or (name == "beat" and value.startswith("ok:"))


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    if request.GET.get("scope") != "web":
        checks["broker"] = _broker()
        checks["beat"] = _beat(checks["broker"])
    healthy = all(_fine(name, value) for name, value in checks.items())
    response = JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthzMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
