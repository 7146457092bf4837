from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.sites.scoping import is_global, managed_paths

from .models import Delivery, DeliveryStatus, Notification


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def delivery_problems(*, fetched_by: User | AnonymousUser) -> QuerySet[Delivery]:
    """Failed and retrying deliveries staff should see: their sites' robots, and
    e-mails to people holding a role in their scope."""
    qs = (
        Delivery.objects.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.RETRY])
        .select_related("site", "notification__user")
        .order_by("-created_at", "-id")
    )
    if is_global(fetched_by):
        return qs
    paths = managed_paths(fetched_by)
    if not paths:
        return qs.none()
    scope = Q(pk__in=[])
    for p in paths:
        scope |= Q(site__path__startswith=p) | Q(
            notification__user__roles__site__path__startswith=p
        )
    return qs.filter(scope).distinct()
