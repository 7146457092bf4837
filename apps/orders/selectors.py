"""Order and menu reads, always scoped by the caller.

List selectors fetch their relations with ``select_related``/``prefetch_related`` so
the number of queries does not depend on the number of rows; the dispatch ranking is
computed in SQL (annotations, correlated subqueries), never by a query per volunteer
or per order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Least, NullIf, Round
from django.utils import timezone

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
from .services import UNCONTESTED_MIN_SCORE, order_visible_to, uncontested_reason

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
    """Residents their own orders, volunteers their assignments, staff their subtree.

    One query reads the ids of the sites the user manages and of the orders the user
    is assigned to, so the filter is plain indexed columns (``site_id IN (…)``,
    ``resident_id``, ``placed_by_id``, ``id IN (…)``): PostgreSQL can combine their
    indexes, and estimates how many rows match, instead of testing a path join and a
    correlated subquery on every order."""
    if is_global(user):
        return Q()
    paths = managed_paths(user)
    path_sql = " OR ".join(["path LIKE %s"] * len(paths)) or "1 = 0"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT 's', id FROM sites_site WHERE {path_sql}"
            " UNION ALL SELECT 'a', a.order_id FROM orders_orderassignment a"
            " JOIN volunteers_volunteer v ON v.id = a.volunteer_id WHERE v.user_id = %s",
            [*(p + "%" for p in paths), user.pk],
        )
        rows = cur.fetchall()
    site_ids = [i for kind, i in rows if kind == "s"]
    assigned = [i for kind, i in rows if kind == "a"]
    q = Q(resident=user) | Q(placed_by=user)
    if assigned:
        q |= Q(pk__any_of=IdList(assigned))
    if site_ids:
        q |= Q(site_id__any_of=IdList(site_ids))  # one array parameter
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


def access_photo(user: User | AnonymousUser, photo_id: Id) -> OrderPhoto:
    """A service photo if ``user`` may see its order (the same rule as the order
    itself); otherwise NotFoundError, for anonymous visitors too."""
    try:
        photo = OrderPhoto.objects.select_related("order", "order__site").get(pk=int(photo_id))
    except (OrderPhoto.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("照片不存在。", code="not_found") from None
    if not order_visible_to(photo.order, user):
        raise NotFoundError("照片不存在。", code="not_found")
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
    # Open tasks and past ratings: one row per candidate (``VolunteerLoad``, kept by
    # triggers), not a count and an average over each candidate's history.
    # Exact division (numeric on PostgreSQL, as AVG of the scores gives), so ties in the
    # rounded rating fall as they did.
    rating = ExpressionWrapper(
        F("load__rating_sum")
        * Value(Decimal("1.0"), output_field=DecimalField())
        / NullIf(F("load__rating_count"), 0),
        output_field=FloatField(),
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
            open_tasks=Coalesce(F("load__open_tasks"), Value(0)),
            rating=Coalesce(rating, Value(NEUTRAL_RATING), output_field=FloatField()),
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


# Ranking runs over a bounded candidate set, never over every volunteer of the
# handling subtree (a county-level order would rank 1,000,000): up to this many
# approved, not-yet-asked volunteers from each of four indexed tiers — the order's own
# point, the subtree's volunteers with the matching skill, members of a matching
# active team, and the rest of the subtree — lowest ids first in each tier. The
# full ranking key then orders the union. Below this many per tier the result is
# the same as ranking everyone.
CANDIDATES_PER_TIER = 50
# (The SQL below is built from constants only; every value is a query parameter.)
_ASKED = "('assigned', 'accepted', 'declined')"


def _candidate_ids(
    *, order_id: int, point_id: int, handling_path: str, category: str, scope: list[str] | None
) -> RawSQL:
    """The candidate volunteer ids for one order, as a subquery (see CANDIDATES_PER_TIER).
    ``scope`` is the dispatcher's managed path prefixes (None: everything)."""
    where_scope, scope_params = "", []
    if scope is not None:
        where_scope = " AND (" + " OR ".join(["s.path LIKE %s"] * len(scope) or ["1 = 0"]) + ")"
        scope_params = [p + "%" for p in scope]
    not_asked = (
        "NOT EXISTS (SELECT 1 FROM orders_orderassignment a WHERE a.order_id = %s"
        f" AND a.volunteer_id = v.id AND a.status IN {_ASKED})"
    )
    in_subtree = "s.path LIKE %s" + where_scope
    n = int(CANDIDATES_PER_TIER)
    tiers = [
        (
            "SELECT v.id FROM volunteers_volunteer v JOIN sites_site s ON s.id = v.site_id"
            f" WHERE v.site_id = %s AND v.status = 'approved' AND {in_subtree} AND {not_asked}"
            f" ORDER BY v.id LIMIT {n}",
            [point_id, handling_path + "%", *scope_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_volunteerskill k"
            " JOIN volunteers_volunteer v ON v.id = k.volunteer_id"
            " JOIN sites_site s ON s.id = v.site_id"
            f" WHERE k.category = %s AND v.status = 'approved' AND {in_subtree} AND {not_asked}"
            f" ORDER BY k.volunteer_id LIMIT {n}",
            [category, handling_path + "%", *scope_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_teammembership m"
            " JOIN volunteers_team t ON t.id = m.team_id"
            " JOIN volunteers_volunteer v ON v.id = m.volunteer_id"
            " JOIN sites_site s ON s.id = v.site_id"
            " WHERE t.category = %s AND t.is_active AND v.status = 'approved'"
            f" AND {in_subtree} AND {not_asked} ORDER BY m.volunteer_id LIMIT {n}",
            [category, handling_path + "%", *scope_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_volunteer v JOIN sites_site s ON s.id = v.site_id"
            f" WHERE v.status = 'approved' AND {in_subtree} AND {not_asked}"
            f" ORDER BY v.id LIMIT {n}",
            [handling_path + "%", *scope_params, order_id],
        ),
    ]
    # Each tier in its own derived table: its LIMIT applies to it alone (and SQLite
    # accepts a LIMIT there, not on a bare member of a compound SELECT).
    sql = " UNION ".join(f"SELECT id FROM ({t}) c{i}" for i, (t, _) in enumerate(tiers))
    params = [p for _, ps in tiers for p in ps]
    return RawSQL(sql, params)  # noqa: S611  (constant SQL; every value is a parameter)


def _suggestion_queryset(
    order: ServiceOrder, fetched_by: User | AnonymousUser | None
) -> QuerySet[Volunteer]:
    handling_path = order.handling_site.path
    qs = Volunteer.objects.filter(site__path__startswith=handling_path)
    scope: list[str] | None = None
    if fetched_by is not None:
        qs = scope_queryset(qs, fetched_by)
        scope = None if is_global(fetched_by) else managed_paths(fetched_by)
    candidates = _candidate_ids(
        order_id=order.pk,
        point_id=order.site_id,
        handling_path=handling_path,
        category=order.service.category,
        scope=scope,
    )
    return _ranked(
        qs.filter(pk__in=candidates),
        order_ref=order.pk,
        site_ref=order.site_id,
        category_ref=order.service.category,
        slot_ref=order.preferred_slot_bit,
    )


def dispatch_suggestions(
    *, order: ServiceOrder, fetched_by: User | AnonymousUser, limit: int = 10
) -> list[Volunteer]:
    """Approved volunteers to dispatch to ``order``, best first: those of the handling
    site's subtree (the point; after an escalation the township or county) within the
    dispatcher's scope, ranked over a bounded candidate set (``CANDIDATES_PER_TIER``).
    Volunteers elsewhere in the scope can still be dispatched by id; an order the
    point cannot staff is escalated, which widens the candidates.
    One query (plus one for skills)."""
    ranked = _suggestion_queryset(order, fetched_by)
    return list(ranked.select_related("site").prefetch_related("skills")[:limit])


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


def attach_suggestions(orders: list[ServiceOrder]) -> None:
    """The top suggested volunteers of each marked board row (``o.suggested``): one
    statement ranks every marked row of the page (a UNION ALL of one bounded ranking
    per row), one more loads the volunteers."""
    marked = [o for o in orders if getattr(o, "suggest", 0)]
    keyed: dict[int, list[int]] = {o.pk: [] for o in orders}
    if marked:
        parts: list[str] = []
        params: list[Any] = []
        for i, o in enumerate(marked):
            ranked = (
                _suggestion_queryset(o, None)
                .annotate(board_order=Value(o.pk, output_field=BigIntegerField()))
                .values_list("board_order", "pk", "rank_key")[:SUGGESTIONS_ON_BOARD]
            )
            sql, p = ranked.query.sql_with_params()
            parts.append(f"SELECT * FROM ({sql}) b{i}")
            params.extend(p)
        with connection.cursor() as cur:
            cur.execute(" UNION ALL ".join(parts), params)
            rows = sorted(cur.fetchall(), key=lambda r: (r[0], -r[2]))
        for order_id, volunteer_id, _key in rows:
            keyed[order_id].append(volunteer_id)
    ids = {vid for vids in keyed.values() for vid in vids}
    volunteers = (
        {v.pk: v for v in Volunteer.objects.filter(pk__in=ids).select_related("site")}
        if ids
        else {}
    )
    for o in orders:
        o.suggested = [  # type: ignore[attr-defined]
            volunteers[vid] for vid in keyed[o.pk] if vid in volunteers
        ]


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
