from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Notification


def bell(request: HttpRequest) -> dict[str, Any]:
    """Unread count for the bell in the header: one indexed COUNT per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count()}
