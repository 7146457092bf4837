"""Activity pages: list, publish form, detail with sign-up, overlap confirm, staff
decisions; every page in Chinese and in English."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.activities.models import Activity, Signup

from .conftest import make_activity, soon

pytestmark = pytest.mark.django_db


def test_staff_drafts_and_publishes_through_the_pages(cast: Any, tree: Any, login_as: Any) -> None:
    client = login_as(cast.village1)
    assert client.get("/activities/new/").status_code == 200
    start = timezone.localtime(soon())
    response = client.post(
        "/activities/new/",
        {
            "site": tree.village1.pk,
            "title": "重阳敬老",
            "category": "elderly",
            "address": "东关社区活动室",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "points_mode": "per_hour",
            "points_per_hour": "10",
            "role1_name": "陪护",
            "role1_slots": "3",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = Activity.objects.get(title="重阳敬老")
    assert activity.roles.get().slots == 3
    detail = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "发布招募" in detail
    client.post(f"/activities/{activity.pk}/publish/")
    activity.refresh_from_db()
    assert activity.status == "published"


def test_volunteer_signs_up_and_confirms_an_overlap(
    cast: Any, tree: Any, login_as: Any, vol1: Any
) -> None:
    first = make_activity(cast.village1, tree.village1, title="第一场")
    second = make_activity(cast.village1, tree.village1, title="第二场")
    client = login_as(cast.vol1)
    listed = client.get("/activities/").content.decode()
    assert "第一场" in listed and "第二场" in listed
    role = first.roles.first()
    assert client.post(f"/activities/{first.pk}/signup/", {"role": role.pk}).status_code == 302
    clash = client.post(f"/activities/{second.pk}/signup/", {"role": second.roles.first().pk})
    assert clash.status_code == 409 and "第一场" in clash.content.decode()
    assert not Signup.objects.filter(activity=second).exists()
    done = client.post(
        f"/activities/{second.pk}/signup/",
        {"role": second.roles.first().pk, "confirm_overlap": "1"},
    )
    assert done.status_code == 302
    assert Signup.objects.get(activity=second).overlap_confirmed
    mine = client.get("/activities/mine/").content.decode()
    assert "第一场" in mine and "第二场" in mine
    client.post(f"/activities/{first.pk}/withdraw/")
    assert Signup.objects.get(activity=first).status == "withdrawn"


def test_staff_approve_and_refuse_on_the_page(
    cast: Any, tree: Any, login_as: Any, vol1: Any
) -> None:
    activity = make_activity(cast.village1, tree.village1, needs_approval=True)
    login_as(cast.vol1).post(
        f"/activities/{activity.pk}/signup/", {"role": activity.roles.first().pk}
    )
    signup = Signup.objects.get()
    assert signup.status == "pending"
    staff = login_as(cast.village1)
    page = staff.get(f"/activities/{activity.pk}/").content.decode()
    assert "张丽" in page and "通过" in page
    staff.post(f"/activities/{activity.pk}/signups/{signup.pk}/approve/")
    signup.refresh_from_db()
    assert signup.status == "confirmed"


def test_not_yours_pages(cast: Any, tree: Any, login_as: Any) -> None:
    activity = make_activity(cast.village1, tree.village1)
    client = login_as(cast.town2)
    assert client.get(f"/activities/{activity.pk}/").status_code == 404
    assert client.get(f"/activities/{activity.pk}/edit/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/cancel/", {"reason": "x"}).status_code == 404
    activity.refresh_from_db()
    assert activity.status == "published"
    # A volunteer may see it but not edit it.
    assert login_as(cast.res1).get(f"/activities/{activity.pk}/edit/").status_code == 404


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_render_in_both_languages(
    cast: Any, tree: Any, login_as: Any, language: str, vol1: Any
) -> None:
    activity = make_activity(cast.village1, tree.village1)
    for user in (cast.village1, cast.vol1, cast.county):
        client = login_as(user)
        client.cookies["django_language"] = language
        for url in (
            "/activities/",
            f"/activities/{activity.pk}/",
            "/activities/themes/",
            "/activities/mine/",
        ):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            text = response.content.decode()
            if language == "en":
                assert "Activities" in text or "activit" in text.lower(), url
    english = login_as(cast.village1)
    english.cookies["django_language"] = "en"
    page = english.get(f"/activities/{activity.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign-ups" in page and "报名名单" not in page
