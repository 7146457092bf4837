"""The activity lifecycle: draft → published → (cancelled | finished), one table,
events, illegal moves, scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.activities import services
from apps.activities.models import Activity, ActivityEvent, ActivityStatus
from apps.activities.services.workflow import TRANSITIONS
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.notifications.models import Notification

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def test_every_move_writes_an_event(cast: Any, tree: Any) -> None:
    activity = make_activity(cast.village1, tree.village1, publish=False)
    assert activity.status == ActivityStatus.DRAFT
    services.activity_publish(actor=cast.town1, activity_id=activity.pk)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=activity.starts_at - dt.timedelta(days=3),
        ends_at=activity.ends_at - dt.timedelta(days=3),
        signup_deadline=activity.signup_deadline - dt.timedelta(days=3),
    )
    services.activity_finish(actor=cast.village1, activity_id=activity.pk)
    activity.refresh_from_db()
    assert activity.status == ActivityStatus.FINISHED
    events = list(
        ActivityEvent.objects.filter(activity=activity).values_list(
            "action", "from_status", "to_status"
        )
    )
    assert events == [
        ("create", "", "draft"),
        ("publish", "draft", "published"),
        ("finish", "published", "finished"),
    ]


def test_illegal_moves(cast: Any, tree: Any) -> None:
    activity = make_activity(cast.village1, tree.village1, publish=False)
    with pytest.raises(ConflictError) as exc:
        services.activity_finish(actor=cast.village1, activity_id=activity.pk)
    assert exc.value.code == "illegal_transition"
    services.activity_cancel(actor=cast.village1, activity_id=activity.pk, reason="天气")
    for move in (
        lambda: services.activity_publish(actor=cast.village1, activity_id=activity.pk),
        lambda: services.activity_cancel(actor=cast.village1, activity_id=activity.pk, reason="x"),
        lambda: services.activity_update(actor=cast.village1, activity_id=activity.pk, title="新"),
    ):
        with pytest.raises(ConflictError):
            move()
    assert set(TRANSITIONS["cancel"][1]) == {"cancelled"}


def test_finish_waits_for_the_start(cast: Any, activity: Activity) -> None:
    with pytest.raises(PermissionDeniedError):
        services.activity_finish(actor=cast.village1, activity_id=activity.pk)


def test_not_yours(cast: Any, tree: Any, activity: Activity) -> None:
    with pytest.raises(NotFoundError):
        make_activity(cast.town2, tree.village1)
    # town2 cannot see it (another township's subtree): not found, not forbidden.
    with pytest.raises(NotFoundError):
        services.activity_cancel(actor=cast.town2, activity_id=activity.pk, reason="x")
    # A volunteer below sees it but may not run it.
    with pytest.raises(PermissionDeniedError):
        services.activity_cancel(actor=cast.res1, activity_id=activity.pk, reason="x")


def test_validation(cast: Any, tree: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.village1, tree.village1, roles=[{"name": "", "slots": 0}])
    assert "roles" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.village1, tree.village1, latitude=30)
    assert "latitude" in exc.value.message_dict
    # Only the county sets a fixed number of points.
    with pytest.raises(ValidationError) as exc:
        make_activity(cast.village1, tree.village1, points_mode="fixed", fixed_points=50)
    assert "points_mode" in exc.value.message_dict
    fixed = make_activity(cast.county, tree.village1, points_mode="fixed", fixed_points=50)
    assert fixed.fixed_points == 50


def test_visible_to_the_subtree_only(cast: Any, tree: Any, activity: Activity) -> None:
    from apps.activities import selectors

    assert selectors.access_activity(cast.res1, activity.pk) == activity
    with pytest.raises(NotFoundError):
        selectors.access_activity(cast.res9, activity.pk)
    draft = make_activity(cast.village1, tree.village1, publish=False)
    with pytest.raises(NotFoundError):
        selectors.access_activity(cast.res1, draft.pk)
    listed = set(selectors.activity_list(fetched_by=cast.res1).values_list("pk", flat=True))
    assert listed == {activity.pk}
    staff = set(selectors.activity_list(fetched_by=cast.town1).values_list("pk", flat=True))
    assert staff == {activity.pk, draft.pk}
    assert not selectors.activity_list(fetched_by=cast.town2).exists()


def test_county_activity_reaches_every_village(cast: Any, tree: Any) -> None:
    from apps.activities import selectors

    county_wide = make_activity(cast.county, tree.county)
    assert selectors.access_activity(cast.res9, county_wide.pk) == county_wide


def test_cancel_and_move_tell_the_signed_up(cast: Any, activity: Activity, vol1: Any) -> None:
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    services.activity_update(actor=cast.village1, activity_id=activity.pk, address="东关小学操场")
    moved = Notification.objects.get(user=cast.vol1, kind="activity_changed")
    assert "东关小学操场" in moved.body
    services.activity_update(actor=cast.village1, activity_id=activity.pk, description="新说明")
    assert Notification.objects.filter(user=cast.vol1, kind="activity_changed").count() == 1
    services.activity_cancel(actor=cast.village1, activity_id=activity.pk, reason="暴雨预警")
    cancelled = Notification.objects.get(user=cast.vol1, kind="activity_cancelled")
    assert "暴雨预警" in cancelled.body


def test_editing_through_the_form_keeps_the_time_and_tells_no_one(
    cast: Any, activity: Activity, vol1: Any, login_as: Any
) -> None:
    from django.utils import timezone

    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    client = login_as(cast.village1)
    form = client.get(f"/activities/{activity.pk}/edit/")
    assert form.status_code == 200
    local = {
        k: timezone.localtime(getattr(activity, k)).strftime("%Y-%m-%dT%H:%M")
        for k in ("starts_at", "ends_at", "signup_deadline")
    }
    response = client.post(
        f"/activities/{activity.pk}/edit/",
        {
            "title": "东关社区环境整治（第二期）",
            "category": activity.category,
            "address": activity.address,
            **local,
            "points_mode": "per_hour",
            "points_per_hour": "10",
            "role1_name": "引导员",
            "role1_slots": "3",
            "role2_name": "清扫",
            "role2_slots": "5",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    activity.refresh_from_db()
    assert activity.title == "东关社区环境整治（第二期）"
    assert activity.roles.get(name="引导员").slots == 3
    assert not Notification.objects.filter(kind="activity_changed").exists()
