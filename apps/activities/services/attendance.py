"""Presence and its confirmation: check-in and check-out by the rotating code, staff
marking attendance by hand (with a reason), and, once the activity is finished, the
organisers confirming hours (in bulk, with per-person corrections) and no-shows.

Hours follow the orders' presence rule (``apps.orders.models.measured_hours``: the
time between check-in and check-out, a started half hour counts) capped by the
activity's own length. Points are fixed when attendance is confirmed (``points_for``)
and the confirmed, not yet credited rows are what the points settlement reads
(``apps.activities.selectors.confirmed_attendance_for_settlement``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.orders.models import ServiceItem, measured_hours

from .. import checkin
from ..models import (
    MAX_ACTIVITY_HOURS,
    Activity,
    AttendanceStatus,
    PointsMode,
    Signup,
    SignupStatus,
)
from .workflow import check_transition, lock_activity, record, require_organiser

# Points per hour when the activity takes them "from the category" and no menu item of
# that category is on the site's menu: the menu's default (ServiceItem.points_per_hour).
DEFAULT_POINTS_PER_HOUR = 10


def length_hours(activity: Activity) -> Decimal:
    """The activity's own length in hours (the cap on anyone's hours), at most 24."""
    hours = Decimal((activity.ends_at - activity.starts_at).total_seconds()) / 3600
    return min(hours.quantize(Decimal("0.1"), rounding=ROUND_DOWN), MAX_ACTIVITY_HOURS)


def hours_for(activity: Activity, signup: Signup) -> Decimal | None:
    """Check-out minus check-in (the presence rule), capped by the activity's length."""
    if signup.checked_in_at is None or signup.checked_out_at is None:
        return None
    return min(measured_hours(signup.checked_in_at, signup.checked_out_at), length_hours(activity))


def category_rate(activity: Activity) -> int:
    """Points per hour of the activity's category on its site's menu: the highest of
    the active menu items of that category published by the site or its ancestors."""
    rate = ServiceItem.objects.filter(
        site_id__in=activity.site.ancestor_ids(), category=activity.category, is_active=True
    ).aggregate(rate=Max("points_per_hour"))["rate"]
    return int(rate) if rate is not None else DEFAULT_POINTS_PER_HOUR


def points_for(activity: Activity, hours: Decimal, *, rate: int | None = None) -> int:
    if hours <= 0:
        return 0
    if activity.points_mode == PointsMode.FIXED:
        return activity.fixed_points
    per_hour = activity.points_per_hour if activity.points_mode == PointsMode.PER_HOUR else rate
    if per_hour is None:
        per_hour = category_rate(activity)
    return int((hours * per_hour).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _my_signup(activity: Activity, actor: User) -> Signup:
    signup = (
        Signup.objects.select_related("volunteer", "role")
        .filter(activity=activity, volunteer__user=actor, status=SignupStatus.CONFIRMED)
        .first()
    )
    if signup is None:
        raise PermissionDeniedError(
            gettext("您没有报名该活动（或报名尚未通过），不能签到。"), code="not_signed_up"
        )
    return signup


# How long after the scan the check-in may still be recorded: time to sign in first.
SCAN_GRACE = dt.timedelta(minutes=5)


def _check_token(
    activity: Activity, kind: str, token: str, now: dt.datetime, scanned_at: dt.datetime | None
) -> None:
    """The token must have been current when it was scanned. ``scanned_at`` (kept in
    the signed-in session by the scan page while the volunteer signs in) is at most
    ``SCAN_GRACE`` ago; without it the scan is now."""
    if scanned_at is None or not now - SCAN_GRACE <= scanned_at <= now:
        scanned_at = now
    try:
        checkin.verify(activity, kind, token, scanned_at)
    except checkin.TokenError as exc:
        messages = {
            "forged": gettext("签到码无效。"),
            "expired": gettext("签到码已过期，请扫描现场屏幕上最新的二维码。"),
            "outside_time": gettext("不在活动时间内，签到码无效。"),
        }
        raise PermissionDeniedError(messages[exc.code], code=f"token_{exc.code}") from None


def _distance(
    activity: Activity, latitude: Decimal | float | None, longitude: Decimal | float | None
) -> tuple[int | None, bool]:
    if not activity.has_coordinates or latitude is None or longitude is None:
        return None, False
    assert activity.latitude is not None and activity.longitude is not None
    metres = checkin.distance_m(activity.latitude, activity.longitude, latitude, longitude)
    return metres, metres > checkin.FAR_RADIUS_M


def attendance_check_in(
    *,
    actor: User,
    activity_id: Id,
    token: str,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    scanned_at: dt.datetime | None = None,
) -> Signup:
    """Check in with the code on the staff's screen. Idempotent: a second scan returns
    the first check-in unchanged."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        check_transition(activity, "check_in")
        _check_token(activity, "in", token, now, scanned_at)
        signup = _my_signup(activity, actor)
        if signup.checked_in_at is not None:
            return signup
        signup.checked_in_at = now
        signup.checkin_distance_m, signup.checkin_far = _distance(activity, latitude, longitude)
        signup.save(update_fields=["checked_in_at", "checkin_distance_m", "checkin_far"])
        record(
            activity,
            action="check_in",
            actor=actor,
            to=activity.status,
            now=now,
            code="checked_in_far" if signup.checkin_far else "checked_in",
            params={"name": signup.volunteer.real_name, "metres": signup.checkin_distance_m},
        )
    return signup


def attendance_check_out(
    *,
    actor: User,
    activity_id: Id,
    token: str,
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    scanned_at: dt.datetime | None = None,
) -> Signup:
    """Check out with the check-out code; idempotent like the check-in."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        check_transition(activity, "check_out")
        _check_token(activity, "out", token, now, scanned_at)
        signup = _my_signup(activity, actor)
        if signup.checked_in_at is None:
            raise ConflictError(gettext("请先签到，再签退。"), code="not_checked_in")
        if signup.checked_out_at is not None:
            return signup
        signup.checked_out_at = now
        signup.checkout_distance_m, signup.checkout_far = _distance(activity, latitude, longitude)
        signup.save(update_fields=["checked_out_at", "checkout_distance_m", "checkout_far"])
        record(
            activity,
            action="check_out",
            actor=actor,
            to=activity.status,
            now=now,
            code="checked_out",
            params={"name": signup.volunteer.real_name, "hours": str(hours_for(activity, signup))},
        )
    return signup


def _reason(reason: str) -> str:
    text = str(reason or "").strip()
    if not text:
        raise ValidationError({"reason": [gettext("请填写原因。")]})
    if len(text) > 300:
        raise ValidationError({"reason": [gettext("不能超过 %(n)s 个字。") % {"n": 300}]})
    return text


def _organiser_signup(activity: Activity, signup_id: Id) -> Signup:
    try:
        return Signup.objects.select_related("volunteer", "role").get(
            pk=int(signup_id), activity=activity, status=SignupStatus.CONFIRMED
        )
    except (Signup.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("报名不存在。"), code="not_found") from None


def attendance_mark(
    *,
    actor: User,
    activity_id: Id,
    signup_id: Id,
    checked_in_at: dt.datetime,
    checked_out_at: dt.datetime | None,
    reason: str,
) -> Signup:
    """Staff record the presence of a volunteer without a smartphone (or whose scan
    failed): the times they saw, and why, in the event log."""
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "mark_attendance")
        signup = _organiser_signup(activity, signup_id)
        if signup.attendance:
            raise ConflictError(gettext("出勤已确认，请用更正出勤。"), code="already_confirmed")
        low = activity.starts_at - checkin.CHECKIN_OPENS
        high = min(activity.ends_at + checkin.CHECKOUT_CLOSES, now)
        if not low <= checked_in_at <= high:
            raise ValidationError({"checked_in_at": [gettext("签到时间应在活动时间内。")]})
        if checked_out_at is not None and not checked_in_at <= checked_out_at <= high:
            raise ValidationError(
                {"checked_out_at": [gettext("签退时间应晚于签到时间，且在活动时间内。")]}
            )
        signup.checked_in_at, signup.checked_out_at = checked_in_at, checked_out_at
        signup.marked_by_staff = True
        signup.checkin_distance_m, signup.checkin_far = None, False
        signup.save(
            update_fields=[
                "checked_in_at",
                "checked_out_at",
                "marked_by_staff",
                "checkin_distance_m",
                "checkin_far",
            ]
        )
        record(
            activity,
            action="mark_attendance",
            actor=actor,
            to=activity.status,
            now=now,
            code="attendance_marked",
            params={
                "name": signup.volunteer.real_name,
                "hours": str(hours_for(activity, signup) or 0),
            },
            note=reason,
        )
    return signup


def attendance_confirm(
    *, actor: User, activity_id: Id, signup_ids: Sequence[Id] | None = None
) -> dict[str, int]:
    """Confirm the attendance of a finished activity in one go: everyone (or
    ``signup_ids``) with a check-in and a check-out gets their hours and points; those
    who never checked in are recorded as no-shows; a check-in without a check-out is
    left for a correction. Rows already confirmed are left as they are."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "confirm_attendance")
        rows = Signup.objects.filter(
            activity=activity, status=SignupStatus.CONFIRMED, attendance=AttendanceStatus.NONE
        )
        if signup_ids is not None:
            rows = rows.filter(pk__in=[int(i) for i in signup_ids][:1000])
        rate = category_rate(activity) if activity.points_mode == PointsMode.CATEGORY else None
        confirmed, no_shows, open_rows = [], [], 0
        for signup in rows.select_for_update():
            hours = hours_for(activity, signup)
            if signup.checked_in_at is None:
                signup.attendance, signup.confirmed_hours, signup.points = (
                    AttendanceStatus.NO_SHOW,
                    Decimal("0"),
                    0,
                )
                no_shows.append(signup)
            elif hours is None:
                open_rows += 1
                continue
            else:
                signup.attendance = AttendanceStatus.CONFIRMED
                signup.confirmed_hours = hours
                signup.points = points_for(activity, hours, rate=rate)
                confirmed.append(signup)
            signup.attendance_confirmed_at, signup.attendance_confirmed_by = now, actor
        Signup.objects.bulk_update(
            confirmed + no_shows,
            [
                "attendance",
                "confirmed_hours",
                "points",
                "attendance_confirmed_at",
                "attendance_confirmed_by",
            ],
        )
        counts = {"confirmed": len(confirmed), "no_show": len(no_shows), "open": open_rows}
        record(
            activity,
            action="confirm_attendance",
            actor=actor,
            to=activity.status,
            now=now,
            code="attendance_confirmed",
            params=counts,
        )
    return counts


def attendance_correct(
    *,
    actor: User,
    activity_id: Id,
    signup_id: Id,
    attended: bool,
    hours: Any,
    reason: str,
) -> Signup:
    """A per-person correction with a reason: the hours (at most the activity's length)
    or a no-show. Not once the points are credited."""
    reason = _reason(reason)
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "correct_attendance")
        signup = _organiser_signup(activity, signup_id)
        if signup.credited_at is not None:
            raise ConflictError(gettext("积分已结算，不能再更正。"), code="already_credited")
        cap = length_hours(activity)
        if attended:
            try:
                value = Decimal(str(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            except (InvalidOperation, ValueError, TypeError):
                raise ValidationError(
                    {"hours": [gettext("服务时长必须是数字（小时）。")]}
                ) from None
            if not value.is_finite() or not Decimal("0") < value <= cap:
                raise ValidationError(
                    {
                        "hours": [
                            gettext("时长应大于 0，且不超过活动时长 %(max)s 小时。") % {"max": cap}
                        ]
                    }
                )
            signup.attendance, signup.confirmed_hours = AttendanceStatus.CONFIRMED, value
            signup.points = points_for(activity, value)
        else:
            signup.attendance, signup.confirmed_hours, signup.points = (
                AttendanceStatus.NO_SHOW,
                Decimal("0"),
                0,
            )
        signup.attendance_confirmed_at, signup.attendance_confirmed_by = now, actor
        signup.save(
            update_fields=[
                "attendance",
                "confirmed_hours",
                "points",
                "attendance_confirmed_at",
                "attendance_confirmed_by",
            ]
        )
        record(
            activity,
            action="correct_attendance",
            actor=actor,
            to=activity.status,
            now=now,
            code="attendance_corrected" if attended else "attendance_no_show",
            params={"name": signup.volunteer.real_name, "hours": str(signup.confirmed_hours)},
            note=reason,
        )
    return signup


def attendance_mark_credited(*, signup_ids: Sequence[int], now: dt.datetime | None = None) -> int:
    """For the points settlement: mark confirmed attendance as credited, once. A
    conditional UPDATE (``credited_at IS NULL``), so a rerun or a second worker marks
    nothing twice; returns how many rows this call marked."""
    return Signup.objects.filter(
        pk__in=list(signup_ids),
        attendance=AttendanceStatus.CONFIRMED,
        credited_at__isnull=True,
    ).update(credited_at=now or timezone.now())
