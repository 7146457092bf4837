from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from apps.sites.scoping import held_roles

from .navigation import nav_for


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.PORTAL_NAME,
        "large_text": request.COOKIES.get(settings.LARGE_TEXT_COOKIE) == "1",
        "nav_entries": nav_for(user),
        "my_roles": held_roles(user),
    }
