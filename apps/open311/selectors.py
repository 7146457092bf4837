"""Reads for Open311: a jurisdiction's menu, a service's definition, requests as the
spec shows them. Each list is a fixed number of queries whatever its length."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext

from apps.orders.models import (
    MAX_VOLUNTEERS_PER_ORDER,
    OrderEvent,
    OrderStatus,
    ServiceItem,
    ServiceOrder,
    order_status_label,
)
from apps.orders.timeline import WITH_NOTE, event_text
from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory

from .models import ApiKey
from .render import iso

OPEN_STATUSES = (
    OrderStatus.SUBMITTED,
    OrderStatus.DISPATCHED,
    OrderStatus.ACCEPTED,
    OrderStatus.IN_SERVICE,
)
CATEGORY_LABELS = dict(ServiceCategory.choices)


def open311_status(status: str) -> str:
    """open while someone still has to act; closed once served, cancelled or rejected."""
    return "open" if status in OPEN_STATUSES else "closed"


def site_by_code(code: str) -> Site | None:
    return Site.objects.filter(code=code, is_active=True).first() if code else None


def default_jurisdiction() -> Site | None:
    """The county center when the deployment has exactly one."""
    roots = list(Site.objects.filter(parent__isnull=True, is_active=True)[:2])
    return roots[0] if len(roots) == 1 else None


def menu(jurisdiction: Site) -> QuerySet[ServiceItem]:
    """What can be ordered in ``jurisdiction``: the active items published at it or
    above (on every point's menu below it) and those published inside its subtree."""
    return (
        ServiceItem.objects.filter(is_active=True)
        .filter(
            Q(site_id__in=jurisdiction.ancestor_ids()) | Q(site__path__startswith=jurisdiction.path)
        )
        .select_related("site")
        .order_by("category", "title", "id")
    )


def service_row(item: ServiceItem) -> dict[str, Any]:
    group = str(CATEGORY_LABELS.get(item.category, item.category))
    return {
        "service_code": str(item.pk),
        "service_name": item.title,
        "description": item.description,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join([group, item.site.name]),
        "group": group,
    }


# The order form's extra fields, as GeoReport attributes (the definition of every
# service). ``request_id`` is the integrator's own id: a repeat returns the first request.
def definition(item: ServiceItem) -> dict[str, Any]:
    def attr(order: int, code: str, datatype: str, description: str, **extra: Any) -> dict:
        return {
            "variable": True,
            "code": code,
            "datatype": datatype,
            "required": False,
            "datatype_description": extra.pop("datatype_description", ""),
            "order": order,
            "description": description,
            **extra,
        }

    needed = [{"key": str(n), "name": str(n)} for n in range(1, MAX_VOLUNTEERS_PER_ORDER + 1)]
    return {
        "service_code": str(item.pk),
        "attributes": [
            attr(
                1,
                "preferred_start",
                "datetime",
                gettext("期望开始时间（默认：现在）"),
                datatype_description="ISO 8601, e.g. 2026-12-05T09:00:00+08:00",
            ),
            attr(
                2,
                "preferred_end",
                "datetime",
                gettext("期望结束时间（默认：开始时间加上服务预计时长）"),
                datatype_description="ISO 8601",
            ),
            attr(
                3,
                "volunteers_needed",
                "singlevaluelist",
                gettext("需要志愿者人数（默认：%(n)s）") % {"n": item.volunteers_needed},
                values=needed,
            ),
            attr(4, "address_detail", "string", gettext("门牌、楼栋等地址详情")),
            attr(
                5,
                "request_id",
                "string",
                gettext("接入方自己的请求编号：重复提交返回第一次的请求"),
                datatype_description="1-100 characters",
            ),
        ],
    }


def requests_for(
    jurisdiction: Site,
    *,
    ids: list[int] | None = None,
    service_codes: list[int] | None = None,
    statuses: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> QuerySet[ServiceOrder]:
    """Orders of points in ``jurisdiction``, newest first, with what a row shows (the
    service, the handling site, the Open311 request, the timeline) in fixed queries."""
    qs = ServiceOrder.objects.filter(site__path__startswith=jurisdiction.path)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    else:
        if service_codes:
            qs = qs.filter(service_id__in=service_codes)
        if statuses and set(statuses) != {"open", "closed"}:
            if statuses == ["open"]:
                qs = qs.filter(status__in=OPEN_STATUSES)
            else:
                qs = qs.exclude(status__in=OPEN_STATUSES)
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lte=end)
    return (
        qs.select_related("service", "handling_site", "open311_request")
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id"))
        )
        .order_by("-created_at", "-id")
    )


def request_row(order: ServiceOrder, viewer_key: ApiKey | None) -> dict[str, Any]:
    """One request as the spec lists it. The integrator that placed it sees what it
    sent (address, coordinates, media URL) and the timeline a resident reads; anyone
    else sees no personal data: the status, the service, the times, the handling site."""
    placed: Any = getattr(order, "open311_request", None)
    own = placed is not None and viewer_key is not None and placed.key_id == viewer_key.pk
    events: Iterable[OrderEvent] = order.events.all()
    label = order_status_label(order.status)
    notes = label
    if own:
        texts = [t for t in (event_text(e) for e in events) if t]
        notes = gettext(WITH_NOTE) % {"text": label, "note": texts[-1]} if texts else label
    return {
        "service_request_id": str(order.pk),
        "status": open311_status(order.status),
        "status_notes": notes,
        "service_name": order.service.title,
        "service_code": str(order.service_id),
        "description": (placed.description or order.note) if own else "",
        "agency_responsible": order.handling_site.name,
        "service_notice": label,
        "requested_datetime": iso(order.created_at),
        "updated_datetime": iso(order.status_changed_at),
        "expected_datetime": iso(order.preferred_start),
        "address": order.address if own else "",
        "address_id": "",
        "zipcode": "",
        "lat": str(placed.lat) if own and placed.lat is not None else "",
        "long": str(placed.long) if own and placed.long is not None else "",
        "media_url": placed.media_url if own else "",
    }
