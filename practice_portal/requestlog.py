"""One log line per request, with a request id every other line of that request carries.

The id comes from the proxy (nginx sends ``X-Request-ID``: the client's own if it sent a
sane one, else one nginx made) or is made here; it is answered back in the response's
``X-Request-ID`` and stamped on every log record written while the request runs
(``RequestIdFilter``), Celery tasks included (their line carries the task id instead).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

log = logging.getLogger("portal.request")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What we accept from outside: short, no spaces or control characters (it goes into
# log lines and a response header).
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


def _user_id(request: HttpRequest) -> str:
    """The signed-in user's id if this request already knows it. Never loads the
    session just to log: an unevaluated lazy user means nobody asked."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = getattr(request, "_cached_user", None)
    pk = getattr(user, "pk", None) if user is not None else None
    return str(pk) if pk is not None else "-"


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log.info(
                "request method=%s path=%s status=%s duration_ms=%.1f user=%s",
                request.method,
                request.path,
                response.status_code,
                (time.monotonic() - started) * 1000,
                _user_id(request),
            )
            return response
        finally:
            request_id_var.reset(token)
