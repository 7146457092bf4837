"""Authenticate by username or by mobile number."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .mobile import looks_like_mobile, normalize_mobile


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
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None and looks_like_mobile(username):
            user = User.objects.filter(mobile=normalize_mobile(username)).first()
        if user is None:
            # Run the hasher anyway so a missing user costs the same time as a wrong
            # password (no username enumeration by timing).
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
