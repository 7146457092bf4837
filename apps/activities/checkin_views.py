"""Presence pages: the staff screen with the rotating QR code, the page a volunteer's
phone opens from it, and the organisers' attendance sheet.

The staff screen reloads itself every ``WINDOW_SECONDS`` (a ``<meta http-equiv="refresh">``,
no script needed). The scan page keeps the scan (token and time) in the session
before asking the volunteer to sign in, so a sign-in that takes longer than the
code's minute still checks in; the code itself must have been current at the scan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError, NotFoundError
from apps.sites.scoping import can_manage_site

from . import checkin, selectors, services
from .models import Activity, ActivityStatus

SESSION_KEY = "activities_scan"


def _access(request: HttpRequest, pk: int) -> Activity:
    try:
        return selectors.access_activity(request.user, pk)
    except NotFoundError:
        raise Http404(_("活动不存在。")) from None


def _organiser(request: HttpRequest, pk: int) -> Activity:
    activity = _access(request, pk)
    if not can_manage_site(request.user, activity.site):
        raise Http404
    return activity


def current_code(request: HttpRequest, activity: Activity, kind: str) -> dict[str, Any] | None:
    now = timezone.now()
    token = checkin.token_for(activity, kind, now)
    if token is None:
        return None
    url = request.build_absolute_uri(
        reverse("activities:scan", args=[activity.pk, kind]) + f"?t={token}"
    )
    window_end = (checkin.window_of(now) + 2) * checkin.WINDOW_SECONDS
    return {
        "kind": kind,
        "token": token,
        "url": url,
        "valid_until": dt.datetime.fromtimestamp(window_end, tz=dt.UTC),
        "refresh_seconds": checkin.WINDOW_SECONDS,
        "png": checkin.qr_png_data_uri(url),
    }


@login_required
def qr_screen(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The screen at the door: a new code every 30 seconds."""
    if kind not in checkin.KINDS:
        raise Http404
    activity = _organiser(request, pk)
    code = (
        current_code(request, activity, kind)
        if activity.status == ActivityStatus.PUBLISHED
        else None
    )
    return render(
        request,
        "activities/qr.html",
        {"activity": activity, "kind": kind, "code": code, "refresh": checkin.WINDOW_SECONDS},
    )


def _claim(request: HttpRequest, pk: int, kind: str) -> tuple[str, dt.datetime | None]:
    claim = request.session.get(SESSION_KEY) or {}
    if claim.get("activity") != pk or claim.get("kind") != kind:
        return "", None
    return str(claim.get("token", "")), parse_datetime(str(claim.get("scanned_at", "")))


def scan(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """What the QR code opens: keep the scan, sign in if needed, then one button."""
    if kind not in checkin.KINDS:
        raise Http404
    token = request.GET.get("t", "")
    if token:
        if len(token) > 60:
            raise Http404
        request.session[SESSION_KEY] = {
            "activity": pk,
            "kind": kind,
            "token": token,
            "scanned_at": timezone.now().isoformat(),
        }
        # The token leaves the address bar (and the browser history) at once.
        target = reverse("activities:scan", args=[pk, kind])
        if not request.user.is_authenticated:
            return redirect_to_login(target)
        return redirect(target)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    activity = _access(request, pk)
    claim_token, scanned_at = _claim(request, pk, kind)
    if request.method == "POST":
        return _record(request, activity, kind, claim_token, scanned_at)
    return render(
        request,
        "activities/scan.html",
        {"activity": activity, "kind": kind, "has_scan": bool(claim_token)},
    )


def _coordinate(value: str | None, limit: int) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number.quantize(Decimal("0.000001"))


def _record(
    request: HttpRequest,
    activity: Activity,
    kind: str,
    token: str,
    scanned_at: dt.datetime | None,
) -> HttpResponse:
    actor = signed_in(request)
    move = services.attendance_check_in if kind == "in" else services.attendance_check_out
    try:
        signup = move(
            actor=actor,
            activity_id=activity.pk,
            token=token,
            latitude=_coordinate(request.POST.get("latitude"), 90),
            longitude=_coordinate(request.POST.get("longitude"), 180),
            scanned_at=scanned_at,
        )
    except DomainError as exc:
        return render(
            request,
            "activities/scan.html",
            {"activity": activity, "kind": kind, "has_scan": False, "error": exc.message},
            status=exc.status_code,
        )
    request.session.pop(SESSION_KEY, None)
    return render(
        request,
        "activities/scan.html",
        {
            "activity": activity,
            "kind": kind,
            "done": signup,
            "hours": services.hours_for(activity, signup),
        },
    )


# --- the organisers' attendance sheet ---------------------------------------------------------
@login_required
def attendance_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _organiser(request, pk)
    rows = list(selectors.attendance_rows(activity))
    for row in rows:
        row.hours = services.hours_for(activity, row)  # type: ignore[attr-defined]
    return render(
        request,
        "activities/attendance.html",
        {
            "activity": activity,
            "rows": rows,
            "cap": services.length_hours(activity),
            "radius": checkin.FAR_RADIUS_M,
        },
    )


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@login_required
@require_POST
def attendance_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = signed_in(request)
    _organiser(request, pk)
    post = request.POST
    try:
        if action == "confirm":
            counts = services.attendance_confirm(actor=actor, activity_id=pk)
            messages.success(
                request,
                _("已确认 %(confirmed)s 人出勤，%(no_show)s 人缺席，%(open)s 人未签退待更正。")
                % counts,
            )
        elif action == "mark":
            checked_in = _when(post.get("checked_in_at"))
            if checked_in is None:
                raise ValidationError({"checked_in_at": [_("请填写签到时间。")]})
            services.attendance_mark(
                actor=actor,
                activity_id=pk,
                signup_id=post.get("signup", ""),
                checked_in_at=checked_in,
                checked_out_at=_when(post.get("checked_out_at")),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("已补记签到。"))
        elif action == "correct":
            services.attendance_correct(
                actor=actor,
                activity_id=pk,
                signup_id=post.get("signup", ""),
                attended=post.get("attended") == "1",
                hours=post.get("hours") or "0",
                reason=post.get("reason", ""),
            )
            messages.success(request, _("已更正出勤。"))
        else:
            raise Http404
    except NotFoundError:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("activities:attendance", pk)
