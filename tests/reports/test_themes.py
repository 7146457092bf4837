"""一月一主题 in the reports: activities counted per monthly theme for a subtree and a
period, against the rows themselves; drafts and cancelled activities left out; every
theme of the period listed, with zeros where no site took it up; a fixed number of
queries; the same rows on the dashboard, the bulletin and the summary API."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.activities import services
from apps.activities.models import Activity, ActivityStatus, AttendanceStatus, Signup
from apps.reports.themes import activities_by_theme
from tests.activities.conftest import make_activity, soon
from tests.orders.factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


@pytest.fixture
def period(cast: Any) -> dict[str, Any]:
    """The month of the activities' start and the month after, each with a theme."""
    start = soon()
    local = timezone.localtime(start)
    year, month = local.year, local.month
    next_year, next_month = _month_after(year, month)
    first, _ = services.theme_set(actor=cast.county, year=year, month=month, title="温暖冬日")
    second, _ = services.theme_set(
        actor=cast.county, year=next_year, month=next_month, title="文明过年"
    )
    return {
        "start": start,
        "themes": (first, second),
        "from": dt.date(year, month, 1),
        "to": dt.date(next_year, next_month, calendar.monthrange(next_year, next_month)[1]),
    }


def _attend(activity: Activity, volunteers: list[Any], hours: list[str | None]) -> None:
    """Confirmed attendance (hours) or a no-show (None) for each volunteer."""
    for volunteer, h in zip(volunteers, hours, strict=True):
        services.signup_create(actor=volunteer.user, activity_id=activity.pk, confirm_overlap=True)
        Signup.objects.filter(activity=activity, volunteer=volunteer).update(
            attendance=AttendanceStatus.CONFIRMED if h else AttendanceStatus.NO_SHOW,
            confirmed_hours=Decimal(h) if h else Decimal("0"),
        )


def _held(cast: Any, tree: Any, period: dict[str, Any], n_extra: int = 0) -> dict[str, Any]:
    theme, _ = period["themes"]
    start = period["start"]
    people = [VolunteerFactory(site=tree.village1) for _ in range(3)]
    a1 = make_activity(cast.village1, tree.village1, starts_at=start, theme=theme)
    _attend(a1, people[:2], ["2.0", "1.5"])
    a2 = make_activity(cast.village1, tree.village1, starts_at=start, theme=theme)
    _attend(a2, people[1:], ["2.5", None])
    Activity.objects.filter(pk=a2.pk).update(status=ActivityStatus.FINISHED)
    make_activity(cast.town2, tree.village2, starts_at=start, theme=theme)
    make_activity(cast.village1, tree.village1, starts_at=start)  # no theme
    make_activity(cast.village1, tree.village1, starts_at=start, theme=theme, publish=False)
    cancelled = make_activity(cast.village1, tree.village1, starts_at=start, theme=theme)
    services.activity_cancel(actor=cast.village1, activity_id=cancelled.pk, reason="下雨")
    for _ in range(n_extra):
        make_activity(cast.village1, tree.village1, starts_at=start, theme=theme)
    return {"people": people}


def test_counts_per_theme_for_the_county_and_a_township(
    cast: Any, tree: Any, period: dict[str, Any]
) -> None:
    _held(cast, tree, period)
    first, second = period["themes"]

    county = {r.theme_id: r for r in activities_by_theme(tree.county, period["from"], period["to"])}
    assert list(county) == [first.pk, second.pk, None]
    row = county[first.pk]
    # a1, a2 (finished) and the township's; not the draft, not the cancelled one.
    assert (row.activities, row.finished) == (3, 1)
    # Distinct volunteers with confirmed attendance (the no-show is not one), their hours.
    assert (row.volunteers, row.hours) == (2, Decimal("6.0"))
    assert (row.title, row.year, row.month) == (first.title, first.year, first.month)
    assert (county[second.pk].activities, county[second.pk].hours) == (0, Decimal("0"))
    assert county[None].activities == 1

    town2 = {r.theme_id: r for r in activities_by_theme(tree.town2, period["from"], period["to"])}
    assert (town2[first.pk].activities, town2[first.pk].volunteers) == (1, 0)
    assert None not in town2

    # The same figures read straight from the rows.
    held = Activity.objects.filter(
        theme=first, status__in=["published", "finished"], site__path__startswith=tree.county.path
    )
    assert row.activities == held.count()
    confirmed = Signup.objects.filter(activity__in=held, attendance="confirmed")
    assert row.hours == sum(s.confirmed_hours for s in confirmed)


def test_a_period_without_the_activities_months_lists_nothing_of_them(
    cast: Any, tree: Any, period: dict[str, Any]
) -> None:
    _held(cast, tree, period)
    long_ago = period["from"].replace(year=period["from"].year - 2)
    assert activities_by_theme(tree.county, long_ago, long_ago + dt.timedelta(days=20)) == []


def test_query_count_does_not_grow_with_the_activities(
    cast: Any, tree: Any, period: dict[str, Any]
) -> None:
    _held(cast, tree, period)
    with CaptureQueriesContext(connection) as few:
        activities_by_theme(tree.county, period["from"], period["to"])
    for _ in range(6):
        make_activity(cast.village1, tree.village1, starts_at=period["start"])
    with CaptureQueriesContext(connection) as many:
        rows = activities_by_theme(tree.county, period["from"], period["to"])
    assert rows[-1].activities == 7
    assert len(many) == len(few) <= 4


def test_dashboard_bulletin_and_summary_api_show_the_themes(
    client: Any, api_as: Any, cast: Any, tree: Any, period: dict[str, Any]
) -> None:
    _held(cast, tree, period)
    first, second = period["themes"]
    query = f"site={tree.county.pk}&from={period['from']}&to={period['to']}"
    client.force_login(cast.county)
    for path in ("/reports/", "/reports/bulletin/"):
        page = client.get(f"{path}?{query}").content.decode()
        assert 'id="theme-table"' in page and "温暖冬日" in page and "文明过年" in page, path
        assert "未选主题" in page
    # In English the column counts activities (its own context, not the model's name).
    client.cookies["django_language"] = "en"
    page = client.get(f"/reports/?{query}").content.decode()
    header = page[page.index('id="theme-table"') :].split("</thead>")[0]
    assert "<th>Activities</th>" in header and "<th>Activity</th>" not in header
    del client.cookies["django_language"]
    body = api_as(cast.county).get(f"/api/v1/reports/summary/?{query}").json()
    themes = {t["title"]: t for t in body["themes"]}
    assert themes["温暖冬日"]["activities"] == 3 and themes["温暖冬日"]["hours"] == "6.0"
    assert themes["文明过年"]["activities"] == 0
    assert themes[""]["theme"] is None and themes[""]["activities"] == 1
    # A volunteer sees no report at all.
    assert api_as(cast.vol1).get(f"/api/v1/reports/summary/?{query}").status_code == 404
