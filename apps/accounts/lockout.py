"""django-axes hooks: which account a failed login counts against, and the lockout answer.

Wired in settings as ``AXES_USERNAME_CALLABLE`` and ``AXES_LOCKOUT_CALLABLE``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from .backends import find_login_user
from .mobile import looks_like_mobile, normalize_mobile

LOCKED_OUT_MESSAGE = gettext_lazy("登录失败次数过多，账号已被暂时锁定，请稍后再试。")


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Count failures per account, not per spelling of the identifier.

    One can log in as ``res1``, ``13600000001``, ``+86 136-0000-0001``, ... Keyed by
    the raw string, each spelling would get its own five tries, so the lockout could be
    walked around forever. Resolve the identifier the way the login backend does.
    """
    raw = (credentials or {}).get("username")
    if raw is None:
        data = getattr(request, "data", None) or request.POST
        raw = data.get("username")
    if not raw:
        return raw
    user = find_login_user(raw)
    if user is not None:
        return str(user.get_username())
    return normalize_mobile(raw) if looks_like_mobile(raw) else str(raw)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """API clients get the problem-style JSON body every API error has; pages get the
    lockout page. Both answer 429."""
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "locked_out", "message": str(LOCKED_OUT_MESSAGE)}, status=status
        )
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {}, status=status)
