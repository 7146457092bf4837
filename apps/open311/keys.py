"""Integrators' api_keys: issued and revoked by county admins, checked on every call,
rate-limited per key, every use logged.

A key is 40 random URL-safe characters; only its SHA-256 is stored, so a database
copy gives nobody a working key. Looking a key up by its hash is one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.models import Role, RoleName, User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.sites.models import Site
from apps.sites.scoping import can_manage_site, forget_roles, has_role, is_global, scope_queryset

from .models import ApiKey, ApiKeyUse

KEY_BYTES = 30  # 40 characters of token_urlsafe
PREFIX_LENGTH = 8
DEFAULT_RATE = "120/min"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def can_issue_keys(user: User | AnonymousUser | None) -> bool:
    return is_global(user) or has_role(user, RoleName.COUNTY_ADMIN)


def api_key_issue(
    *, actor: User, name: str, site: Site | None, raw: str | None = None
) -> tuple[ApiKey, str]:
    """A new key for integrator ``name`` scoped to ``site``'s subtree; returns the key
    row and the key itself (shown to the admin once, never stored). ``raw``: a given
    key instead of a random one (the demo county's documented key only)."""
    if not can_issue_keys(actor):
        raise PermissionDeniedError(gettext("只有县级管理员可以签发接入密钥。"), code="not_admin")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [gettext("请填写接入方名称。")]
    elif len(name) > 100:
        errors["name"] = [gettext("名称不能超过 100 个字。")]
    if site is None or site.level == "base" or not site.is_active:
        errors["site"] = [gettext("请选择授权范围（阵地）。")]
    elif not can_manage_site(actor, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    if errors:
        raise ValidationError(errors)
    assert site is not None
    raw = raw or secrets.token_urlsafe(KEY_BYTES)
    with transaction.atomic():
        # The key's own account: places its orders and registers its callers, as staff
        # of the key's subtree would; no password, so nobody signs in as it.
        user = User(username=f"open311-{secrets.token_hex(6)}", real_name=f"Open311·{name}"[:50])
        user.set_unusable_password()
        user.save()
        Role.objects.create(user=user, site=site, role=RoleName.STAFF)
        key = ApiKey.objects.create(
            name=name,
            site=site,
            user=user,
            prefix=raw[:PREFIX_LENGTH],
            key_hash=hash_key(raw),
            created_by=actor,
        )
    return key, raw


def api_key_revoke(*, actor: User, key_id: int) -> ApiKey:
    """Revoke a key (idempotent): it stops working at once; its account loses its role."""
    key = access_key(actor, key_id)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.revoked_by = actor
            key.save(update_fields=["revoked_at", "revoked_by"])
            Role.objects.filter(user_id=key.user_id).delete()
            key.user.is_active = False
            key.user.save(update_fields=["is_active"])
    return key


def keys_for(user: User | AnonymousUser) -> Any:
    """The keys of sites in ``user``'s scope, newest first (county admins only)."""
    if not can_issue_keys(user):
        return ApiKey.objects.none()
    return scope_queryset(ApiKey.objects.select_related("site", "created_by"), user).order_by(
        "-created_at", "-id"
    )


def access_key(user: User | AnonymousUser, key_id: int) -> ApiKey:
    key = keys_for(user).filter(pk=key_id).first()
    if key is None:
        raise NotFoundError(gettext("密钥不存在。"), code="not_found")
    return key


def key_from(raw: str | None) -> ApiKey | None:
    """The active key ``raw`` names, or None (unknown, revoked, or malformed)."""
    if not raw or len(raw) > 200:
        return None
    key = (
        ApiKey.objects.select_related("site", "user")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        forget_roles(key.user)
    return key


class KeyRateThrottle(SimpleRateThrottle):
    """DRF's cache-backed rate (Redis in production, like the API's throttles), counted
    per key rather than per address: one integrator's burst does not starve another."""

    scope = "open311"

    def __init__(self, key: ApiKey) -> None:
        self.api_key = key
        super().__init__()

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"key{self.api_key.pk}"}


class AddressRateThrottle(SimpleRateThrottle):
    """The same rate for calls without a key, per client address (NUM_PROXIES, as the
    API's throttles read it)."""

    scope = "open311"

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope) or DEFAULT_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": "open311-addr", "ident": self.get_ident(request)}


def allow(key: ApiKey | None, request: HttpRequest) -> tuple[bool, int | None]:
    """(allowed, seconds to wait): per key, or per address for calls without one."""
    from rest_framework.request import Request

    throttle: SimpleRateThrottle = KeyRateThrottle(key) if key else AddressRateThrottle()
    if throttle.allow_request(Request(request), None):  # type: ignore[arg-type]
        return True, None
    wait = throttle.wait()
    return False, int(wait) + 1 if wait is not None else 60


def log_use(key: ApiKey, request: HttpRequest, status: int, order_id: int | None = None) -> None:
    ApiKeyUse.objects.create(
        key=key,
        method=(request.method or "")[:8],
        path=request.path[:200],
        status=status,
        remote_addr=(request.META.get("REMOTE_ADDR") or "")[:45],
        order_id=order_id,
    )
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
