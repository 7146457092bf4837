"""Authenticate by username or by mobile number."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .mobile import looks_like_mobile, normalize_mobile


def find_login_user(identifier: str) -> Any:
    """The account a login identifier names: a username, else a mobile number in any
    spelling (``+86 138-1234-5678``). The lockout keys failures by the same account."""
    User = get_user_model()
    user = User.objects.filter(username=identifier).first()
    if user is None and looks_like_mobile(identifier):
        user = User.objects.filter(mobile=normalize_mobile(identifier)).first()
    return user


class UsernameOrMobileBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not username or password is None:
            return None
        user = find_login_user(username)
        if user is None:
            # Run the hasher anyway so a missing user costs the same time as a wrong
            # password (no username enumeration by timing).
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
