"""Account reads, scoped, with the mobile-number masking policy."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from apps.sites.scoping import is_global, managed_paths

from .mobile import mask_mobile
from .models import Role, User


def mobile_visible_to(viewer: User | AnonymousUser | None, owner: User) -> bool:
    """The owner and staff whose scope holds one of the owner's sites see the number.

    Callers listing many users should prefetch ``roles__site`` (``user_list`` does) so
    this costs no query per user.
    """
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.pk == owner.pk or is_global(viewer):
        return True
    paths = managed_paths(viewer)
    if not paths:
        return False
    return any(role.site.path.startswith(p) for role in owner.roles.all() for p in paths)


def mobile_for(viewer: User | AnonymousUser | None, owner: User) -> str:
    """The owner's mobile number as ``viewer`` may see it: whole to its owner only,
    138****5678 to everyone else (full numbers are revealed only through an explicit,
    logged action)."""
    if not owner.mobile:
        return ""
    own = viewer is not None and viewer.pk == owner.pk
    return owner.mobile if own else mask_mobile(owner.mobile)


def user_list(
    *, fetched_by: User | AnonymousUser, filters: dict[str, Any] | None = None
) -> QuerySet[User]:
    """Users holding a role in ``fetched_by``'s scope (staff directory)."""
    filters = filters or {}
    roles = Role.objects.select_related("site").order_by("site__path", "role")
    qs = User.objects.prefetch_related(Prefetch("roles", queryset=roles)).order_by("id")
    if not is_global(fetched_by):
        paths = managed_paths(fetched_by)
        if not paths:
            return qs.none()
        in_scope = Q(pk__in=[])
        for p in paths:
            in_scope |= Q(site__path__startswith=p)
        qs = qs.filter(pk__in=Role.objects.filter(in_scope).values("user_id"))
    if filters.get("role"):
        qs = qs.filter(roles__role=filters["role"]).distinct()
    if filters.get("q"):
        term = filters["q"]
        qs = qs.filter(Q(username__icontains=term) | Q(real_name__icontains=term) | Q(mobile=term))
    return qs
