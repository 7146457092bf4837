"""Reminders to those signed up: the day before and two hours before an activity.

A sweep, not an alarm: every run (beat, every ``REMINDER_SWEEP_SECONDS``) looks for
activities starting within each reminder's lead time and notifies everyone with a
place who has not had that reminder yet. So a run that is missed (beat down, broker
down) is made up by the next one — never lost — and each reminder's dedupe key
(activity, which reminder, the start time) is unique per user in the notifications
table, so a rerun or two workers at once never send it twice. A new start time is a
new key: people are reminded of the time that holds.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from apps.notifications.services import notify

from ..models import (
    Activity,
    ActivityStatus,
    Registration,
    RegistrationStatus,
    Signup,
    SignupStatus,
)
from ..notify import activity_params, activity_url

# (which, lead time, notification kind). A reminder is due while the start is within
# its lead and beyond the next, shorter one (a sign-up 90 minutes before the start
# gets only the two-hour reminder).
REMINDERS: tuple[tuple[str, dt.timedelta, str], ...] = (
    ("day", dt.timedelta(hours=24), "activity_reminder_day"),
    ("soon", dt.timedelta(hours=2), "activity_reminder_soon"),
)
REMINDER_SWEEP_SECONDS = 600
MAX_ACTIVITIES_PER_RUN = 500


def reminder_key(activity: Activity, which: str) -> str:
    return f"activity:{activity.pk}:reminder:{which}:{int(activity.starts_at.timestamp())}"


def reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the reminders that are due; returns how many notifications each made."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    for i, (which, lead, kind) in enumerate(REMINDERS):
        shorter = REMINDERS[i + 1][1] if i + 1 < len(REMINDERS) else dt.timedelta(0)
        due = (
            Activity.objects.filter(
                status=ActivityStatus.PUBLISHED,
                starts_at__gt=now + shorter,
                starts_at__lte=now + lead,
            )
            .select_related("site")
            .order_by("starts_at", "id")[:MAX_ACTIVITIES_PER_RUN]
        )
        count = 0
        for activity in due:
            users = set(
                Signup.objects.filter(
                    activity=activity, status__in=(SignupStatus.CONFIRMED, SignupStatus.PENDING)
                ).values_list("volunteer__user_id", flat=True)
            ) | set(
                Registration.objects.filter(
                    activity=activity, status=RegistrationStatus.REGISTERED
                ).values_list("user_id", flat=True)
            )
            count += len(
                notify(
                    users=sorted(users),
                    kind=kind,
                    params=activity_params(activity),
                    url=activity_url(activity),
                    dedupe_key=reminder_key(activity, which),
                )
            )
        sent[which] = count
    return sent
