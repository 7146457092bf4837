"""Order and menu reads, always scoped by the caller.

List selectors fetch their relations with ``select_related``/``prefetch_related`` so
the number of queries does not depend on the number of rows; the dispatch ranking is
computed in SQL (annotations, correlated subqueries), never by a query per volunteer
or per order.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    Case,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.lookups import IdList  # and registers __any_of
from apps.core.types import Id
from apps.sites.models import Site
from apps.sites.scoping import (
    held_roles,
    is_global,
    managed_paths,
    path_q,
    scope_queryset,
)

from .models import (
    AssessmentQueue,
    AssignmentStatus,
    OrderAssignment,
    OrderEvent,
    OrderPhoto,
    OrderStatus,
    ServiceItem,
    ServiceOrder,
)
from .ranking import attach_suggestions, dispatch_suggestions  # noqa: F401  (the API)
from .services import UNCONTESTED_MIN_SCORE, order_visible_to, uncontested_reason

S = OrderStatus
A = AssignmentStatus
OPEN_STATUSES = [S.SUBMITTED, S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE]


# --- menu --------------------------------------------------------------------------------
def menu_for_site(site: Site) -> QuerySet[ServiceItem]:
    """The menu at ``site``: active items published by it or any ancestor (one query,
    the ancestor ids come from the materialised path). The point's own items first."""
    return (
        ServiceItem.objects.filter(site_id__in=site.ancestor_ids(), is_active=True)
        .select_related("site")
        .order_by("-site__depth", "category", "title")
    )


def service_item_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[ServiceItem]:
    """Items ``fetched_by`` manages (menu management), including inactive ones."""
    filters = filters or {}
    qs = scope_queryset(ServiceItem.objects.select_related("site"), fetched_by)
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("active") is not None:
        qs = qs.filter(is_active=filters["active"])
    if filters.get("q"):
        qs = qs.filter(title__icontains=str(filters["q"]).strip())
    return qs.order_by("site__path", "category", "title")


def access_service_item(user: User | AnonymousUser, item_id: Id) -> ServiceItem:
    """An item ``user`` manages; otherwise NotFoundError."""
    try:
        item = ServiceItem.objects.select_related("site").get(pk=int(item_id))
    except (ServiceItem.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("服务项目不存在。"), code="not_found") from None
    if not scope_queryset(ServiceItem.objects.filter(pk=item.pk), user).exists():
        raise NotFoundError(gettext("服务项目不存在。"), code="not_found")
    return item


# --- orders -------------------------------------------------------------------------------
def _visible_q(user: User) -> Q:
    """Residents their own orders, volunteers their assignments, staff their subtree.

    One query reads the ids of the sites the user manages and of the orders the user
    is assigned to, so the filter is plain indexed columns (``site_id IN (…)``,
    ``resident_id``, ``placed_by_id``, ``id IN (…)``): PostgreSQL can combine their
    indexes, and estimates how many rows match, instead of testing a path join and a
    correlated subquery on every order.

    Terms that cannot match are left out: no own orders, no assignments, no sites.
    When the user manages every site (a county's administrators, in a one-county
    deployment), every order is visible and there is no filter at all: the same query
    compares the counts and sends no ids (a list of a thousand would only cost the
    planner time)."""
    if is_global(user):
        return Q()
    paths = managed_paths(user)
    path_sql = " OR ".join(["path LIKE %s"] * len(paths)) or "1 = 0"
    with connection.cursor() as cur:
        cur.execute(
            f"WITH s AS (SELECT id FROM sites_site WHERE {path_sql}),"
            " every AS (SELECT EXISTS (SELECT 1 FROM s)"
            " AND (SELECT COUNT(*) FROM s) = (SELECT COUNT(*) FROM sites_site) AS yes)"
            " SELECT 'every', 0 FROM every WHERE yes"
            " UNION ALL SELECT 's', id FROM s WHERE NOT (SELECT yes FROM every)"
            " UNION ALL SELECT 'a', a.order_id FROM orders_orderassignment a"
            " JOIN volunteers_volunteer v ON v.id = a.volunteer_id WHERE v.user_id = %s"
            " UNION ALL (SELECT 'o', id FROM orders_serviceorder"
            " WHERE resident_id = %s OR placed_by_id = %s LIMIT 1)",
            [*(p + "%" for p in paths), user.pk, user.pk, user.pk],
        )
        rows = cur.fetchall()
    if any(kind == "every" for kind, _ in rows):
        return Q()
    site_ids = [i for kind, i in rows if kind == "s"]
    assigned = [i for kind, i in rows if kind == "a"]
    terms = []
    # Someone with no order of their own (most staff) has no such term: with only the
    # site left, a village's list is read from its site's index, in order.
    if any(kind == "o" for kind, _ in rows):
        terms += [Q(resident=user), Q(placed_by=user)]
    if assigned:
        terms.append(Q(pk__any_of=IdList(assigned)))
    if site_ids:
        terms.append(Q(site_id__any_of=IdList(site_ids)))  # one parameter
    if not terms:
        return Q(pk__in=[])
    return reduce(operator.or_, terms)


def _list_relations(qs: QuerySet[ServiceOrder]) -> QuerySet[ServiceOrder]:
    # volunteer__site: the mobile-number policy reads the volunteer's site.
    assignments = OrderAssignment.objects.select_related("volunteer", "volunteer__site").order_by(
        "assigned_at", "pk"
    )
    return qs.select_related("service", "site", "handling_site", "resident").prefetch_related(
        Prefetch("assignments", queryset=assignments)
    )


def order_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[ServiceOrder]:
    """Orders visible to ``fetched_by``, newest first. Filters: status (one or a comma
    list), site (that site and below), service, date_from / date_to (local dates of
    placement), mine (only those the user ordered)."""
    filters = filters or {}
    if isinstance(fetched_by, AnonymousUser) or not fetched_by.is_authenticated:
        return ServiceOrder.objects.none()
    qs = ServiceOrder.objects.filter(_visible_q(fetched_by))
    if filters.get("mine"):
        qs = qs.filter(resident=fetched_by)
    statuses = filters.get("status")
    if statuses:
        if isinstance(statuses, str):
            statuses = [s for s in statuses.split(",") if s]
        qs = qs.filter(status__in=statuses)
    if filters.get("site"):
        site = Site.objects.filter(pk=filters["site"]).only("path").first()
        qs = qs.filter(site__path__startswith=site.path) if site else qs.none()
    if filters.get("service"):
        qs = qs.filter(service_id=filters["service"])
    if filters.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(filters["date_to"]) + dt.timedelta(days=1))
    return _list_relations(qs).order_by("-created_at", "-pk")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def with_timeline(qs: QuerySet[ServiceOrder]) -> QuerySet[ServiceOrder]:
    """Add the event timeline (one query for the whole page)."""
    return qs.prefetch_related(
        Prefetch(
            "events",
            queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk"),
        )
    )


def access_order(user: User | AnonymousUser, order_id: Id) -> ServiceOrder:
    """The order with its timeline, assignments and photos if ``user`` may see it;
    otherwise NotFoundError (not yours answers like not there)."""
    try:
        order = (
            ServiceOrder.objects.select_related(
                "service",
                "service__site",
                "site",
                "handling_site",
                "resident",
                "placed_by",
                "assessed_by",
            )
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=OrderEvent.objects.select_related("actor").order_by(
                        "created_at", "pk"
                    ),
                ),
                Prefetch(
                    "assignments",
                    queryset=OrderAssignment.objects.select_related(
                        "volunteer", "volunteer__site"
                    ).order_by("assigned_at", "pk"),
                ),
                Prefetch("photos", queryset=OrderPhoto.objects.order_by("created_at", "pk")),
            )
            .get(pk=int(order_id))
        )
    except (ServiceOrder.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("订单不存在。"), code="not_found") from None
    if not order_visible_to(order, user):
        raise NotFoundError(gettext("订单不存在。"), code="not_found")
    return order


def access_photo(user: User | AnonymousUser, photo_id: Id) -> OrderPhoto:
    """A service photo if ``user`` may see its order (the same rule as the order
    itself); otherwise NotFoundError, for anonymous visitors too."""
    try:
        photo = OrderPhoto.objects.select_related("order", "order__site").get(pk=int(photo_id))
    except (OrderPhoto.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("照片不存在。"), code="not_found") from None
    if not order_visible_to(photo.order, user):
        raise NotFoundError(gettext("照片不存在。"), code="not_found")
    return photo


def my_tasks(user: User, *, open_only: bool = False) -> QuerySet[OrderAssignment]:
    """A volunteer's assignments: waiting for an answer first, then the work in hand,
    then the rest, newest first within each group."""
    qs = OrderAssignment.objects.filter(volunteer__user=user).select_related(
        "order",
        "order__service",
        "order__site",
        "order__handling_site",
        "order__resident",
        "volunteer",
    )
    if open_only:
        qs = qs.filter(Q(status=A.ASSIGNED) | Q(status=A.ACCEPTED, checked_out_at__isnull=True))
    rank = Case(
        When(status=A.ASSIGNED, then=Value(0)),
        When(status=A.ACCEPTED, checked_out_at__isnull=True, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank).order_by("rank", "-assigned_at", "-pk")


def assessment_queue(*, fetched_by: User | AnonymousUser) -> QuerySet[ServiceOrder]:
    """Finished orders waiting for ``fetched_by``'s assessment: the township queue for
    township and county staff in scope, the complaints (county queue) for county staff.
    Complaints first, then the oldest completion."""
    qs = ServiceOrder.objects.filter(status__in=[S.COMPLETED, S.RATED]).exclude(
        assessment_queue=AssessmentQueue.NONE
    )
    if not is_global(fetched_by):
        allowed = Q(pk__in=[])
        for r in held_roles(fetched_by):
            if r.role not in ("staff", "county_admin"):
                continue
            if r.site_level == "county":
                allowed |= Q(site__path__startswith=r.site_path)
            elif r.site_level == "township":
                allowed |= Q(
                    site__path__startswith=r.site_path, assessment_queue=AssessmentQueue.TOWNSHIP
                )
        qs = qs.filter(allowed)
    disputed_first = Case(
        When(assessment_queue=AssessmentQueue.COUNTY, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        _list_relations(qs).annotate(q_rank=disputed_first).order_by("q_rank", "completed_at", "pk")
    )


def board_orders(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[ServiceOrder]:
    """The dispatch board: orders of ``fetched_by``'s subtree, oldest first.

    Filters: status (default: all open ones), age_hours (waiting at least that long),
    nudged. Orders waiting for dispatch at a site ``fetched_by`` handles are marked
    (``suggest``); ``attach_suggestions`` ranks volunteers for the marked rows of a
    page, once per row, in one statement."""
    filters = filters or {}
    qs = scope_queryset(ServiceOrder.objects.all(), fetched_by, site_field="site")
    statuses = filters.get("status") or OPEN_STATUSES
    if isinstance(statuses, str):
        statuses = [s for s in statuses.split(",") if s]
    qs = qs.filter(status__in=statuses)
    if filters.get("age_hours"):
        qs = qs.filter(
            created_at__lte=timezone.now() - dt.timedelta(hours=int(filters["age_hours"]))
        )
    if filters.get("nudged"):
        qs = qs.filter(last_nudged_at__isnull=False)
    if filters.get("overdue"):
        qs = qs.filter(overdue_at__isnull=False)
    if filters.get("site"):
        site = Site.objects.filter(pk=filters["site"]).only("path").first()
        qs = qs.filter(site__path__startswith=site.path) if site else qs.none()

    # Which rows get suggestions: waiting for dispatch at a site this user handles.
    if is_global(fetched_by):
        dispatchable = Q(status=S.SUBMITTED)
    else:
        paths = managed_paths(fetched_by)
        dispatchable = Q(status=S.SUBMITTED) & path_q(paths, "handling_site")
    suggest = Case(When(dispatchable, then=Value(1)), default=Value(0), output_field=IntegerField())
    return _list_relations(qs).annotate(suggest=suggest).order_by("created_at", "pk")


def assessment_uncontested(*, fetched_by: User | AnonymousUser, limit: int) -> list[ServiceOrder]:
    """The uncontested orders of ``fetched_by``'s assessment queue (rated ≥ 4, no
    complaint, hours within the measured time), oldest completion first, at most
    ``limit``, none that ``fetched_by`` served on: what 批量考核 offers. Three queries whatever the number."""
    candidates = assessment_queue(fetched_by=fetched_by).filter(
        status=S.RATED,
        score__gte=UNCONTESTED_MIN_SCORE,
        assessment_queue=AssessmentQueue.TOWNSHIP,
        disputed_at__isnull=True,
    )
    if isinstance(fetched_by, User):  # nobody assesses an order they served on
        candidates = candidates.exclude(assignments__volunteer__user=fetched_by)
    rows = list(candidates[: limit * 2])  # a margin for the few failing the hours check
    return [o for o in rows if uncontested_reason(o) is None][:limit]
