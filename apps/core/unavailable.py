"""A database that is down answers 503, never a 500 or a debug page.

The API answers its problem JSON (``{"code": "service_unavailable", …}``), pages a plain
page in Chinese with ``Retry-After``. Two hooks catch the database's connection errors
(``OperationalError``: cannot connect, the server went away; ``InterfaceError``: the
connection is closed):

* ``DatabaseUnavailableMiddleware.process_exception`` for errors raised by a view, by
  template rendering, and by the session and user loaded lazily inside a view;
* ``server_error`` (the project's ``handler500``) for errors raised anywhere else — a
  middleware saving the session after the view, say — where no middleware hook runs.

Any other exception stays a 500.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30

_PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>系统维护中</title>
<style>body{font:18px/1.7 sans-serif;max-width:36em;margin:3em auto;padding:0 1em;color:#222}
h1{color:#b71c1c}</style></head>
<body><h1>系统暂时无法使用</h1>
<p>平台的数据服务暂时中断，正在恢复。请稍等片刻后刷新页面再试。</p>
<p>如有急事，请直接致电所在的新时代文明实践站。</p>
<p><a href="/">返回首页</a></p></body></html>
"""


def unavailable_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "service_unavailable", "message": "服务暂时不可用，请稍后再试。"},
            status=503,
        )
    else:
        response = HttpResponse(_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            log.error("database unavailable: %s", exception, exc_info=exception)
            return unavailable_response(request)
        return None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: Django calls it while handling the uncaught exception, so
    ``sys.exc_info()`` names it."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return unavailable_response(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "message": "服务器出错了。"}, status=500)
    return defaults.server_error(request, template_name)
