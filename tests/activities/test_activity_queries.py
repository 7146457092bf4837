"""Activity lists cost the same number of queries whatever the page size: the roles
and their taken places are one prefetch, sites and themes are joined."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.activities.models import Activity, ActivityRole, Signup

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def _copies(activity: Activity, n: int) -> None:
    fields = {f.attname: getattr(activity, f.attname) for f in activity._meta.concrete_fields}
    fields["id"] = None
    made = Activity.objects.bulk_create([Activity(**fields) for _ in range(n - 1)])
    ActivityRole.objects.bulk_create(
        [ActivityRole(activity=a, name=name, slots=3) for a in made for name in ("甲", "乙")]
    )


def _count(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_list_api_and_page_same_queries_at_1_and_60(
    cast: Any, tree: Any, api_as: Any, login_as: Any, vol1: Any
) -> None:
    activity = make_activity(cast.village1, tree.village1)
    from apps.activities import services

    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    api = api_as(cast.town1)
    page = login_as(cast.town1)
    api.get("/api/v1/activities/?page_size=1")  # warm: sessions, the cached roles
    page.get("/activities/?page=1")
    small_api = _count(lambda: api.get("/api/v1/activities/?page_size=1"))
    small_page = _count(lambda: page.get("/activities/?page=1"))
    _copies(activity, 60)
    assert Signup.objects.count() == 1
    response = api.get("/api/v1/activities/?page_size=60")
    assert len(response.json()["results"]) == 60
    assert _count(lambda: api.get("/api/v1/activities/?page_size=60")) == small_api
    assert _count(lambda: page.get("/activities/")) == small_page
    assert small_api <= 8
