"""Page plumbing shared by every app's views: service errors onto forms, paging."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

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


# Up to this many rows a list's total is exact; above it, PostgreSQL's estimate. (An
# exact count costs a read of every row it counts: a village's year of orders is
# ~5,000 rows, a county's millions.)
EXACT_COUNT_UP_TO = 1_000
# How long the estimate of a list known to be longer than that is reused.
ESTIMATE_CACHE_SECONDS = 60


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts millions of rows to print a total.

    The count is exact up to ``EXACT_COUNT_UP_TO`` (``COUNT(*)`` over the first that
    many + 1 rows, so it stops early); beyond that it is the planner's estimate of the
    filtered rows (``EXPLAIN``, nothing executed), never below the exact bound, and that
    estimate is kept in the cache for ``ESTIMATE_CACHE_SECONDS`` under the hash of the
    list's SQL and parameters (so per viewer and filter): the next page of a long list
    costs no counting at all. Pages and their links work the same; a page past the real
    end of an over-estimated list is empty. Other databases (SQLite) count exactly."""

    def __init__(self, object_list: Any, per_page: int, *args: Any, **kwargs: Any) -> None:
        # values: read each page as these columns (``QuerySet.values``) while the count
        # is taken on the queryset as given, without the joins the columns would add.
        self.values: tuple[str, ...] | None = kwargs.pop("values", None)
        super().__init__(object_list, per_page, *args, **kwargs)

    def page(self, number: Any) -> Page:
        page = super().page(number)
        if self.values:  # the same slice, read as columns
            page.object_list = page.object_list.values(*self.values)  # type: ignore[attr-defined]
        return page

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not isinstance(qs, QuerySet) or connections[qs.db].vendor != "postgresql":
            return super().count
        ids = qs.order_by().values("pk")
        try:
            sql, params = ids.query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing by construction
            return 0
        key = "pages:estimate:" + hashlib.sha256(repr((qs.db, sql, params)).encode()).hexdigest()
        cached = cache.get(key)
        if isinstance(cached, int):
            return cached
        capped = ids[: EXACT_COUNT_UP_TO + 1].count()  # stops at the bound
        if capped <= EXACT_COUNT_UP_TO:
            return capped
        with connections[qs.db].cursor() as cur:
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cur.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimate = max(int(plan[0]["Plan"]["Plan Rows"]), capped)
        cache.set(key, estimate, ESTIMATE_CACHE_SECONDS)
        return estimate


def paginate(request: HttpRequest, qs: Any, per_page: int = PAGE_SIZE) -> Page:
    return EstimatedCountPaginator(qs, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
