"""Monthly sums of the daily roll-ups (``reports.monthly``): each month row equals the
sums of its day rows, a range is cut into whole months and the days around them exactly
once, and the figures read that way equal the raw figures."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.orders.models import ServiceOrder
from apps.reports.figures import by_child_site, summary, summary_raw, timeseries
from apps.reports.models import (
    CategoryDailyStat,
    CategoryMonthlyStat,
    SiteDailyStat,
    SiteMonthlyStat,
)
from apps.reports.monthly import (
    CATEGORY_FIELDS,
    SITE_FIELDS,
    next_month,
    rollup_all_months,
    split_range,
)
from apps.reports.rollup import rollup_day

from .conftest import History
from .test_rollup import roll_all

pytestmark = pytest.mark.django_db


def covered(day_from: dt.date, last: dt.date) -> list[dt.date]:
    day_ranges, months = split_range(day_from, last)
    days: list[dt.date] = []
    for a, b in day_ranges:
        days += [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
    if months:
        month = months[0]
        while month <= months[1]:
            after = next_month(month)
            days += [month + dt.timedelta(days=i) for i in range((after - month).days)]
            month = after
    return sorted(days)


@pytest.mark.parametrize(
    ("day_from", "last", "months"),
    [
        ("2026-03-05", "2026-03-20", None),  # inside one month
        ("2026-03-01", "2026-03-31", ("2026-03-01", "2026-03-01")),  # exactly a month
        ("2026-01-01", "2026-12-31", ("2026-01-01", "2026-12-01")),  # a year
        ("2026-01-01", "2026-12-01", ("2026-01-01", "2026-11-01")),  # a year up to today
        ("2026-02-15", "2026-03-31", ("2026-03-01", "2026-03-01")),
        ("2026-02-15", "2026-03-30", None),  # no whole month
        ("2024-02-01", "2024-02-29", ("2024-02-01", "2024-02-01")),  # leap February
        ("2025-12-31", "2026-01-01", None),
    ],
)
def test_split_range_reads_whole_months_from_month_rows(
    day_from: str, last: str, months: tuple[str, str] | None
) -> None:
    a, b = dt.date.fromisoformat(day_from), dt.date.fromisoformat(last)
    got = split_range(a, b)[1]
    assert got == (tuple(dt.date.fromisoformat(m) for m in months) if months else None)
    assert covered(a, b) == [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def test_split_range_covers_every_day_of_any_range_once() -> None:
    rng = random.Random(20261202)
    base = dt.date(2023, 11, 1)
    for _ in range(400):
        a = base + dt.timedelta(days=rng.randrange(900))
        b = a + dt.timedelta(days=rng.randrange(500))
        assert covered(a, b) == [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]


def day_sums(model: Any, keys: list[str], fields: list[str]) -> dict[tuple[Any, ...], Any]:
    out: dict[tuple[Any, ...], Any] = {}
    for row in model.objects.all().values(*keys, *fields, "day"):
        key = (*(row[k] for k in keys), row["day"].replace(day=1))
        entry = out.setdefault(key, {f: 0 for f in fields})
        for f in fields:
            entry[f] += row[f] or 0
    return out


def month_rows(model: Any, keys: list[str], fields: list[str]) -> dict[tuple[Any, ...], Any]:
    return {
        (*(row[k] for k in keys), row["month"]): {f: row[f] for f in fields}
        for row in model.objects.values(*keys, *fields, "month")
    }


def assert_months_equal_days() -> None:
    sites = day_sums(SiteDailyStat, ["site_id"], SITE_FIELDS)
    assert sites
    assert month_rows(SiteMonthlyStat, ["site_id"], SITE_FIELDS) == sites
    cats = day_sums(CategoryDailyStat, ["site_id", "category"], CATEGORY_FIELDS)
    assert cats
    assert month_rows(CategoryMonthlyStat, ["site_id", "category"], CATEGORY_FIELDS) == cats


def test_each_month_row_is_the_sum_of_its_day_rows(history: History) -> None:
    roll_all(history)
    assert_months_equal_days()
    # The backfill rebuilds the same rows from the day rows.
    before = month_rows(SiteMonthlyStat, ["site_id"], SITE_FIELDS)
    SiteMonthlyStat.objects.all().delete()
    CategoryMonthlyStat.objects.all().delete()
    assert rollup_all_months() > 0
    assert month_rows(SiteMonthlyStat, ["site_id"], SITE_FIELDS) == before


def test_rebuilding_a_day_rebuilds_its_month(history: History) -> None:
    roll_all(history)
    order = ServiceOrder.objects.filter(created_at__date__gte=history.first).earliest("created_at")
    day = timezone.localtime(order.created_at).date()
    month_before = SiteMonthlyStat.objects.get(site=order.site_id, month=day.replace(day=1))
    ServiceOrder.objects.filter(pk=order.pk).delete()
    rollup_day(day)
    month_after = SiteMonthlyStat.objects.filter(site=order.site_id, month=day.replace(day=1))
    placed_after = month_after.first().orders_placed if month_after.exists() else 0
    assert placed_after == month_before.orders_placed - 1
    assert_months_equal_days()


def whole_months_range(history: History) -> tuple[dt.date, dt.date]:
    """From the first month with history to yesterday: at least two whole months."""
    day_from = history.first.replace(day=1)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    months = split_range(day_from, yesterday)[1]
    assert months and months[0] < months[1], "the history spans two whole months"
    return day_from, yesterday


def test_ranges_with_whole_months_equal_the_raw_figures(history: History, tree: Any) -> None:
    roll_all(history)
    day_from, day_to = whole_months_range(history)
    for a, b in ((day_from, day_to), (day_from + dt.timedelta(days=9), day_to)):
        for site in (tree.county, tree.town1, tree.village1):
            got = summary(site, a, b).as_dict()
            raw = summary_raw(site, a, b).as_dict()
            assert got == raw, (site.name, a, b)
        assert got["orders_placed"] > 0
        for child, fig in by_child_site(tree.county, a, b):
            expected = summary_raw(child, a, b).as_dict()
            assert fig.as_dict() | {"by_category": {}} == expected | {"by_category": {}}
    series = timeseries(tree.county, day_from, day_to, "month")
    total = summary_raw(tree.county, day_from, day_to)
    assert sum(p["orders_placed"] for p in series) == total.orders_placed
    assert sum(Decimal(p["volunteer_hours"]) for p in series) == total.volunteer_hours
    by_day = timeseries(tree.county, day_from, day_to, "day")
    for month_point in series:
        month = dt.date.fromisoformat(month_point["period"])
        days = [p for p in by_day if dt.date.fromisoformat(p["period"]).replace(day=1) == month]
        assert month_point["orders_placed"] == sum(p["orders_placed"] for p in days)


def test_whole_months_are_read_from_the_month_rows(history: History, tree: Any) -> None:
    """Not only equal: read from them. With a whole month's day rows gone, a range
    covering the month still counts it; a range ending a day short does not."""
    roll_all(history)
    day_from, day_to = whole_months_range(history)
    first_month = split_range(day_from, day_to)[1][0]  # type: ignore[index]
    month_end = next_month(first_month) - dt.timedelta(days=1)
    expected = summary(tree.county, first_month, month_end).orders_placed
    in_month = SiteDailyStat.objects.filter(day__gte=first_month, day__lte=month_end)
    assert in_month.aggregate(n=Sum("orders_placed"))["n"] == expected > 0
    in_month.delete()
    assert summary(tree.county, first_month, month_end).orders_placed == expected
    short = summary(tree.county, first_month, month_end - dt.timedelta(days=1)).orders_placed
    assert short == 0
