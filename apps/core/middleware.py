"""Request hygiene at the edge: input no layer below can store.

PostgreSQL text cannot hold a NUL character, so a ``%00`` in a query string, a path or
a form/JSON body would reach the database and fail there as a server error. Such
requests answer 400 ``invalid_characters`` before any view runs (problem JSON under
/api/, a plain 400 page elsewhere). The per-parameter rules (ranges, formats) live in
``apps.core.params``; this is the one check every request gets.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.db import DataError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/")


def _bad(request: HttpRequest, code: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        raw_path = request.META.get("PATH_INFO", "")
        if "\x00" in raw_path or b"\x00" in unquote_to_bytes(query):
            return _bad(request, "invalid_characters", "请求中含有不允许的字符（NUL）。")
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(_BODY_TYPES):
            body = request.body  # read once; Django caches it for the parsers
            if content_type.startswith("application/x-www-form-urlencoded"):
                body = unquote_to_bytes(body)
            if b"\x00" in body or b"\\u0000" in body:
                return _bad(request, "invalid_characters", "请求中含有不允许的字符（NUL）。")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # Backstop for pages (the API has its exception handler): a value the database
        # cannot hold (a number or date out of its range) is the client's error.
        if isinstance(exception, DataError | OverflowError):
            return _bad(request, "invalid_value", "请求中的数值或日期超出范围。")
        return None
