"""The signed-in user of a request, typed as the portal's ``User``.

Pages are ``login_required`` and API views require authentication before they run,
so a view's ``request.user`` is a ``User``; ``signed_in`` says so to the type checker
and refuses (403) should a view ever be reached anonymously."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext
from rest_framework.request import Request

from .models import User


def signed_in(request: HttpRequest | Request) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied(gettext("请先登录。"))
    return user
