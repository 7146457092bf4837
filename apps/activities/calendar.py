"""iCalendar feeds (RFC 5545, written with the ``icalendar`` package) that phone
calendar apps subscribe to: each site's published activities (public), and each
volunteer's own sign-ups behind a secret address they can reset.

Cancelled activities stay in the feeds with ``STATUS:CANCELLED`` (for
``FEED_PAST`` after they were due), so a subscribed calendar removes them rather than
keeping a stale event.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from icalendar import Calendar, Event, vGeo

from apps.accounts.models import User
from apps.core.errors import PermissionDeniedError
from apps.sites.models import Site
from apps.volunteers.models import Volunteer

from .models import ACTIVE_SIGNUP, Activity, ActivityStatus, CalendarFeed, SignupStatus

FEED_PAST = dt.timedelta(days=90)
FEED_AHEAD = dt.timedelta(days=366)
FEED_MAX = 500
ICS_STATUS = {
    ActivityStatus.PUBLISHED: "CONFIRMED",
    ActivityStatus.FINISHED: "CONFIRMED",
    ActivityStatus.CANCELLED: "CANCELLED",
}


def _window(qs: QuerySet[Activity], now: dt.datetime) -> QuerySet[Activity]:
    return qs.filter(
        starts_at__gte=now - FEED_PAST,
        starts_at__lte=now + FEED_AHEAD,
        published_at__isnull=False,
        status__in=list(ICS_STATUS),
    )


def site_activities(site: Site, now: dt.datetime | None = None) -> list[Activity]:
    now = now or timezone.now()
    return list(
        _window(Activity.objects.filter(site=site), now)
        .select_related("site")
        .order_by("starts_at", "id")[:FEED_MAX]
    )


def volunteer_activities(volunteer: Volunteer, now: dt.datetime | None = None) -> list[Activity]:
    """Activities the volunteer holds a place for, or waits for (cancelled ones too)."""
    now = now or timezone.now()
    ids = volunteer.activity_signups.filter(
        status__in=[*ACTIVE_SIGNUP, SignupStatus.CONFIRMED]
    ).values("activity_id")
    return list(
        _window(Activity.objects.filter(pk__in=ids), now)
        .select_related("site")
        .order_by("starts_at", "id")[:FEED_MAX]
    )


def render_ics(activities: list[Activity], *, name: str, base_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//{settings.PORTAL_NAME}//activities//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "portal"
    for activity in activities:
        event = Event()
        event.add("uid", f"activity-{activity.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("last-modified", activity.updated_at)
        event.add("dtstart", activity.starts_at)
        event.add("dtend", activity.ends_at)
        event.add("summary", activity.title)
        event.add("location", activity.address)
        event.add("description", f"{activity.site.name}\n{activity.description}".strip())
        event.add("url", base_url.rstrip("/") + reverse("activities:detail", args=[activity.pk]))
        event.add("status", ICS_STATUS[ActivityStatus(activity.status)])
        if activity.latitude is not None and activity.longitude is not None:
            event.add("geo", vGeo((float(activity.latitude), float(activity.longitude))))
        cal.add_component(event)
    return cal.to_ical()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_feed_for(*, actor: User) -> CalendarFeed:
    """The signed-in volunteer's private feed (made the first time it is asked for)."""
    volunteer = Volunteer.objects.filter(user=actor).first()
    if volunteer is None:
        raise PermissionDeniedError(gettext("只有志愿者有活动日历。"), code="not_volunteer")
    feed = CalendarFeed.objects.filter(volunteer=volunteer).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(volunteer=volunteer, token=_new_token())
    except IntegrityError:  # a second tab asked at the same moment
        return CalendarFeed.objects.get(volunteer=volunteer)


def calendar_feed_reset(*, actor: User) -> CalendarFeed:
    """A new secret address; the old one answers 404 from now on."""
    feed = calendar_feed_for(actor=actor)
    feed.token = _new_token()
    feed.save(update_fields=["token", "created_at"])
    return feed
