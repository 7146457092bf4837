"""After the activity: bulk confirmation, per-person corrections with a reason,
no-shows, points by mode, and the rows the points settlement reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.activities import selectors, services
from apps.activities.models import Activity, ActivityEvent, Signup
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from tests.orders.factories import ServiceItemFactory

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def finished(cast: Any, tree: Any, volunteers: list[Any], **overrides: Any) -> Activity:
    """A 3-hour activity that ended an hour ago: a and b came (b forgot to check out),
    c never came, d withdrew."""
    activity = make_activity(
        cast.village1, tree.village1, roles=[{"name": "清扫", "slots": 10}], **overrides
    )
    for v in volunteers:
        services.signup_create(actor=v.user, activity_id=activity.pk)
    services.signup_withdraw(actor=volunteers[3].user, activity_id=activity.pk)
    start = timezone.now() - dt.timedelta(hours=4)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=3), signup_deadline=start
    )
    a, b = volunteers[:2]
    Signup.objects.filter(volunteer=a).update(
        checked_in_at=start - dt.timedelta(minutes=20),
        checked_out_at=start + dt.timedelta(hours=2, minutes=10),
    )
    Signup.objects.filter(volunteer=b).update(checked_in_at=start)
    services.activity_finish(actor=cast.village1, activity_id=activity.pk)
    activity.refresh_from_db()
    return activity


def test_bulk_confirm_records_hours_and_no_shows(
    cast: Any, tree: Any, volunteers: list[Any]
) -> None:
    activity = finished(cast, tree, volunteers)
    a, b, c, d = volunteers
    with pytest.raises(PermissionDeniedError):
        services.attendance_confirm(actor=a.user, activity_id=activity.pk)
    with pytest.raises(NotFoundError):
        services.attendance_confirm(actor=cast.town2, activity_id=activity.pk)
    counts = services.attendance_confirm(actor=cast.village1, activity_id=activity.pk)
    assert counts == {"confirmed": 1, "no_show": 1, "open": 1}
    rows = {s.volunteer_id: s for s in Signup.objects.all()}
    # 2 h 30 min of presence, rounded up to the half hour: 2.5 h × 10 points.
    assert (rows[a.pk].attendance, rows[a.pk].confirmed_hours, rows[a.pk].points) == (
        "confirmed",
        Decimal("2.5"),
        25,
    )
    assert rows[b.pk].attendance == ""
    assert (rows[c.pk].attendance, rows[c.pk].points) == ("no_show", 0)
    assert rows[d.pk].attendance == ""
    # A second run confirms nothing again.
    assert services.attendance_confirm(actor=cast.village1, activity_id=activity.pk) == {
        "confirmed": 0,
        "no_show": 0,
        "open": 1,
    }
    assert ActivityEvent.objects.filter(activity=activity, code="attendance_confirmed").count() == 2


def test_correction_with_a_reason_capped_by_length(
    cast: Any, tree: Any, volunteers: list[Any]
) -> None:
    activity = finished(cast, tree, volunteers)
    b = volunteers[1]
    signup = Signup.objects.get(volunteer=b)
    with pytest.raises(ValidationError):
        services.attendance_correct(
            actor=cast.village1,
            activity_id=activity.pk,
            signup_id=signup.pk,
            attended=True,
            hours="2",
            reason="",
        )
    with pytest.raises(ValidationError):
        services.attendance_correct(
            actor=cast.village1,
            activity_id=activity.pk,
            signup_id=signup.pk,
            attended=True,
            hours="3.5",
            reason="忘记签退",
        )
    fixed = services.attendance_correct(
        actor=cast.town1,
        activity_id=activity.pk,
        signup_id=signup.pk,
        attended=True,
        hours="3",
        reason="忘记签退",
    )
    assert (fixed.attendance, fixed.confirmed_hours, fixed.points) == (
        "confirmed",
        Decimal("3.0"),
        30,
    )
    event = ActivityEvent.objects.get(activity=activity, code="attendance_corrected")
    assert event.note == "忘记签退" and event.actor_id == cast.town1.pk


def test_points_modes(cast: Any, tree: Any, volunteers: list[Any]) -> None:
    ServiceItemFactory(site=tree.town1, category="environment", points_per_hour=15)
    by_category = finished(cast, tree, volunteers, points_mode="category")
    services.attendance_confirm(actor=cast.village1, activity_id=by_category.pk)
    assert (
        Signup.objects.get(activity=by_category, volunteer=volunteers[0]).points == 38
    )  # 2.5 h × 15


def test_fixed_points(cast: Any, tree: Any, volunteers: list[Any]) -> None:
    activity = finished(cast, tree, volunteers)
    Activity.objects.filter(pk=activity.pk).update(points_mode="fixed", fixed_points=40)
    services.attendance_confirm(actor=cast.village1, activity_id=activity.pk)
    assert Signup.objects.get(activity=activity, volunteer=volunteers[0]).points == 40


def test_settlement_rows_and_credit_once(cast: Any, tree: Any, volunteers: list[Any]) -> None:
    activity = finished(cast, tree, volunteers)
    assert list(selectors.confirmed_attendance_for_settlement()) == []  # nothing confirmed yet
    services.attendance_confirm(actor=cast.village1, activity_id=activity.pk)
    rows = list(selectors.confirmed_attendance_for_settlement())
    a = volunteers[0]
    signup = Signup.objects.get(volunteer=a)
    assert rows == [
        {
            "signup_id": signup.pk,
            "source_key": f"activity:{activity.pk}:signup:{signup.pk}",
            "volunteer_id": a.pk,
            "user_id": a.user_id,
            "activity_id": activity.pk,
            "site_id": tree.village1.pk,
            "title": activity.title,
            "starts_at": activity.starts_at,
            "hours": Decimal("2.5"),
            "points": 25,
            "confirmed_at": signup.attendance_confirmed_at,
        }
    ]
    assert signup.source_key == rows[0]["source_key"]
    assert services.attendance_mark_credited(signup_ids=[signup.pk]) == 1
    assert services.attendance_mark_credited(signup_ids=[signup.pk]) == 0
    assert list(selectors.confirmed_attendance_for_settlement()) == []
    with pytest.raises(ConflictError) as exc:
        services.attendance_correct(
            actor=cast.village1,
            activity_id=activity.pk,
            signup_id=signup.pk,
            attended=False,
            hours=None,
            reason="x",
        )
    assert exc.value.code == "already_credited"


def test_attendance_pages_and_api(
    cast: Any, tree: Any, volunteers: list[Any], login_as: Any, api_as: Any
) -> None:
    activity = finished(cast, tree, volunteers)
    staff = login_as(cast.village1)
    sheet = staff.get(f"/activities/{activity.pk}/attendance/").content.decode()
    assert volunteers[0].real_name in sheet and "确认出勤" in sheet
    confirmed = staff.post(f"/activities/{activity.pk}/attendance/confirm/", follow=True)
    assert "已确认 1 人出勤" in confirmed.content.decode(), (
        confirmed.status_code,
        confirmed.redirect_chain,
        confirmed.content.decode()[-1500:],
    )
    assert Signup.objects.get(volunteer=volunteers[0]).attendance == "confirmed"
    b = Signup.objects.get(volunteer=volunteers[1])
    staff.post(
        f"/activities/{activity.pk}/attendance/correct/",
        {"signup": b.pk, "attended": "1", "hours": "2", "reason": "忘记签退"},
    )
    b.refresh_from_db()
    assert b.confirmed_hours == Decimal("2.0")
    assert login_as(cast.town2).get(f"/activities/{activity.pk}/attendance/").status_code == 404
    api = api_as(cast.town1)
    listed = api.get(f"/api/v1/activities/{activity.pk}/attendance/").json()["results"]
    assert {r["attendance"] for r in listed} == {"confirmed", "no_show"}
    c = Signup.objects.get(volunteer=volunteers[2])
    corrected = api.post(
        f"/api/v1/activities/{activity.pk}/signups/{c.pk}/correct/",
        {"attended": True, "hours": "1.5", "reason": "到场但未扫码"},
        format="json",
    )
    assert corrected.status_code == 200 and corrected.json()["points"] == 15
    assert (
        api_as(cast.town2)
        .post(f"/api/v1/activities/{activity.pk}/attendance/confirm/", {}, format="json")
        .status_code
        == 404
    )
