"""Signing in keeps the language the visitor had chosen before (the language cookie):
the texts and e-mails sent to them outside any request use ``User.language``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .models import User
from .services import user_language_set


def remember_language_at_login(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if request is not None else None
    if chosen:
        user_language_set(user=user, language=chosen)
