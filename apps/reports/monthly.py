"""Monthly sums of the daily roll-ups (``SiteMonthlyStat``, ``CategoryMonthlyStat``), and
reading a date range from both.

A county's year is 350,000 site-days and 245,000 category-days at design scale (1,000
sites); summing them was most of a yearly report. The month rows hold the same sums per
calendar month. ``rollup_month(day)`` rebuilds the month of ``day`` from its day rows;
``rollup_days`` calls it once per month it rolls, in the same transaction, so a month row
always equals the sum of its month's day rows.

``split_range(day_from, last)`` cuts a range into the calendar months it covers whole
(read from the month rows) and the days before and after them (read from the day
rows): together they count every day of the range once. ``stat_querysets`` gives both
querysets over a site's subtree; every reader aggregates each the same way and adds
the results, so a range costs two queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum

from .models import CategoryDailyStat, CategoryMonthlyStat, SiteDailyStat, SiteMonthlyStat

SITE_FIELDS = [
    f.name for f in SiteDailyStat._meta.concrete_fields if f.name not in ("id", "site", "day")
]
CATEGORY_FIELDS = ["orders_placed", "orders_completed", "volunteer_hours"]


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def rollup_month(day: dt.date) -> int:
    """Rebuild the month rows of the month containing ``day`` from its day rows; returns
    the rows written. Idempotent."""
    first, after = day.replace(day=1), next_month(day)
    days = Q(day__gte=first, day__lt=after)
    with transaction.atomic():
        SiteMonthlyStat.objects.filter(month=first).delete()
        CategoryMonthlyStat.objects.filter(month=first).delete()
        site_rows = (
            SiteDailyStat.objects.filter(days)
            .values("site_id")
            .annotate(**{f: Sum(f) for f in SITE_FIELDS})
            .order_by()
        )
        sites = SiteMonthlyStat.objects.bulk_create(
            [SiteMonthlyStat(month=first, **row) for row in site_rows], batch_size=1000
        )
        cat_rows = (
            CategoryDailyStat.objects.filter(days)
            .values("site_id", "category")
            .annotate(**{f: Sum(f) for f in CATEGORY_FIELDS})
            .order_by()
        )
        cats = CategoryMonthlyStat.objects.bulk_create(
            [CategoryMonthlyStat(month=first, **row) for row in cat_rows], batch_size=1000
        )
    return len(sites) + len(cats)


def rollup_all_months() -> int:
    """Every month that has day rows (the migration's backfill, and after a bulk load of
    day rows)."""
    months = set(SiteDailyStat.objects.dates("day", "month")) | set(
        CategoryDailyStat.objects.dates("day", "month")
    )
    return sum(rollup_month(month) for month in sorted(months))


def split_range(
    day_from: dt.date, last: dt.date
) -> tuple[list[tuple[dt.date, dt.date]], tuple[dt.date, dt.date] | None]:
    """Cut [``day_from``, ``last``] into (the day ranges to read from day rows, the first
    and last whole calendar month to read from month rows, or None): together they
    cover every day of the range once."""
    first_full = day_from if day_from.day == 1 else next_month(day_from)
    # The month of ``last`` is whole only when ``last`` is its last day.
    after_full = next_month(last) if next_month(last) - dt.timedelta(days=1) == last else None
    if after_full is None:
        after_full = last.replace(day=1)
    if first_full >= after_full:
        return [(day_from, last)], None
    one_day = dt.timedelta(days=1)
    days = [(day_from, first_full - one_day), (after_full, last)]
    last_month = (after_full - one_day).replace(day=1)
    return [(a, b) for a, b in days if a <= b], (first_full, last_month)


def stat_querysets(
    path: str, day_from: dt.date, last: dt.date, *, category: bool = False
) -> list[QuerySet[Any]]:
    """The day-row and the month-row querysets covering [``day_from``, ``last``] for the
    subtree under ``path``: two queries whatever the range's length."""
    day_model: Any = CategoryDailyStat if category else SiteDailyStat
    month_model: Any = CategoryMonthlyStat if category else SiteMonthlyStat
    day_ranges, months = split_range(day_from, last)
    # An empty part still runs its (index-only, empty) query: the count stays fixed.
    days = Q(day__gt=last, day__lt=day_from)
    for a, b in day_ranges:
        days |= Q(day__gte=a, day__lte=b)
    in_months = (
        Q(month__gte=months[0], month__lte=months[1])
        if months
        else Q(month__gt=last, month__lt=day_from)
    )
    return [
        day_model.objects.filter(days, site__path__startswith=path),
        month_model.objects.filter(in_months, site__path__startswith=path),
    ]
