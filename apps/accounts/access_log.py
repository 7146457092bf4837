"""Writing the personal-data access log (PIPL): every time a full mobile or ID-card
number is shown to someone other than its owner, one ``PersonalDataAccess`` row."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from apps.sites.scoping import held_roles, is_global

from .models import PersonalDataAccess, RevealedField, User


def log_reveals(
    *,
    viewer: User | AnonymousUser | None,
    field: str,
    subjects: Iterable[tuple[int | None, str]],
    source: str,
) -> int:
    """Log reveals of ``field`` to ``viewer``: ``subjects`` are (user id or None, label)
    pairs; a viewer's own data is not logged. One INSERT for all."""
    if viewer is None or isinstance(viewer, AnonymousUser) or not viewer.is_authenticated:
        return 0
    assert field in RevealedField.values
    rows = [
        (viewer.pk, subject_id, label[:100], field, source[:200])
        for subject_id, label in subjects
        if subject_id != viewer.pk
    ]
    write_access_rows(rows)
    return len(rows)


AccessRow = tuple[int, int | None, str, str, str]  # viewer, subject, label, field, source


def write_access_rows(rows: list[AccessRow]) -> None:
    """One INSERT for the rows, given as plain tuples (a list page's 50 reveals build no
    model instances). Outside any transaction (the middleware, after the response is
    ready) it commits without waiting for the WAL flush (``synchronous_commit`` off for
    this one transaction): a list page then does not pay a disk flush for its log rows,
    and the only rows a database crash could lose are those of the last fraction of a
    second (``wal_writer_delay``), never a half-written row. Inside a caller's
    transaction the rows simply join it, so an order's own commit is never made
    asynchronous."""
    if not rows:
        return
    if (
        connection.in_atomic_block
        or connection.vendor != "postgresql"
        or not connection.get_autocommit()
    ):
        PersonalDataAccess.objects.bulk_create(
            [
                PersonalDataAccess(
                    viewer_id=v, subject_id=s, subject_label=label, field=f, source=src
                )
                for v, s, label, f, src in rows
            ]
        )
        return
    table = PersonalDataAccess._meta.db_table
    now = timezone.now()
    # One round trip: the commit setting and the rows as five arrays, two statements
    # in one query, which PostgreSQL runs as one transaction of its own (an implicit
    # block: SET LOCAL holds for it, an error undoes both). Django's autocommit is on
    # here (no atomic block), so no BEGIN and COMMIT of Django's are needed.
    with connection.cursor() as cur:
        cur.execute(
            "SET LOCAL synchronous_commit TO OFF;"  # noqa: S608  (model's table; values bound)
            f" INSERT INTO {table} (viewer_id, subject_id, subject_label, field, source,"
            " created_at) SELECT v, s, l, f, src, %s FROM unnest(%s::bigint[], %s::bigint[],"
            " %s::text[], %s::text[], %s::text[]) AS r(v, s, l, f, src)",
            [now, *(list(column) for column in zip(*rows, strict=True))],
        )


def defer_reveal(
    request: Any,
    *,
    viewer: User | AnonymousUser,
    field: str,
    subject_id: int | None,
    label: str,
) -> None:
    """Queue one reveal on ``request`` (Django's or DRF's); ``AccessLogMiddleware``
    writes a request's reveals in one INSERT once the response is ready. Without a
    request the reveal is written at once."""
    django_request = getattr(request, "_request", request)
    if django_request is None or not hasattr(django_request, "path"):
        log_reveals(viewer=viewer, field=field, subjects=[(subject_id, label)], source="")
        return
    queue = django_request.__dict__.setdefault("_personal_data_reveals", [])
    queue.append((viewer, field, subject_id, label))


class AccessLogMiddleware:
    """Writes the reveals a request queued (``defer_reveal``), one INSERT per request."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        queue = request.__dict__.pop("_personal_data_reveals", None)
        if queue:
            source = request.path[:200]
            write_access_rows(
                [
                    (viewer.pk, subject_id, label[:100], field, source)
                    for viewer, field, subject_id, label in queue
                    if subject_id != viewer.pk
                ]
            )
        return response


def can_read_access_log(user: User | AnonymousUser | None) -> bool:
    """County admins (and superusers) read the log; nobody edits it."""
    if user is None or not user.is_authenticated:
        return False
    return is_global(user) or any(r.role == "county_admin" for r in held_roles(user))


def access_log_csv(rows: QuerySet[PersonalDataAccess]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="personal-data-access.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    out = csv.writer(response)
    out.writerow(["time", "viewer", "subject", "field", "source"])
    for row in rows.iterator(chunk_size=2000):
        out.writerow(
            [
                timezone.localtime(row.created_at).isoformat(),
                row.viewer.username,
                row.subject.username if row.subject else row.subject_label,
                row.field,
                row.source,
            ]
        )
    return response
