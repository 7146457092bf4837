"""Order and menu reads, always scoped by the caller.

List selectors fetch their relations with ``select_related``/``prefetch_related`` so
the number of queries does not depend on the number of rows; the dispatch ranking is
computed in SQL (annotations, correlated subqueries), never by a query per volunteer
or per order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Avg,
    BigIntegerField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, Round
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site
from apps.sites.scoping import (
    held_roles,
    is_global,
    managed_paths,
    path_q,
    scope_queryset,
)
from apps.volunteers.models import TeamMembership, Volunteer, VolunteerSkill, VolunteerStatus

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
from .services import order_visible_to

S = OrderStatus
A = AssignmentStatus
OPEN_STATUSES = [S.SUBMITTED, S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE]
SUGGESTIONS_ON_BOARD = 3
# A volunteer without any rated order ranks as an average one (3 of 5), neither ahead
# of well-rated nor behind poorly-rated colleagues.
NEUTRAL_RATING = 3.0


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
        raise NotFoundError("服务项目不存在。", code="not_found") from None
    if not scope_queryset(ServiceItem.objects.filter(pk=item.pk), user).exists():
        raise NotFoundError("服务项目不存在。", code="not_found")
    return item


# --- orders -------------------------------------------------------------------------------
def _visible_q(user: User) -> Q:
    """Residents their own orders, volunteers their assignments, staff their subtree."""
    if is_global(user):
        return Q()
    mine = Q(resident=user) | Q(placed_by=user)
    assigned = Exists(OrderAssignment.objects.filter(order=OuterRef("pk"), volunteer__user=user))
    q = mine | Q(assigned)
    paths = managed_paths(user)
    if paths:
        q |= path_q(paths, "site")
    return q


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
        raise NotFoundError("订单不存在。", code="not_found") from None
    if not order_visible_to(order, user):
        raise NotFoundError("订单不存在。", code="not_found")
    return order


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


# --- dispatch ranking ------------------------------------------------------------------------
def _up(value: Any) -> Any:
    """One subquery level further out: an outer reference becomes OuterRef(OuterRef())."""
    return OuterRef(value) if isinstance(value, OuterRef) else value


def _ranked(
    qs: QuerySet[Volunteer],
    *,
    order_ref: Any,
    site_ref: Any,
    category_ref: Any,
    slot_ref: Any,
) -> QuerySet[Volunteer]:
    """Annotate and order ``qs`` by the dispatch ranking for one order.

    The ``*_ref`` arguments are either plain values (one known order) or ``OuterRef``
    expressions (the ranking runs as a correlated subquery per board row). Ranking:
    same point first, then matching skill and team (0–2), fewest open tasks, free at
    the preferred time (availability bitmask), best past ratings, lowest id."""
    if isinstance(slot_ref, OuterRef):
        # An outer reference has no type of its own; the bitwise AND needs one.
        slot_ref = Cast(slot_ref, output_field=IntegerField())
    elif not hasattr(slot_ref, "resolve_expression"):
        slot_ref = Value(int(slot_ref))
    open_tasks = (
        OrderAssignment.objects.filter(volunteer=OuterRef("pk"))
        .filter(Q(status=A.ASSIGNED) | Q(status=A.ACCEPTED, checked_out_at__isnull=True))
        .values("volunteer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ratings = (
        OrderAssignment.objects.filter(
            volunteer=OuterRef("pk"), status=A.ACCEPTED, order__score__isnull=False
        )
        .values("volunteer")
        .annotate(avg=Avg("order__score"))
        .values("avg")
    )
    skill = Exists(
        VolunteerSkill.objects.filter(volunteer=OuterRef("pk"), category=_up(category_ref))
    )
    team = Exists(
        TeamMembership.objects.filter(
            volunteer=OuterRef("pk"), team__is_active=True, team__category=_up(category_ref)
        )
    )
    # Already asked (or declined) on this order; lapsed requests may be asked again.
    already = Exists(
        OrderAssignment.objects.filter(
            order_id=_up(order_ref),
            volunteer=OuterRef("pk"),
            status__in=[A.ASSIGNED, A.ACCEPTED, A.DECLINED],
        )
    )
    return (
        qs.filter(status=VolunteerStatus.APPROVED)
        .exclude(already)
        .annotate(
            same_point=Case(
                When(site_id=site_ref, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            skill_match=Case(
                When(skill, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            team_match=Case(
                When(team, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            open_tasks=Coalesce(Subquery(open_tasks, output_field=IntegerField()), Value(0)),
            rating=Coalesce(Subquery(ratings, output_field=FloatField()), Value(NEUTRAL_RATING)),
        )
        .annotate(
            free_bits=F("availability").bitand(slot_ref),
        )
        .annotate(
            available=Case(
                When(free_bits__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            match=F("skill_match") + F("team_match"),
        )
        .annotate(rank_key=_rank_key())
        .order_by("-rank_key")
    )


# The ranking as one sortable integer, most significant first: same point (0–1),
# matching skill+team (0–2), fewer open tasks (999 − open, capped), free at the time
# (0–1), rating ×100 (100–500), then the lower id (99,999,999 − id). One column is
# what lets the board rank per order row in a correlated subquery on SQLite too:
# SQLite refuses outer references in a subquery's ORDER BY terms but accepts them in
# a selected column the ORDER BY names. Largest key ≈ 1.2e15: fits a 64-bit integer.
_ID_SPAN = 10**8  # volunteer ids below 100 million (design target: 1 million)
_RATING_W = _ID_SPAN
_AVAIL_W = 1000 * _RATING_W
_OPEN_W = 2 * _AVAIL_W
_MATCH_W = 1000 * _OPEN_W
_POINT_W = 3 * _MATCH_W


def _rank_key() -> Any:
    rating = Cast(Round(F("rating") * 100), output_field=BigIntegerField())
    open_ = Value(999) - Least(F("open_tasks"), Value(999))
    return ExpressionWrapper(
        F("same_point") * Value(_POINT_W)
        + F("match") * Value(_MATCH_W)
        + open_ * Value(_OPEN_W)
        + F("available") * Value(_AVAIL_W)
        + rating * Value(_RATING_W)
        + (Value(_ID_SPAN - 1) - F("pk")),
        output_field=BigIntegerField(),
    )


def volunteer_id_from_key(key: int) -> int:
    return _ID_SPAN - 1 - key % _ID_SPAN


def dispatch_suggestions(
    *, order: ServiceOrder, fetched_by: User | AnonymousUser, limit: int = 10
) -> list[Volunteer]:
    """Approved volunteers to dispatch to ``order``, best first: those of the handling
    site's subtree (the point; after an escalation the township or county) within the
    dispatcher's scope. Volunteers elsewhere in the scope can still be dispatched by id;
    an order the point cannot staff is escalated, which widens the candidates. Bounding
    the candidates by the handling subtree keeps the board's per-row ranking cheap.
    One query (plus one for skills)."""
    qs = scope_queryset(
        Volunteer.objects.filter(site__path__startswith=order.handling_site.path), fetched_by
    )
    ranked = _ranked(
        qs,
        order_ref=order.pk,
        site_ref=order.site_id,
        category_ref=order.service.category,
        slot_ref=order.preferred_slot_bit,
    )
    return list(ranked.select_related("site").prefetch_related("skills")[:limit])


def board_orders(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[ServiceOrder]:
    """The dispatch board: orders of ``fetched_by``'s subtree, oldest first.

    Filters: status (default: all open ones), age_hours (waiting at least that long),
    nudged. Orders waiting for dispatch at a site ``fetched_by`` handles carry the ids
    of the top suggested volunteers (``suggestion_0`` …) from correlated subqueries in
    the same SQL statement, so the board costs the same number of queries whatever
    its page size."""
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
    # The ranking runs as a subquery of each order row: OuterRef reads the order.
    candidates = Volunteer.objects.filter(site__path__startswith=OuterRef("handling_site__path"))
    ranked = _ranked(
        candidates,
        order_ref=OuterRef("pk"),
        site_ref=OuterRef("site_id"),
        category_ref=OuterRef("service__category"),
        slot_ref=OuterRef("preferred_slot_bit"),
    )
    annotations = {
        f"suggestion_{i}": Case(
            When(dispatchable, then=Subquery(ranked.values("rank_key")[i : i + 1])),  # type: ignore[misc]  # annotation
            default=Value(None),
            output_field=BigIntegerField(),
        )
        for i in range(SUGGESTIONS_ON_BOARD)
    }
    return _list_relations(qs).annotate(**annotations).order_by("created_at", "pk")


def attach_suggestions(orders: list[ServiceOrder]) -> None:
    """Turn the ``suggestion_<i>`` rank keys of board rows into volunteers: one query."""
    keyed = {
        o.pk: [
            volunteer_id_from_key(k)
            for i in range(SUGGESTIONS_ON_BOARD)
            if (k := getattr(o, f"suggestion_{i}", None)) is not None
        ]
        for o in orders
    }
    ids = {vid for vids in keyed.values() for vid in vids}
    volunteers = {v.pk: v for v in Volunteer.objects.filter(pk__in=ids).select_related("site")}
    for o in orders:
        o.suggested = [  # type: ignore[attr-defined]
            volunteers[vid] for vid in keyed[o.pk] if vid in volunteers
        ]
