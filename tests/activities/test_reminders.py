"""Reminders through the notifications outbox: the day before and two hours before,
never twice (a rerun, a second worker), never lost (a missed run is made up), a new
time reminded anew; and the beat entry that runs the sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from apps.activities import services
from apps.activities.models import Activity
from apps.activities.services.reminders import reminders_send
from apps.activities.tasks import send_reminders
from apps.notifications.models import Delivery, Notification

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def _starting_in(activity: Activity, delta: dt.timedelta) -> None:
    start = timezone.now() + delta
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2), signup_deadline=start
    )


def test_day_before_then_two_hours_before_each_once(cast: Any, tree: Any, vol1: Any) -> None:
    cast.vol1.email = "vol1@example.org"
    cast.vol1.save(update_fields=["email"])
    activity = make_activity(cast.village1, tree.village1)
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    _starting_in(activity, dt.timedelta(hours=30))
    assert reminders_send() == {"day": 0, "soon": 0}
    _starting_in(activity, dt.timedelta(hours=20))
    assert reminders_send() == {"day": 1, "soon": 0}
    assert reminders_send() == {"day": 0, "soon": 0}  # rerun: nothing twice
    assert Notification.objects.filter(user=cast.vol1, kind="activity_reminder_day").count() == 1
    # The e-mail goes through the outbox, once.
    assert Delivery.objects.filter(notification__kind="activity_reminder_day").count() == 1
    _starting_in(activity, dt.timedelta(minutes=90))
    assert send_reminders() == {"day": 0, "soon": 1}
    assert send_reminders() == {"day": 0, "soon": 0}


def test_a_missed_run_is_made_up_and_late_signups_hear_too(
    cast: Any, tree: Any, vol1: Any, volunteers: list[Any]
) -> None:
    activity = make_activity(cast.village1, tree.village1)
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    _starting_in(activity, dt.timedelta(hours=10))  # no run happened at 24 h
    assert reminders_send()["day"] == 1
    services.signup_create(actor=volunteers[0].user, activity_id=activity.pk)
    assert reminders_send()["day"] == 1  # only the newcomer
    assert Notification.objects.filter(kind="activity_reminder_day").count() == 2


def test_waiting_list_and_withdrawn_are_not_reminded(
    cast: Any, tree: Any, volunteers: list[Any]
) -> None:
    activity = make_activity(cast.village1, tree.village1, roles=[{"name": "引导员", "slots": 1}])
    a, b, c = volunteers[:3]
    services.signup_create(actor=a.user, activity_id=activity.pk)
    services.signup_create(actor=b.user, activity_id=activity.pk)  # waiting list
    services.signup_create(actor=c.user, activity_id=activity.pk)
    services.signup_withdraw(actor=c.user, activity_id=activity.pk)
    _starting_in(activity, dt.timedelta(hours=1))
    reminders_send()
    assert set(
        Notification.objects.filter(kind="activity_reminder_soon").values_list("user_id", flat=True)
    ) == {a.user_id}


def test_a_new_time_is_reminded_again(cast: Any, tree: Any, vol1: Any) -> None:
    activity = make_activity(cast.village1, tree.village1)
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    _starting_in(activity, dt.timedelta(hours=20))
    reminders_send()
    _starting_in(activity, dt.timedelta(hours=21))
    reminders_send()
    assert Notification.objects.filter(user=cast.vol1, kind="activity_reminder_day").count() == 2


def test_cancelled_activities_are_not_reminded(cast: Any, tree: Any, vol1: Any) -> None:
    activity = make_activity(cast.village1, tree.village1)
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    services.activity_cancel(actor=cast.village1, activity_id=activity.pk, reason="下雨")
    _starting_in(activity, dt.timedelta(hours=20))
    assert reminders_send() == {"day": 0, "soon": 0}


def test_beat_runs_the_sweep() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["activities-reminders"]
    assert entry["task"] == send_reminders.name
    assert float(entry["schedule"]) <= 600  # type: ignore[arg-type]
