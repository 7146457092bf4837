"""一月一主题 in the reports: activities per monthly theme for a site's subtree and a
period — how many were held (published or finished; drafts and cancelled ones do not
count), how many finished, the volunteers whose attendance was confirmed and their
confirmed hours. Every theme of the period's months appears, with zeros where no site
took it up, and activities without a theme form their own row. Three queries,
whatever the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from apps.activities.models import (
    Activity,
    ActivityStatus,
    AttendanceStatus,
    MonthlyTheme,
    Signup,
)
from apps.sites.models import Site

from .rollup import range_window

HELD = (ActivityStatus.PUBLISHED, ActivityStatus.FINISHED)


@dataclass
class ThemeRow:
    theme_id: int | None
    year: int | None
    month: int | None
    title: str
    activities: int = 0
    finished: int = 0
    volunteers: int = 0
    hours: Decimal = Decimal("0")

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme_id,
            "month": f"{self.year}-{self.month:02d}" if self.year and self.month else None,
            "title": self.title,
            "activities": self.activities,
            "finished": self.finished,
            "volunteers": self.volunteers,
            "hours": str(self.hours),
        }


def _months(day_from: dt.date, day_to: dt.date) -> Q:
    """The (year, month) pairs the period touches, as one filter."""
    found = Q(pk__in=[])
    year, month = day_from.year, day_from.month
    while (year, month) <= (day_to.year, day_to.month):
        found |= Q(year=year, month=month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def activities_by_theme(site: Site, day_from: dt.date, day_to: dt.date) -> list[ThemeRow]:
    """One row per theme of the period (the themes set at the site or above, the
    county's calendar), in month order, then the row of activities with no theme when
    there are any."""
    start, end = range_window(day_from, day_to)
    held = Activity.objects.filter(
        site__path__startswith=site.path,
        status__in=HELD,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    rows: dict[int | None, ThemeRow] = {
        t.pk: ThemeRow(t.pk, t.year, t.month, t.title)
        for t in MonthlyTheme.objects.filter(
            _months(day_from, day_to), site_id__in=site.ancestor_ids()
        ).order_by("year", "month", "pk")
    }
    counted = (
        held.values("theme_id")
        .annotate(
            n=Count("pk"),
            done=Count("pk", filter=Q(status=ActivityStatus.FINISHED)),
        )
        .order_by()
    )
    attended = (
        Signup.objects.filter(activity__in=held, attendance=AttendanceStatus.CONFIRMED)
        .values("activity__theme_id")
        .annotate(people=Count("volunteer_id", distinct=True), hours=Sum("confirmed_hours"))
        .order_by()
    )

    # An activity's theme is always its county's theme for the month it starts in
    # (activities.services.publishing), so every theme met here is already a row; only
    # the activities without a theme add one (None).
    def row_of(theme_id: int | None) -> ThemeRow:
        return rows.setdefault(theme_id, ThemeRow(theme_id, None, None, ""))

    for row in counted:
        target = row_of(row["theme_id"])
        target.activities, target.finished = row["n"], row["done"]
    for seen in attended:  # its own name: a row of another shape than ``counted``'s
        target = row_of(seen["activity__theme_id"])
        target.volunteers, target.hours = seen["people"], seen["hours"] or Decimal("0")
    ordered = sorted(
        (r for pk, r in rows.items() if pk is not None),
        key=lambda r: (r.year or 0, r.month or 0, r.theme_id or 0),
    )
    if None in rows:
        ordered.append(rows[None])
    return ordered
