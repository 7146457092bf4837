"""The dispatch ranking: which volunteers to suggest for an order, and for the rows of
the dispatch board (``attach_suggestions``)."""

from __future__ import annotations

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
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Least, NullIf, Round

from apps.accounts.models import User
from apps.core.lookups import in_ids_sql
from apps.sites.models import Site
from apps.sites.scoping import (
    is_global,
    managed_paths,
)
from apps.volunteers.models import TeamMembership, Volunteer, VolunteerSkill, VolunteerStatus

from .models import (
    AssignmentStatus,
    OrderAssignment,
    ServiceOrder,
)

A = AssignmentStatus
SUGGESTIONS_ON_BOARD = 3
# A volunteer without any rated order ranks as an average one (3 of 5), neither ahead
# of well-rated nor behind poorly-rated colleagues.
NEUTRAL_RATING = 3.0


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


SitePaths = list[tuple[int, str]]


def _subtree_ids(sites: SitePaths, handling_path: str, scope: list[str] | None) -> list[int]:
    """The ids of the sites under ``handling_path`` and inside ``scope`` (None: all)."""
    return [
        pk
        for pk, path in sites
        if path.startswith(handling_path)
        and (scope is None or any(path.startswith(p) for p in scope))
    ]


def _candidate_ids(*, order_id: int, point_id: int, site_ids: list[int], category: str) -> RawSQL:
    """The candidate volunteer ids for one order, as a subquery (see CANDIDATES_PER_TIER).
    ``site_ids``: the handling subtree within the dispatcher's scope, as ids — PostgreSQL
    knows how many volunteers they hold (a path pattern it cannot estimate made it walk
    the whole volunteer table for a township's order)."""
    in_sites, site_params = in_ids_sql("v.site_id", site_ids, connection.vendor)
    not_asked = (
        "NOT EXISTS (SELECT 1 FROM orders_orderassignment a WHERE a.order_id = %s"
        f" AND a.volunteer_id = v.id AND a.status IN {_ASKED})"
    )
    n = int(CANDIDATES_PER_TIER)
    tiers = [
        (
            "SELECT v.id FROM volunteers_volunteer v"
            f" WHERE v.site_id = %s AND v.status = 'approved' AND {in_sites} AND {not_asked}"
            f" ORDER BY v.id LIMIT {n}",
            [point_id, *site_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_volunteerskill k"
            " JOIN volunteers_volunteer v ON v.id = k.volunteer_id"
            f" WHERE k.category = %s AND v.status = 'approved' AND {in_sites} AND {not_asked}"
            f" ORDER BY k.volunteer_id LIMIT {n}",
            [category, *site_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_teammembership m"
            " JOIN volunteers_team t ON t.id = m.team_id"
            " JOIN volunteers_volunteer v ON v.id = m.volunteer_id"
            " WHERE t.category = %s AND t.is_active AND v.status = 'approved'"
            f" AND {in_sites} AND {not_asked} ORDER BY m.volunteer_id LIMIT {n}",
            [category, *site_params, order_id],
        ),
        (
            "SELECT v.id FROM volunteers_volunteer v"
            f" WHERE v.status = 'approved' AND {in_sites} AND {not_asked}"
            f" ORDER BY v.id LIMIT {n}",
            [*site_params, order_id],
        ),
    ]
    # Each tier in its own derived table: its LIMIT applies to it alone (and SQLite
    # accepts a LIMIT there, not on a bare member of a compound SELECT).
    sql = " UNION ".join(f"SELECT id FROM ({t}) c{i}" for i, (t, _) in enumerate(tiers))
    params = [p for _, ps in tiers for p in ps]
    return RawSQL(sql, params)  # noqa: S611  (constant SQL; every value is a parameter)


def _all_site_paths() -> SitePaths:
    return list(Site.objects.values_list("id", "path"))


def _suggestion_queryset(
    order: ServiceOrder, fetched_by: User | AnonymousUser | None, sites: SitePaths | None = None
) -> QuerySet[Volunteer]:
    """``sites``: every site's (id, path), when the caller has read them (the board reads
    them once for all its rows); otherwise read here."""
    scope: list[str] | None = None
    if fetched_by is not None:
        scope = None if is_global(fetched_by) else managed_paths(fetched_by)
    site_ids = _subtree_ids(
        sites if sites is not None else _all_site_paths(), order.handling_site.path, scope
    )
    candidates = _candidate_ids(
        order_id=order.pk,
        point_id=order.site_id,
        site_ids=site_ids,
        category=order.service.category,
    )
    # The candidates are of the handling subtree and the dispatcher's scope already.
    return _ranked(
        Volunteer.objects.filter(pk__in=candidates),
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
    Three queries: the sites' paths, the ranking, the skills."""
    ranked = _suggestion_queryset(order, fetched_by)
    return list(ranked.select_related("site").prefetch_related("skills")[:limit])


def attach_suggestions(orders: list[ServiceOrder]) -> None:
    """The top suggested volunteers of each marked board row (``o.suggested``): one
    statement ranks every marked row of the page (a UNION ALL of one bounded ranking
    per row), one more loads the volunteers."""
    marked = [o for o in orders if getattr(o, "suggest", 0)]
    keyed: dict[int, list[int]] = {o.pk: [] for o in orders}
    if marked:
        parts: list[str] = []
        params: list[Any] = []
        sites = _all_site_paths()
        for i, o in enumerate(marked):
            ranked = (
                _suggestion_queryset(o, None, sites)
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
