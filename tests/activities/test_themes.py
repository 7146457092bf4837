"""一月一主题: county admins keep the calendar; everyone below reads it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.activities import services
from apps.activities.models import MonthlyTheme
from apps.core.errors import PermissionDeniedError

from .conftest import make_activity, soon

pytestmark = pytest.mark.django_db


def test_county_admin_sets_and_changes_a_month(cast: Any, tree: Any) -> None:
    theme, created = services.theme_set(
        actor=cast.county, year=2027, month=3, title="学雷锋", guidance="走进社区"
    )
    assert created and theme.site_id == tree.county.pk
    again, created = services.theme_set(actor=cast.county, year=2027, month=3, title="学雷锋志愿月")
    assert not created and again.pk == theme.pk
    theme.refresh_from_db()
    assert theme.title == "学雷锋志愿月"
    assert MonthlyTheme.objects.count() == 1


def test_township_staff_cannot_keep_the_calendar(cast: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.theme_set(actor=cast.town1, year=2027, month=3, title="x")


def test_month_out_of_range(cast: Any) -> None:
    with pytest.raises(ValidationError):
        services.theme_set(actor=cast.county, year=2027, month=13, title="x")


def test_activity_takes_only_its_months_theme(cast: Any, tree: Any) -> None:
    start = soon(24 * 40)
    from django.utils import timezone

    local = timezone.localtime(start)
    right, _ = services.theme_set(
        actor=cast.county, year=local.year, month=local.month, title="本月"
    )
    other_month = local.month % 12 + 1
    wrong, _ = services.theme_set(
        actor=cast.county, year=local.year, month=other_month, title="下月"
    )
    activity = make_activity(cast.village1, tree.village1, starts_at=start, theme=right)
    assert activity.theme_id == right.pk
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.village1, tree.village1, starts_at=start, theme=wrong)
    assert "theme" in exc.value.message_dict


def test_theme_api_and_page(cast: Any, tree: Any, api_as: Any, login_as: Any) -> None:
    response = api_as(cast.county).post(
        "/api/v1/themes/", {"year": 2027, "month": 5, "title": "文明家风"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (
        api_as(cast.county)
        .post("/api/v1/themes/", {"year": 2027, "month": 5, "title": "文明家风月"}, format="json")
        .status_code
        == 200
    )
    assert (
        api_as(cast.town1)
        .post("/api/v1/themes/", {"year": 2027, "month": 6, "title": "x"}, format="json")
        .status_code
        == 403
    )
    # A resident below the county reads the calendar.
    listed = api_as(cast.res1).get("/api/v1/themes/?year=2027").json()
    assert [t["title"] for t in listed["results"]] == ["文明家风月"]
    theme_id = response.json()["id"]
    assert api_as(cast.town1).delete(f"/api/v1/themes/{theme_id}/").status_code == 404

    client = login_as(cast.county)
    page = client.get("/activities/themes/?year=2027")
    assert page.status_code == 200 and "文明家风月" in page.content.decode()
    saved = client.post(
        "/activities/themes/?year=2027", {"month": "7", "m7-title": "红色七月", "m7-guidance": ""}
    )
    assert saved.status_code == 302
    assert MonthlyTheme.objects.filter(year=2027, month=7, title="红色七月").exists()
    # Staff below read it without forms.
    readonly = login_as(cast.village1).get("/activities/themes/?year=2027").content.decode()
    assert "红色七月" in readonly and 'name="m7-title"' not in readonly
