"""晒成果 in the reports: posts published per site and month (Asia/Shanghai months) in
a site's subtree and a date range. One grouped query; withdrawn posts (撤稿) do not
count, since the public no longer sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.showcase.models import PostStatus, ShowcasePost
from apps.sites.models import Site


@dataclass(frozen=True)
class PostsRow:
    site_id: int
    site_name: str
    month: dt.date
    posts: int


def _bounds(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def posts_per_site_month(site: Site, day_from: dt.date, day_to: dt.date) -> list[PostsRow]:
    """Published posts of ``site``'s subtree with ``published_at`` in the range, by the
    posting site and calendar month; months in order, then sites by name."""
    start, end = _bounds(day_from, day_to)
    tz = ZoneInfo(settings.TIME_ZONE)
    rows = (
        ShowcasePost.objects.filter(
            status=PostStatus.PUBLISHED,
            published_at__gte=start,
            published_at__lt=end,
            site__path__startswith=site.path,
        )
        .annotate(month=TruncMonth("published_at", tzinfo=tz))
        .values("site_id", "site__name", "month")
        .annotate(posts=Count("id"))
        .order_by("month", "site__name", "site_id")
    )
    return [
        PostsRow(
            r["site_id"],
            r["site__name"],
            timezone.localtime(r["month"], tz).date()
            if isinstance(r["month"], dt.datetime)
            else r["month"],
            r["posts"],
        )
        for r in rows
    ]


def posts_total(rows: list[PostsRow]) -> int:
    return sum(r.posts for r in rows)
