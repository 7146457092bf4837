"""A WSGI app for tests/deploy/test_gunicorn_worker.py: each request computes for about
10 ms holding the GIL (as rendering a page does) and answers its worker's process id;
``/slow`` waits a second first (a request stuck on a slow query)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/slow":
        time.sleep(1.0)
    end = time.perf_counter() + 0.01
    while time.perf_counter() < end:
        pass
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
