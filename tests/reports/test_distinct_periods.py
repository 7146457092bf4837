"""Distinct active volunteers per calendar month and year (``reports.distinct``): each
period row equals the distinct count of its subtree's day rows, the summary and the
league read them for calendar periods (and still equal the raw figures), other ranges
count the days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.reports import distinct, figures
from apps.reports.figures import by_child_site, summary, summary_raw
from apps.reports.models import ActiveVolunteerDay, ActiveVolunteerPeriod
from apps.sites.models import Site

from .conftest import History
from .test_rollup import roll_all

pytestmark = pytest.mark.django_db


def counted_from_days(site: Site, start: dt.date, end: dt.date) -> int:
    return (
        ActiveVolunteerDay.objects.filter(
            site__path__startswith=site.path, day__gte=start, day__lte=end
        )
        .values("volunteer_id")
        .distinct()
        .count()
    )


def spy(monkeypatch: Any) -> list[Any]:
    answers: list[Any] = []
    real = distinct.period_count

    def wrapped(*args: Any) -> Any:
        answers.append(result := real(*args))
        return result

    monkeypatch.setattr(figures, "period_count", wrapped)
    return answers


def test_each_period_row_is_the_distinct_count_of_its_days(history: History) -> None:
    roll_all(history)
    periods = {
        p
        for d in ActiveVolunteerDay.objects.dates("day", "day")
        for p in distinct.calendar_periods(d)
    }
    assert periods
    for start, end in periods:
        for site in Site.objects.all():
            row = ActiveVolunteerPeriod.objects.filter(site=site, start=start, end=end).first()
            expected = counted_from_days(site, start, end)
            assert (row.volunteers if row else 0) == expected, (site.name, start, end)
    assert ActiveVolunteerPeriod.objects.filter(volunteers__gt=0).exists()


def test_a_calendar_month_is_read_from_its_row_and_equals_the_raw_figures(
    history: History, tree: Any, monkeypatch: Any
) -> None:
    roll_all(history)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    start, end = distinct.calendar_periods(history.first)[0]
    day_to = min(end, yesterday)
    answers = spy(monkeypatch)
    for site in (tree.county, tree.town1, tree.village1):
        got = summary(site, start, day_to).as_dict()
        assert got == summary_raw(site, start, day_to).as_dict(), site.name
    assert answers and all(a is not None for a in answers)
    rows = by_child_site(tree.county, start, day_to)
    for child, fig in rows:
        assert fig.active_volunteers == summary_raw(child, start, day_to).active_volunteers


def test_other_ranges_count_the_days(history: History, tree: Any, monkeypatch: Any) -> None:
    roll_all(history)
    answers = spy(monkeypatch)
    day_from = history.first + dt.timedelta(days=1)
    if day_from.day == 1:  # a month's first day would be a calendar period
        day_from += dt.timedelta(days=1)
    day_to = timezone.localdate() - dt.timedelta(days=1)
    got = summary(tree.county, day_from, day_to).as_dict()
    assert got == summary_raw(tree.county, day_from, day_to).as_dict()
    assert answers == [None]


def test_rebuilding_a_day_keeps_its_periods_exact(history: History, tree: Any) -> None:
    roll_all(history)
    day = ActiveVolunteerDay.objects.order_by("day").values_list("day", flat=True).first()
    start, end = distinct.calendar_periods(day)[1]
    ActiveVolunteerDay.objects.filter(day=day).delete()  # as if the day had been lost
    from apps.reports.rollup import rollup_day

    rollup_day(day)
    row = ActiveVolunteerPeriod.objects.get(site=tree.county, start=start, end=end)
    assert row.volunteers == counted_from_days(tree.county, start, end)
    distinct.rollup_all_periods()
    assert (
        ActiveVolunteerPeriod.objects.get(site=tree.county, start=start, end=end).volunteers
        == row.volunteers
    )
