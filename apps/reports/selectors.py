"""Report reads: which site a caller may report on, and menu items needing attention."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.orders.models import ServiceItem, ServiceOrder
from apps.sites.models import Site
from apps.sites.scoping import access_site, held_roles, is_global, scope_queryset

# 整改/清退 thresholds: an average below 3.5 over at least 5 ratings, or unused 90 days.
LOW_RATING = 3.5
MIN_RATINGS = 5
UNUSED_DAYS = 90


def report_sites(user: User | AnonymousUser) -> QuerySet[Site]:
    """Sites a user may report on: the sites of their scope, bases aside."""
    return scope_queryset(Site.objects.exclude(level="base").order_by("path"), user, site_field="")


def default_report_site(user: User | AnonymousUser) -> Site:
    """The top of the caller's scope (the county center for county staff)."""
    if is_global(user):
        site = Site.objects.filter(parent__isnull=True).order_by("path").first()
    else:
        roles = sorted(
            (r for r in held_roles(user) if r.role in ("staff", "county_admin")),
            key=lambda r: len(r.site_path),
        )
        site = Site.objects.filter(pk=roles[0].site_id).first() if roles else None
    if site is None:
        raise NotFoundError(gettext("您没有可查看的统计范围。"), code="not_found")
    return site


def report_site(user: User | AnonymousUser, site_id: Id | None) -> Site:
    """``site_id`` if in the caller's scope, else the default; 404 when out of scope."""
    if site_id in (None, ""):
        return default_report_site(user)
    return access_site(user, site_id)


def overdue_orders(*, fetched_by: User | AnonymousUser, site: Site) -> QuerySet[ServiceOrder]:
    """Orders flagged overdue at the county level (nowhere higher to escalate to) that
    are still waiting for dispatch, in the caller's scope and under ``site``."""
    return (
        scope_queryset(
            ServiceOrder.objects.filter(status="submitted", overdue_at__isnull=False), fetched_by
        )
        .filter(site__path__startswith=site.path)
        .select_related("service", "site", "handling_site")
        .order_by("created_at")
    )


def items_needing_attention(
    *, fetched_by: User | AnonymousUser, now: dt.datetime | None = None
) -> QuerySet[ServiceItem]:
    """Active items in scope rated below 3.5 (over ≥5 ratings) or with no orders in 90
    days (items published more than 90 days ago). One query, annotated."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=UNUSED_DAYS)
    recent = ServiceOrder.objects.filter(service=OuterRef("pk"), created_at__gte=since)
    qs = (
        scope_queryset(ServiceItem.objects.filter(is_active=True), fetched_by)
        .select_related("site")
        .annotate(
            rating_count=Count("orders", filter=Q(orders__score__isnull=False)),
            rating_avg=Avg("orders__score"),
            used_recently=Exists(recent),
        )
    )
    low = Q(rating_count__gte=MIN_RATINGS, rating_avg__lt=LOW_RATING)
    unused = Q(used_recently=False, created_at__lt=since)
    return qs.filter(low | unused).order_by("rating_avg", "site__path", "title")
