"""Volunteer reads, always scoped by the caller, with the personal-data policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import (
    BooleanField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.utils.translation import gettext

from apps.accounts.mobile import mask_mobile
from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, scope_queryset

from .idcard import mask_id_number
from .models import (
    Certificate,
    ServiceRecord,
    Team,
    TeamMembership,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
)


def personal_data_visible(viewer: User | AnonymousUser | None, volunteer: Volunteer) -> bool:
    """The volunteer and staff in scope of the volunteer's site see ID and mobile whole."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.pk == volunteer.user_id or can_manage_site(viewer, volunteer.site)


def _is_owner(viewer: User | AnonymousUser | None, volunteer: Volunteer) -> bool:
    return bool(viewer is not None and viewer.pk and viewer.pk == volunteer.user_id)


def id_number_for(viewer: User | AnonymousUser | None, volunteer: Volunteer) -> str:
    """Masked for everyone but the volunteer: staff in scope use the explicit, logged
    "show" action (``services.volunteer_reveal``)."""
    if _is_owner(viewer, volunteer):
        return volunteer.id_number or ""
    return mask_id_number(volunteer.id_number)


def volunteer_mobile_for(viewer: User | AnonymousUser | None, volunteer: Volunteer) -> str:
    """Masked for everyone but the volunteer (reveal like the ID number)."""
    return volunteer_mobile_shown(viewer, volunteer.user_id, volunteer.mobile)


def volunteer_mobile_shown(
    viewer: User | AnonymousUser | None, volunteer_user_id: int | None, mobile: str
) -> str:
    """``volunteer_mobile_for`` from the columns (rows read with ``values()``)."""
    if viewer is not None and viewer.pk and viewer.pk == volunteer_user_id:
        return mobile
    return mask_mobile(mobile)


def _with_relations(qs: QuerySet[Volunteer]) -> QuerySet[Volunteer]:
    memberships = TeamMembership.objects.select_related("team").order_by("team__name")
    # Into lists (``to_attr``), read through ``Volunteer.skill_rows`` / ``membership_rows``.
    return qs.select_related("site").prefetch_related(
        Prefetch("skills", to_attr="skills_list"),
        Prefetch("memberships", queryset=memberships, to_attr="memberships_list"),
    )


def _as_int(value: Any) -> int | None:
    """A query-string id or level, or None when it is not a number (matches nothing,
    rather than a 500 on a hand-edited URL)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def volunteer_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[Volunteer]:
    """The roster of ``fetched_by``'s scope. Query count is fixed whatever the page size:
    one for the page, one per prefetched relation."""
    filters = filters or {}
    qs = scope_queryset(Volunteer.objects.all(), fetched_by)
    if filters.get("site"):
        site_id = _as_int(filters["site"])
        site = Site.objects.filter(pk=site_id).only("path").first() if site_id is not None else None
        qs = qs.filter(site__path__startswith=site.path) if site else qs.none()
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("skill"):
        # Semi-joins (IN subquery) rather than joins: no duplicate rows, so no DISTINCT
        # over a million-row roster.
        qs = qs.filter(
            pk__in=VolunteerSkill.objects.filter(category=filters["skill"]).values("volunteer_id")
        )
    if filters.get("team"):
        team_id = _as_int(filters["team"])
        qs = (
            qs.filter(pk__in=TeamMembership.objects.filter(team_id=team_id).values("volunteer_id"))
            if team_id is not None
            else qs.none()
        )
    if filters.get("star_level") not in (None, ""):
        level = _as_int(filters["star_level"])
        qs = qs.filter(star_level=level) if level is not None else qs.none()
    if filters.get("q"):
        term = str(filters["q"]).strip()
        by_number = Q(mobile__startswith=term) | Q(number=term)
        # Digits are a mobile number (prefix) or a volunteer number, never a name: the
        # name's substring search (a trigram index scan) is left out for them.
        qs = qs.filter(by_number if term.isdigit() else _name_matches(term) | by_number)
    applied: Any = F("applied_at")
    if filters.get("q") and _uses_name_index(str(filters["q"]).strip()):
        # The same order, but as an expression no index provides: PostgreSQL cannot
        # estimate a substring match and otherwise walks the roster's date index
        # filtering every row (1,000,000 for a rare name); this way it takes the few
        # matches from the trigram index and sorts them.
        applied = ExpressionWrapper(
            F("applied_at") + Value(dt.timedelta(0)), output_field=DateTimeField()
        )
    order = applied.asc() if filters.get("status") == "pending" else applied.desc()
    return _with_relations(qs).order_by(order, "id")


class _NameHasPiece(Func):
    """``name`` contains the one- or two-character ``term``, as the GIN index of the
    names' pieces answers it (PostgreSQL, ``portal_name_grams``, migration
    ``volunteers.0007``): the same rows as ``icontains``."""

    output_field = BooleanField()
    # (name, term) → portal_name_grams(UPPER(name::text)) @> ARRAY[UPPER(term::text)]
    template = "portal_name_grams(UPPER(%(expressions)s::text)]"
    arg_joiner = "::text)) @> ARRAY[UPPER("


def _name_matches(term: str) -> Any:
    """The name-substring condition: a trigram index serves three characters or more;
    one or two characters (a surname, most of a two-character name) are looked up in
    the index of the names' pieces, since they make no trigram."""
    if connection.vendor == "postgresql" and len(term) <= 2:
        return _NameHasPiece(F("real_name"), Value(term))
    return Q(real_name__icontains=term)


def _uses_name_index(term: str) -> bool:
    """A name search an index narrows to a few rows (PostgreSQL): trigrams from three
    characters, the pieces' index for two. (One character, a surname, matches a
    twentieth of a county: walking the date index finds a page of them sooner.)"""
    return connection.vendor == "postgresql" and len(term) >= 2 and not term.isdigit()


# The roster's per-status counts are exact up to this many, then shown as "10,000+".
STATUS_COUNT_UP_TO = 10_000


def status_counts(*, fetched_by: User | AnonymousUser) -> dict[str, int | str]:
    """Volunteers per status in ``fetched_by``'s scope, for the roster's filter: one
    statement, each status counted over at most ``STATUS_COUNT_UP_TO`` + 1 rows of the
    (status, application date, id) index, so a million-volunteer county costs the same
    as a village. Above the bound the value is the string ``"10,000+"``."""
    parts, params = [], []
    for i, status in enumerate(VolunteerStatus.values):
        sub = scope_queryset(Volunteer.objects.filter(status=status), fetched_by).values("pk")
        if sub.query.is_empty():  # nothing in scope
            return {}
        sql, p = sub[: STATUS_COUNT_UP_TO + 1].query.sql_with_params()
        parts.append(f"SELECT %s, COUNT(*) FROM ({sql}) c{i}")
        params.extend([status, *p])
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts), params)
        rows = cur.fetchall()
    return {
        status: (n if n <= STATUS_COUNT_UP_TO else f"{STATUS_COUNT_UP_TO:,}+")
        for status, n in rows
        if n
    }


def access_volunteer(user: User | AnonymousUser, volunteer_id: Id) -> Volunteer:
    """A volunteer in ``user``'s scope (or the user's own record); else NotFoundError."""
    try:
        volunteer = _with_relations(Volunteer.objects.all()).get(pk=int(volunteer_id))
    except (Volunteer.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("志愿者不存在。"), code="not_found") from None
    if volunteer.user_id != getattr(user, "pk", None) and not can_manage_site(user, volunteer.site):
        raise NotFoundError(gettext("志愿者不存在。"), code="not_found")
    return volunteer


def volunteer_of(user: User | AnonymousUser) -> Volunteer | None:
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    return _with_relations(Volunteer.objects.filter(user=user)).first()


def team_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[Team]:
    from django.db.models import Count

    filters = filters or {}
    qs = scope_queryset(Team.objects.all(), fetched_by).select_related("site")
    if filters.get("site"):
        site_id = _as_int(filters["site"])
        qs = qs.filter(site_id=site_id) if site_id is not None else qs.none()
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    return qs.annotate(member_count=Count("memberships")).order_by("site__path", "kind", "name")


def access_team(user: User | AnonymousUser, team_id: Id) -> Team:
    try:
        team = Team.objects.select_related("site").get(pk=int(team_id))
    except (Team.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("服务队不存在。"), code="not_found") from None
    if not can_manage_site(user, team.site):
        raise NotFoundError(gettext("服务队不存在。"), code="not_found")
    return team


def team_members(team: Team) -> QuerySet[TeamMembership]:
    return (
        TeamMembership.objects.filter(team=team)
        .select_related("volunteer", "volunteer__site")
        .order_by("-is_leader", "volunteer__real_name")
    )


def service_records_of(volunteer: Volunteer) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.filter(volunteer=volunteer)
        .select_related("site")
        .order_by("-service_date", "-id")
    )


def access_certificate(user: User | AnonymousUser, number: str) -> Certificate:
    """The printable certificate: its volunteer and staff in scope of the issuer."""
    cert = (
        Certificate.objects.select_related("volunteer", "issuing_site", "issued_by")
        .filter(number=number)
        .first()
    )
    if cert is None or not (
        cert.volunteer.user_id == getattr(user, "pk", None)
        or can_manage_site(user, cert.issuing_site)
        or can_manage_site(user, cert.volunteer.site)
    ):
        raise NotFoundError(gettext("证明不存在。"), code="not_found")
    return cert


def certificate_verify(*, number: str, code: str) -> Certificate | None:
    """Public check: both the number and the verification code must match."""
    number, code = (number or "").strip().upper(), (code or "").strip().upper()
    if not number or not code:
        return None
    return (
        Certificate.objects.select_related("volunteer", "issuing_site")
        .filter(number=number, verification_code=code)
        .first()
    )
