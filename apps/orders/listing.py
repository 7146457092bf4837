"""The order list's rows (``GET /api/v1/orders/``) read as columns, not model instances.

A page of 50 orders with ``select_related`` and the assignments prefetched builds
about 380 model instances and then walks them field by field through DRF; the rows
themselves are two ``values()`` queries. ``order_rows`` reads the page's columns and
the page's assignments with one query each and writes the same JSON as
``OrderSerializer``, field for field: the same labels, times in the current time zone,
hours as strings, and the same personal-data rules (``privacy.mobile_visible``, the
access log, ``volunteer_mobile_shown``). ``OrderSerializer`` stays the declared shape
(the OpenAPI schema, the detail endpoint), and ``tests/orders/test_listing.py`` checks
that both give the same output for orders in every state, seen by every role.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from rest_framework import serializers

from apps.accounts.mobile import mask_mobile
from apps.accounts.models import User, display_name_of
from apps.core.lookups import IdList  # and registers __any_of
from apps.volunteers.selectors import volunteer_mobile_shown

from .models import (
    OrderAssignment,
    ServiceOrder,
    assignment_status_label,
    measured_or_none,
    order_is_nudged,
    order_status_label,
)
from .privacy import log_contact_reveal, mobile_visible, open_assignment
from .serializers import OrderSerializer

# The order's own columns, written as they are (times converted, see ``_iso``).
_PLAIN = (
    "id",
    "status",
    "address",
    "note",
    "volunteers_needed",
    "score",
    "rating_comment",
    "assessment_queue",
)
_TIMES = (
    "preferred_start",
    "preferred_end",
    "created_at",
    "dispatched_at",
    "accepted_at",
    "started_at",
    "completed_at",
    "rated_at",
    "last_nudged_at",
    "assessed_at",
)
ORDER_COLUMNS = (
    *_PLAIN,
    *_TIMES,
    "service_id",
    "service__title",
    "site_id",
    "site__name",
    "site__path",
    "handling_site_id",
    "handling_site__name",
    "handling_site__level",
    "resident_id",
    "resident__real_name",
    "resident__first_name",
    "resident__last_name",
    "resident__username",
    "placed_by_id",
    "contact_mobile",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "order_id",
    "volunteer_id",
    "volunteer__real_name",
    "volunteer__mobile",
    "volunteer__user_id",
    "status",
    "assigned_at",
    "responded_at",
    "decline_reason",
    "checked_in_at",
    "checked_out_at",
    "reported_hours",
    "confirmed_hours",
    "summary",
)
_HOURS = serializers.DecimalField(max_digits=4, decimal_places=1)


def for_rows(qs: QuerySet[ServiceOrder]) -> QuerySet[ServiceOrder]:
    """The list's queryset (``selectors.order_list``) without its relations: read it
    with ``.values(*ORDER_COLUMNS)`` (pages: ``paginate_queryset(values=…)``)."""
    return qs.prefetch_related(None).select_related(None)


def order_values(qs: QuerySet[ServiceOrder]) -> QuerySet[Any]:
    """The list's queryset as the columns ``order_rows`` reads."""
    return for_rows(qs).values(*ORDER_COLUMNS)


def _iso(value: datetime | None, tz: Any) -> str | None:
    """``DateTimeField.to_representation``: ISO 8601 in the current time zone."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _hours(value: Any) -> str | None:
    return None if value is None else _HOURS.to_representation(value)


def _assignment(a: dict[str, Any], viewer: User | AnonymousUser | None, tz: Any) -> dict[str, Any]:
    measured = measured_or_none(a["checked_in_at"], a["checked_out_at"])
    return {
        "id": a["id"],
        "volunteer": a["volunteer_id"],
        "volunteer_name": a["volunteer__real_name"],
        "volunteer_mobile": volunteer_mobile_shown(
            viewer, a["volunteer__user_id"], a["volunteer__mobile"]
        ),
        "status": a["status"],
        "status_display": assignment_status_label(a["status"]),
        "assigned_at": _iso(a["assigned_at"], tz),
        "responded_at": _iso(a["responded_at"], tz),
        "decline_reason": a["decline_reason"],
        "checked_in_at": _iso(a["checked_in_at"], tz),
        "checked_out_at": _iso(a["checked_out_at"], tz),
        "reported_hours": _hours(a["reported_hours"]),
        "measured_hours": _hours(measured),
        "hours_differ": measured is not None and a["reported_hours"] != measured,
        "confirmed_hours": _hours(a["confirmed_hours"]),
        "summary": a["summary"],
    }


def _holds_open(assignments: list[dict[str, Any]], viewer_pk: int | None) -> bool:
    return any(
        a["volunteer__user_id"] == viewer_pk and open_assignment(a["status"], a["checked_out_at"])
        for a in assignments
    )


def order_rows(rows: list[dict[str, Any]], *, request: Any) -> list[dict[str, Any]]:
    """``OrderSerializer(many=True).data`` for a page of ``order_values`` rows: one
    query for the page's assignments."""
    viewer = getattr(request, "user", None)
    if isinstance(viewer, SimpleLazyObject):  # read it once, not through the proxy per row
        viewer.pk  # noqa: B018  (evaluates the lazy object)
        viewer = viewer._wrapped  # type: ignore[attr-defined]
    tz = timezone.get_current_timezone()
    by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if rows:
        assignments = (
            OrderAssignment.objects.filter(order_id__any_of=IdList([r["id"] for r in rows]))
            .order_by("assigned_at", "pk")
            .values(*ASSIGNMENT_COLUMNS)
        )
        for a in assignments:
            by_order[a["order_id"]].append(a)
    out = []
    for r in rows:
        mine = by_order.get(r["id"], [])
        viewer_pk = getattr(viewer, "pk", None)
        visible = mobile_visible(
            viewer,
            resident_id=r["resident_id"],
            placed_by_id=r["placed_by_id"],
            site_path=r["site__path"],
            status=r["status"],
            holds_open_assignment=partial(_holds_open, mine, viewer_pk),
        )
        if visible:
            log_contact_reveal(request, viewer, r["id"], r["resident_id"])
            mobile = r["contact_mobile"]
        else:
            mobile = mask_mobile(r["contact_mobile"])
        item: dict[str, Any] = {name: r[name] for name in _PLAIN}
        item.update({name: _iso(r[name], tz) for name in _TIMES})
        item.update(
            service=r["service_id"],
            service_title=r["service__title"],
            site=r["site_id"],
            site_name=r["site__name"],
            handling_site={
                "id": r["handling_site_id"],
                "name": r["handling_site__name"],
                "level": r["handling_site__level"],
            },
            resident={
                "id": r["resident_id"],
                "name": display_name_of(
                    r["resident__real_name"],
                    r["resident__first_name"],
                    r["resident__last_name"],
                    r["resident__username"],
                ),
            },
            status_display=order_status_label(r["status"]),
            contact_mobile=mobile,
            nudged=order_is_nudged(r["status"], r["last_nudged_at"]),
            assignments=[_assignment(a, viewer, tz) for a in mine],
        )
        out.append({name: item[name] for name in _FIELD_ORDER})
    return out


# The serializer's field order, so the JSON reads the same.
_FIELD_ORDER = tuple(OrderSerializer.Meta.fields)
