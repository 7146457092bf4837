"""Who hears what about an activity: notifications written in the caller's
transaction through apps.notifications (the outbox delivers them after commit).
Every call carries a dedupe key, so a repeated event never notifies twice."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from apps.notifications.services import notify

from .models import ACTIVE_SIGNUP, Activity, Registration, RegistrationStatus, Signup


def activity_url(activity: Activity) -> str:
    return reverse("activities:detail", args=[activity.pk])


def activity_params(activity: Activity) -> dict[str, Any]:
    return {
        "activity_id": activity.pk,
        "title": activity.title,
        "site": activity.site.name,
        "start": timezone.localtime(activity.starts_at).isoformat(),
        "end": timezone.localtime(activity.ends_at).isoformat(),
        "address": activity.address,
    }


def participant_user_ids(activity: Activity) -> list[int]:
    """Volunteers still signed up (waiting list included) and registered residents."""
    volunteers = Signup.objects.filter(activity=activity, status__in=ACTIVE_SIGNUP).values_list(
        "volunteer__user_id", flat=True
    )
    residents = Registration.objects.filter(
        activity=activity, status=RegistrationStatus.REGISTERED
    ).values_list("user_id", flat=True)
    return sorted(set(volunteers) | set(residents))


def activity_cancelled_notify(activity: Activity, *, reason: str) -> None:
    notify(
        users=participant_user_ids(activity),
        kind="activity_cancelled",
        params=activity_params(activity) | {"reason": reason},
        url=activity_url(activity),
        dedupe_key=f"activity:{activity.pk}:cancelled",
    )


def activity_changed_notify(activity: Activity, *, event_id: int, moved: list[str]) -> None:
    """The time or the place changed (``moved``: which of starts_at, ends_at, address)."""
    notify(
        users=participant_user_ids(activity),
        kind="activity_changed",
        params=activity_params(activity) | {"moved_place": "address" in moved},
        url=activity_url(activity),
        dedupe_key=f"activity:{activity.pk}:changed:{event_id}",
    )


def signup_invited_notify(activity: Activity, signup: Signup) -> None:
    notify(
        users=[signup.volunteer.user_id],
        kind="activity_invited",
        params=activity_params(activity) | {"role": signup.role.name},
        url=activity_url(activity),
        dedupe_key=f"activity:{activity.pk}:invite:{signup.pk}:{signup.queued_at.timestamp():.0f}",
    )


def signup_status_notify(
    activity: Activity, signup: Signup, *, kind: str, reason: str = ""
) -> None:
    """``kind``: activity_promoted (off the waiting list), activity_approved, activity_refused."""
    notify(
        users=[signup.volunteer.user_id],
        kind=kind,
        params=activity_params(activity) | {"role": signup.role.name, "reason": reason},
        url=activity_url(activity),
        dedupe_key=f"activity:{activity.pk}:{kind}:{signup.pk}:{timezone.now().timestamp():.0f}",
    )
