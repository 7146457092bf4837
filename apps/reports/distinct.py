"""Distinct active volunteers per calendar month and year (``ActiveVolunteerPeriod``).

``rollup_periods(day)`` recomputes the month and the year that contain ``day`` for every
site's subtree, set-based: one ``COUNT(DISTINCT volunteer_id)`` per level of the site
tree, joining each day row's site to its ancestor by path prefix (an equality on
``SUBSTR(path, 1, n)``, so a hash join). ``rollup_days`` calls it once per month it
rolls, in the same transaction, so a period row always counts every day row of its
period.

``period_count`` answers a range with such a row when the range is a calendar period
as far as it has day rows (``[start, d]`` with ``d`` at or after the period's last day
row and within the period); otherwise it says None and the caller counts the days.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from apps.sites.models import Site

from .models import ActiveVolunteerDay, ActiveVolunteerPeriod


def calendar_periods(day: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The month and the year containing ``day``, as (first day, last day)."""
    month_start = day.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    return [
        (month_start, next_month - dt.timedelta(days=1)),
        (dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)),
    ]


def rollup_periods(day: dt.date) -> int:
    """Recompute the periods containing ``day``; returns the rows written."""
    written = 0
    for start, end in calendar_periods(day):
        written += _rollup_period(start, end)
    return written


def _rollup_period(start: dt.date, end: dt.date) -> int:
    avd = ActiveVolunteerDay._meta.db_table
    sites = Site._meta.db_table
    period = ActiveVolunteerPeriod._meta.db_table
    lengths = sorted({len(p) for p in Site.objects.values_list("path", flat=True).distinct() if p})
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {period} WHERE start = %s AND {_q('end')} = %s", [start, end])
        cur.execute(f"SELECT MAX(day) FROM {avd} WHERE day >= %s AND day <= %s", [start, end])
        last_day = cur.fetchone()[0]
        if last_day is None:
            return 0
        written = 0
        for n in lengths:
            cur.execute(
                f"INSERT INTO {period} (site_id, start, {_q('end')}, volunteers, last_day)"
                f" SELECT anc.id, %s, %s, COUNT(DISTINCT d.volunteer_id), %s"
                f" FROM {avd} d JOIN {sites} s ON s.id = d.site_id"
                f" JOIN {sites} anc ON anc.path = SUBSTR(s.path, 1, {int(n)})"
                f" WHERE d.day >= %s AND d.day <= %s AND LENGTH(s.path) >= {int(n)}"
                " GROUP BY anc.id",
                [start, end, last_day, start, end],
            )
            written += max(cur.rowcount, 0)
    return written


def rollup_all_periods() -> int:
    """Every month and year that has day rows (the migration's backfill, and after a
    bulk load of day rows)."""
    days = ActiveVolunteerDay.objects.dates("day", "month")
    written = 0
    years: set[int] = set()
    for month in days:
        written += _rollup_period(*calendar_periods(month)[0])
        years.add(month.year)
    for year in sorted(years):
        written += _rollup_period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    return written


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def period_count(site_ids: list[int], day_from: dt.date, last: dt.date) -> dict[int, int] | None:
    """Distinct active volunteers over [``day_from``, ``last``] of each site's subtree,
    from the period rows, or None when no calendar period answers that range. A site
    without a row in an answered period had nobody active (0)."""
    for start, end in calendar_periods(day_from):
        if start != day_from or last > end:
            continue
        rows = ActiveVolunteerPeriod.objects.filter(start=start, end=end)
        anchor = rows.values_list("last_day", flat=True).first()
        if anchor is None:
            continue
        if last < anchor:  # the range stops before the period's last day row
            continue
        found = dict(rows.filter(site_id__in=site_ids).values_list("site_id", "volunteers"))
        return {pk: found.get(pk, 0) for pk in site_ids}
    return None
