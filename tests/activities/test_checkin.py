"""Check-in that proves presence: the rotating token (expired, forged, another
volunteer, outside the activity's time), the scan page with sign-in, distance flags,
staff marking by hand, hours capped by the activity's length."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from apps.activities import checkin, services
from apps.activities.models import Activity, ActivityEvent, Signup
from apps.core.errors import ConflictError, PermissionDeniedError
from tests.orders.factories import VolunteerFactory

from .conftest import make_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(cast: Any, tree: Any, vol1: Any) -> Activity:
    """An activity with coordinates, vol1 signed up, that started 10 minutes ago."""
    activity = make_activity(
        cast.village1, tree.village1, latitude=Decimal("39.900000"), longitude=Decimal("116.400000")
    )
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    start = timezone.now() - dt.timedelta(minutes=10)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        signup_deadline=start - dt.timedelta(hours=1),
    )
    activity.refresh_from_db()
    return activity


def at(moment: dt.datetime) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_check_in_and_out_with_current_codes(running: Activity, cast: Any) -> None:
    now = timezone.now()
    token = checkin.token_for(running, "in", now)
    assert token is not None
    signup = services.attendance_check_in(
        actor=cast.vol1, activity_id=running.pk, token=token, latitude=39.9001, longitude=116.4001
    )
    assert signup.checked_in_at is not None and signup.checkin_distance_m is not None
    assert signup.checkin_distance_m < 50 and not signup.checkin_far
    again = services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=token)
    assert again.checked_in_at == signup.checked_in_at  # a second scan changes nothing
    with at(now + dt.timedelta(minutes=50)):
        out = checkin.token_for(running, "out", timezone.now())
        done = services.attendance_check_out(actor=cast.vol1, activity_id=running.pk, token=out)
    assert services.hours_for(running, done) == Decimal("1.0")
    codes = list(ActivityEvent.objects.filter(activity=running).values_list("code", flat=True))
    assert codes[-2:] == ["checked_in", "checked_out"]


def test_expired_token(running: Activity, cast: Any) -> None:
    now = timezone.now()
    token = checkin.token_for(running, "in", now)
    # Still good in the next 30-second window…
    with at(now + dt.timedelta(seconds=checkin.WINDOW_SECONDS)):
        checkin.verify(running, "in", token, timezone.now())
    # …not after that: a photographed code stops working within a minute.
    later = now + dt.timedelta(seconds=2 * checkin.WINDOW_SECONDS + 1)
    with at(later), pytest.raises(PermissionDeniedError) as exc:
        services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=token)
    assert exc.value.code == "token_expired"
    assert Signup.objects.get().checked_in_at is None


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),
        lambda t: str(int(t.split(".")[0]) + 1) + "." + t.split(".")[1],
        lambda t: "",
        lambda t: "abc.def",
    ],
)
def test_forged_tokens(running: Activity, cast: Any, forge: Any) -> None:
    token = checkin.token_for(running, "in", timezone.now())
    with pytest.raises(PermissionDeniedError) as exc:
        services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=forge(token))
    assert exc.value.code == "token_forged"


def test_a_token_of_another_activity_or_kind_fails(running: Activity, cast: Any, tree: Any) -> None:
    other = make_activity(cast.village1, tree.village1, title="另一场")
    Activity.objects.filter(pk=other.pk).update(
        starts_at=running.starts_at,
        ends_at=running.ends_at,
        signup_deadline=running.signup_deadline,
    )
    other.refresh_from_db()
    token = checkin.token_for(other, "in", timezone.now())
    with pytest.raises(PermissionDeniedError):
        services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=token)
    out_token = checkin.token_for(running, "out", timezone.now())
    with pytest.raises(PermissionDeniedError):
        services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=out_token)


def test_forwarded_to_another_volunteer(running: Activity, cast: Any, tree: Any) -> None:
    token = checkin.token_for(running, "in", timezone.now())
    friend = VolunteerFactory(site=tree.village1)
    # Not signed up: the forwarded code does not check them in.
    with pytest.raises(PermissionDeniedError) as exc:
        services.attendance_check_in(actor=friend.user, activity_id=running.pk, token=token)
    assert exc.value.code == "not_signed_up"
    # Signed up (another role): the same code is fine, it is the session's user.
    Signup.objects.create(
        activity=running,
        role=running.roles.last(),
        volunteer=friend,
        status="confirmed",
        queued_at=timezone.now(),
    )
    signup = services.attendance_check_in(actor=friend.user, activity_id=running.pk, token=token)
    assert signup.volunteer_id == friend.pk and signup.checked_in_at is not None


def test_no_token_outside_the_activitys_time(running: Activity, cast: Any) -> None:
    late = running.ends_at + checkin.CHECKOUT_CLOSES + dt.timedelta(minutes=1)
    assert checkin.token_for(running, "in", late) is None
    # A token made (with the server's key) for a window after the activity fails even
    # when presented in that window.
    window = checkin.window_of(late)
    token = f"{window}.{checkin._signature(running.pk, 'in', window)}"
    with at(late), pytest.raises(PermissionDeniedError) as exc:
        services.attendance_check_in(actor=cast.vol1, activity_id=running.pk, token=token)
    assert exc.value.code == "token_outside_time"


def test_far_check_in_is_flagged(running: Activity, cast: Any) -> None:
    token = checkin.token_for(running, "in", timezone.now())
    signup = services.attendance_check_in(
        actor=cast.vol1, activity_id=running.pk, token=token, latitude=39.95, longitude=116.4
    )
    assert signup.checkin_far and signup.checkin_distance_m > checkin.FAR_RADIUS_M
    assert ActivityEvent.objects.filter(activity=running, code="checked_in_far").exists()


def test_hours_are_capped_by_the_activitys_length(running: Activity, cast: Any) -> None:
    signup = Signup.objects.get()
    signup.checked_in_at = running.starts_at - dt.timedelta(minutes=30)
    signup.checked_out_at = running.ends_at + dt.timedelta(minutes=55)
    assert services.hours_for(running, signup) == Decimal("2.0")


def test_staff_mark_by_hand_with_a_reason(running: Activity, cast: Any) -> None:
    signup = Signup.objects.get()
    with pytest.raises(PermissionDeniedError):
        services.attendance_mark(
            actor=cast.vol1,
            activity_id=running.pk,
            signup_id=signup.pk,
            checked_in_at=running.starts_at,
            checked_out_at=None,
            reason="x",
        )
    marked = services.attendance_mark(
        actor=cast.village1,
        activity_id=running.pk,
        signup_id=signup.pk,
        checked_in_at=running.starts_at,
        checked_out_at=None,
        reason="老人没有智能手机",
    )
    assert marked.marked_by_staff and marked.checked_in_at == running.starts_at
    event = ActivityEvent.objects.get(activity=running, code="attendance_marked")
    assert event.note == "老人没有智能手机" and event.actor_id == cast.village1.pk


def test_check_out_needs_a_check_in(running: Activity, cast: Any) -> None:
    token = checkin.token_for(running, "out", timezone.now())
    with pytest.raises(ConflictError):
        services.attendance_check_out(actor=cast.vol1, activity_id=running.pk, token=token)


def test_qr_page_and_scan_through_login(
    running: Activity, cast: Any, client: Any, login_as: Any
) -> None:
    staff = login_as(cast.village1)
    page = staff.get(f"/activities/{running.pk}/qr/in/").content.decode()
    assert 'http-equiv="refresh"' in page and "data:image/png;base64," in page
    assert f"/api/v1/activities/{running.pk}/checkin-code/?kind=in" in page
    url = re.search(r'data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert login_as(cast.town2).get(f"/activities/{running.pk}/qr/in/").status_code == 404
    client.logout()
    # The volunteer's phone opens the code's address: the scan is kept, sign in first.
    path = url.split("testserver", 1)[1]
    first = client.get(path)
    assert first.status_code == 302 and "/accounts/login/" in first["Location"]
    client.force_login(cast.vol1, backend="apps.accounts.backends.UsernameOrMobileBackend")
    # Signing in took two minutes: the code has rotated, the scan still counts.
    with at(timezone.now() + dt.timedelta(minutes=2)):
        confirm = client.get(f"/activities/{running.pk}/scan/in/")
        assert "确认签到" in confirm.content.decode()
        done = client.post(
            f"/activities/{running.pk}/scan/in/", {"latitude": "39.9", "longitude": "116.4"}
        )
    assert done.status_code == 200 and 'id="scan-done"' in done.content.decode()
    signup = Signup.objects.get()
    assert signup.checked_in_at is not None and signup.checkin_distance_m == 0


def test_checkin_api(running: Activity, cast: Any, api_as: Any) -> None:
    code = api_as(cast.village1).get(f"/api/v1/activities/{running.pk}/checkin-code/?kind=in")
    assert code.status_code == 200 and code.json()["png"].startswith("data:image/png")
    assert (
        api_as(cast.vol1).get(f"/api/v1/activities/{running.pk}/checkin-code/").status_code == 403
    )
    token = code.json()["token"]
    response = api_as(cast.vol1).post(
        f"/api/v1/activities/{running.pk}/checkin/", {"token": token}, format="json"
    )
    assert response.status_code == 200 and response.json()["checked_in_at"]
    bad = api_as(cast.vol1).post(
        f"/api/v1/activities/{running.pk}/checkout/", {"token": "1.x"}, format="json"
    )
    assert bad.status_code == 403 and bad.json()["code"] == "token_forged"
