"""Activity reads, always scoped by the caller, with a fixed number of queries
whatever the number of rows (relations joined or prefetched, counts annotated)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import CharField, Count, F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site
from apps.sites.scoping import is_global, managed_paths, path_q

from .models import (
    HOLDS_SLOT,
    Activity,
    ActivityEvent,
    ActivityRole,
    ActivityStatus,
    MonthlyTheme,
    Signup,
    SignupStatus,
)
from .services.workflow import activity_visible_to, user_site_paths

S = ActivityStatus


def _ancestor_ids(paths: list[str]) -> set[int]:
    return {int(seg) for path in paths for seg in path.strip("/").split("/") if seg}


def with_relations(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    """The site and theme joined, the roles with their taken places prefetched: one
    query for the activities and one for all their roles."""
    roles = ActivityRole.objects.annotate(
        taken=Count("signups", filter=Q(signups__status__in=HOLDS_SLOT)),
        waiting=Count("signups", filter=Q(signups__status=SignupStatus.WAITLISTED)),
    ).order_by("position", "id")
    return qs.select_related("site", "theme").prefetch_related(Prefetch("roles", queryset=roles))


def activity_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[Activity]:
    """What ``fetched_by`` may see: every activity (drafts included) of the subtrees
    they manage, and the published, finished or cancelled activities of their own
    sites and the sites above them ("my site and up").

    ``filters``: status (list), theme, category, site (its subtree), date_from,
    date_to (start day, local), managed (only what they manage), upcoming."""
    filters = filters or {}
    qs = Activity.objects.all()
    if not is_global(fetched_by):
        managed = managed_paths(fetched_by)
        own = user_site_paths(fetched_by)
        ancestors = _ancestor_ids(own)
        visible = path_q(managed, "site") | (Q(site_id__in=ancestors) & ~Q(status=S.DRAFT))
        if filters.get("managed"):
            visible = path_q(managed, "site")
        qs = qs.filter(visible)
    statuses = filters.get("status")
    if statuses:
        qs = qs.filter(status__in=statuses)
    if filters.get("theme"):
        qs = qs.filter(theme_id=filters["theme"])
    if filters.get("category"):
        qs = qs.filter(category=filters["category"])
    if filters.get("site"):
        site = Site.objects.filter(pk=filters["site"]).first()
        qs = qs.filter(site__path__startswith=site.path) if site else qs.none()
    if filters.get("date_from"):
        qs = qs.filter(starts_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(starts_at__date__lte=filters["date_to"])
    if filters.get("upcoming"):
        qs = qs.filter(ends_at__gte=filters["upcoming"])
        return with_relations(qs).order_by("starts_at", "id")
    return with_relations(qs).order_by("-starts_at", "-id")


def access_activity(user: User | AnonymousUser, activity_id: Id) -> Activity:
    """The activity if ``user`` may see it; NotFoundError otherwise."""
    try:
        activity = with_relations(Activity.objects.all()).get(pk=int(activity_id))
    except (Activity.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("活动不存在。"), code="not_found") from None
    if not activity_visible_to(activity, user):
        raise NotFoundError(gettext("活动不存在。"), code="not_found")
    return activity


def signups_of(activity: Activity) -> QuerySet[Signup]:
    """The activity's sign-ups for its organisers, in the waiting list's order."""
    return (
        Signup.objects.filter(activity=activity)
        .select_related("volunteer", "role")
        .order_by("role__position", "role_id", "queued_at", "id")
    )


def my_signup(activity: Activity, user: User | AnonymousUser) -> Signup | None:
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    return (
        Signup.objects.select_related("role")
        .filter(activity=activity, volunteer__user_id=user.pk)
        .first()
    )


def waitlist_position(signup: Signup) -> int:
    """1 for the first on the role's waiting list."""
    return (
        Signup.objects.filter(role_id=signup.role_id, status=SignupStatus.WAITLISTED)
        .filter(Q(queued_at__lt=signup.queued_at) | Q(queued_at=signup.queued_at, id__lt=signup.pk))
        .count()
        + 1
    )


def events_of(activity: Activity) -> QuerySet[ActivityEvent]:
    return (
        ActivityEvent.objects.filter(activity=activity)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def my_signups(user: User) -> QuerySet[Signup]:
    return (
        Signup.objects.filter(volunteer__user=user)
        .select_related("activity", "activity__site", "role")
        .order_by("-activity__starts_at", "-id")
    )


# --- themes -----------------------------------------------------------------------------------
def theme_calendar(county: Site, year: int) -> list[tuple[int, MonthlyTheme | None]]:
    """The twelve months of ``year`` with the county's theme of each (one query)."""
    themes = {t.month: t for t in MonthlyTheme.objects.filter(site=county, year=year)}
    return [(m, themes.get(m)) for m in range(1, 13)]


def themes_visible_to(user: User | AnonymousUser) -> QuerySet[MonthlyTheme]:
    """The themes of the counties above the user's sites (and those they manage)."""
    if is_global(user):
        return MonthlyTheme.objects.select_related("site").all()
    paths = managed_paths(user) + user_site_paths(user)
    counties = {int(p.strip("/").split("/")[0]) for p in paths if p.strip("/")}
    return MonthlyTheme.objects.select_related("site").filter(site_id__in=counties)


def theme_for_month(site: Site, moment: dt.datetime) -> MonthlyTheme | None:
    from django.utils import timezone

    local = timezone.localtime(moment)
    return MonthlyTheme.objects.filter(
        site_id=site.ancestor_ids()[0], year=local.year, month=local.month
    ).first()


# --- attendance -------------------------------------------------------------------------------
def attendance_rows(activity: Activity) -> QuerySet[Signup]:
    """The organisers' attendance sheet: everyone holding a place, by role."""
    return (
        Signup.objects.filter(activity=activity, status=SignupStatus.CONFIRMED)
        .select_related("volunteer", "role")
        .order_by("role__position", "role_id", "queued_at", "id")
    )


SETTLEMENT_COLUMNS = (
    "signup_id",
    "source_key",
    "volunteer_id",
    "user_id",
    "activity_id",
    "site_id",
    "title",
    "starts_at",
    "hours",
    "points",
    "confirmed_at",
)


_SOURCE_KEY = {
    "source_key": Concat(
        Value("activity:"),
        Cast("activity_id", CharField()),
        Value(":signup:"),
        Cast("id", CharField()),
        output_field=CharField(),
    )
}


def confirmed_attendance_for_settlement(
    *, confirmed_before: dt.datetime | None = None
) -> QuerySet[Signup, dict[str, Any]]:
    """Confirmed attendance not yet credited, for the points settlement: one dict per
    sign-up with ``SETTLEMENT_COLUMNS`` — ``source_key`` (``activity:<id>:signup:<id>``,
    the ledger's idempotency key), the volunteer and their user, the organising site
    (whose account pays), the activity's title and start (the service day), the
    confirmed ``hours`` and ``points``. No-shows and zero-point rows are left out.
    Ordered by confirmation time; read it in chunks (``.iterator()``) and, once the
    ledger holds them, mark them with ``services.attendance_mark_credited``."""
    qs = Signup.objects.filter(
        attendance="confirmed", credited_at__isnull=True, status=SignupStatus.CONFIRMED
    )
    if confirmed_before is not None:
        qs = qs.filter(attendance_confirmed_at__lt=confirmed_before)
    return (
        qs.annotate(
            signup_id=F("id"),
            user_id=F("volunteer__user_id"),
            site_id=F("activity__site_id"),
            title=F("activity__title"),
            starts_at=F("activity__starts_at"),
            hours=F("confirmed_hours"),
            confirmed_at=F("attendance_confirmed_at"),
        )
        .order_by("attendance_confirmed_at", "id")
        # ``source_key`` is also the model's property of the same value: set in
        # ``values`` so the column is computed in SQL and names no model attribute.
        .values(*(c for c in SETTLEMENT_COLUMNS if c != "source_key"), **_SOURCE_KEY)
    )
