"""API plumbing shared by every app: pagination and the problem-style error body."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import DomainError
from .pages import EstimatedCountPaginator

# Viewsets set ``lookup_value_regex = NUMERIC_ID``: a non-numeric id in a path (``abc``,
# ``null,null``) matches no route and answers 404, never reaches a query.
NUMERIC_ID = r"[0-9]{1,19}"


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pages; ``count`` is exact up to 1,000 rows, PostgreSQL's estimate
    above (``EstimatedCountPaginator``)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
    _values: tuple[str, ...] | None = None

    def django_paginator_class(self, queryset: Any, page_size: int) -> EstimatedCountPaginator:  # type: ignore[override]
        return EstimatedCountPaginator(queryset, page_size, values=self._values)

    def paginate_queryset(
        self, queryset: Any, request: Any, view: Any = None, *, values: Any = None
    ) -> Any:
        """``values``: columns to read the page as (dicts), the count taken without them."""
        self._values = tuple(values) if values else None
        return super().paginate_queryset(queryset, request, view)


_STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def _message_from(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _message_from(detail[0])
    if isinstance(detail, dict) and detail:
        return _message_from(next(iter(detail.values())))
    return str(detail)


def problem_response(
    status_code: int, code: str, message: str, errors: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error as ``{"code": <stable>, "message": <human>, "errors": {field: [...]}}``."""
    if isinstance(exc, DomainError):
        return problem_response(exc.status_code, exc.code, exc.message, exc.errors)
    if isinstance(exc, DjangoValidationError):
        errors: dict[str, Any] = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return problem_response(400, "invalid", _message_from(errors), errors)
    if isinstance(exc, DataError | OverflowError):
        # Backstop: a value the database cannot hold (a number or a date past its
        # range) is the client's error; apps.core.params refuses most before this.
        return problem_response(400, "invalid_value", "请求中的数值或日期超出范围。")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail: Any = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {"code": "invalid", "message": _message_from(fields), "errors": fields}
        return response
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes()
        if not isinstance(code, str):
            code = _STATUS_CODES.get(response.status_code, "error")
        response.data = {"code": code, "message": _message_from(exc.detail)}
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            response.data["retry_after"] = int(wait)
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's ``handler404``: an unknown URL under /api/ answers problem JSON like
    every other API error; pages keep the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "未找到。"}, status=404)
    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


__all__ = [
    "NUMERIC_ID",
    "PageNumberPagination",
    "page_not_found",
    "problem_exception_handler",
    "problem_response",
    "status",
]
