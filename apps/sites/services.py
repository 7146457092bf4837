"""Writes to the site tree. County admins (and superusers) create and edit sites in
their subtree; a site's place in the tree follows the level rules."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from apps.core.errors import PermissionDeniedError

from .models import Site, check_parent_level
from .scoping import has_role, held_roles, is_global

if TYPE_CHECKING:  # type-only: sites sits below accounts and never imports it
    from django.contrib.auth.models import AnonymousUser

    from apps.accounts.models import User

EDITABLE_FIELDS = (
    "name",
    "address",
    "contact_name",
    "contact_phone",
    "latitude",
    "longitude",
    "is_active",
)


def _check_county_admin_over(actor: User | AnonymousUser, site: Site | None) -> None:
    """Only county admins whose subtree holds ``site`` (or superusers) may edit there."""
    if is_global(actor):
        return
    if not has_role(actor, "county_admin") or site is None:
        raise PermissionDeniedError(
            gettext("只有县级管理员可以维护阵地。"), code="not_county_admin"
        )
    county_paths = [r.site_path for r in held_roles(actor) if r.role == "county_admin"]
    if not any(site.path.startswith(p) for p in county_paths):
        raise PermissionDeniedError(gettext("该阵地不在您的管理范围内。"), code="out_of_scope")


def site_create(
    *,
    actor: User | AnonymousUser,
    name: str,
    level: str,
    parent: Site | None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    is_active: bool = True,
) -> Site:
    if parent is None and not is_global(actor):
        raise PermissionDeniedError(
            gettext("只有系统管理员可以创建县级中心。"), code="not_superuser"
        )
    if parent is not None:
        _check_county_admin_over(actor, parent)
    check_parent_level(level, parent)
    if not name.strip():
        raise ValidationError({"name": gettext("请填写阵地名称。")})
    with transaction.atomic():
        site = Site(
            name=name.strip(),
            level=level,
            parent=parent,
            address=address,
            contact_name=contact_name,
            contact_phone=contact_phone,
            latitude=latitude,
            longitude=longitude,
            is_active=is_active,
        )
        site.full_clean(exclude=["path", "depth"])
        site.save()
    return site


def site_update(*, actor: User | AnonymousUser, site: Site, **fields: Any) -> Site:
    """Edit a site's details (not its level or place in the tree)."""
    _check_county_admin_over(actor, site)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: gettext("该字段不可修改。") for f in unknown})
    with transaction.atomic():
        # Lock the row: two admins editing the same site apply one after the other.
        locked = Site.objects.select_for_update().get(pk=site.pk)
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.full_clean(exclude=["path", "depth"])
        locked.save()
    return locked
