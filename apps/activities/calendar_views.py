"""iCalendar feeds and the volunteer's page for their private calendar address."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from apps.accounts.actors import signed_in
from apps.core.errors import PermissionDeniedError
from apps.sites.models import Site
from apps.volunteers.models import Volunteer

from . import calendar
from .models import CalendarFeed

ICS_TYPE = "text/calendar; charset=utf-8"


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Calendar apps poll; a private feed must not sit in shared caches.
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def site_feed(request: HttpRequest, site_id: int) -> HttpResponse:
    """A site's published activities, public (no sign-in), for phone calendars."""
    site = Site.objects.filter(pk=site_id, is_active=True).first()
    if site is None:
        raise Http404
    body = calendar.render_ics(
        calendar.site_activities(site),
        name=_("%(site)s 志愿活动") % {"site": site.name},
        base_url=request.build_absolute_uri("/"),
    )
    return _ics(body, f"site-{site.pk}.ics")


@require_safe
def volunteer_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A volunteer's sign-ups; the secret address is the only key (404 when reset)."""
    feed = CalendarFeed.objects.select_related("volunteer").filter(token=token).first()
    if feed is None:
        raise Http404
    body = calendar.render_ics(
        calendar.volunteer_activities(feed.volunteer),
        name=_("我的志愿活动"),
        base_url=request.build_absolute_uri("/"),
    )
    return _ics(body, "my-activities.ics")


def feed_url(request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("activities:volunteer_feed", args=[feed.token]))


@login_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    actor = signed_in(request)
    volunteer = Volunteer.objects.select_related("site").filter(user=actor).first()
    if volunteer is None:
        raise Http404
    try:
        if request.method == "POST":
            calendar.calendar_feed_reset(actor=actor)
            messages.success(request, _("已生成新的订阅地址，旧地址已失效。"))
            return redirect("activities:my_calendar")
        feed = calendar.calendar_feed_for(actor=actor)
    except PermissionDeniedError:
        raise Http404 from None
    sites = volunteer.site.ancestors()
    return render(
        request,
        "activities/calendar.html",
        {
            "url": feed_url(request, feed),
            "site_feeds": [
                (s, request.build_absolute_uri(reverse("activities:site_feed", args=[s.pk])))
                for s in sites
            ],
        },
    )
