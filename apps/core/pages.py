"""Page plumbing shared by every app's views: service errors onto forms, paging."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import HttpRequest

from .errors import DomainError

PAGE_SIZE = 20


def add_service_errors(
    form: forms.Form, exc: ValidationError | DomainError, field_map: dict[str, str] | None = None
) -> None:
    """Put a service's errors on ``form``: field errors on their fields (renamed by
    ``field_map``), anything else at the top of the form."""
    field_map = field_map or {}
    if isinstance(exc, DomainError):
        form.add_error(None, exc.message)
        return
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, messages in exc.message_dict.items():
        target = field_map.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)


def paginate(request: HttpRequest, qs: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
