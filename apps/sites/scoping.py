"""Who may manage which part of the site tree: the one scoping helper every app uses.

Roles are held at a site (``accounts.Role``). Staff and county admins manage their
site's whole subtree; their scope is the set of path prefixes of those sites. The
roles are read once per user object (one query) and cached on it, so a request that
checks scope many times costs one query.

This module does not import ``apps.accounts`` (which sits beside it at the bottom
and depends on ``sites``): it reads roles through the ``user.roles`` relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from apps.core.errors import NotFoundError
from apps.core.types import Id

from .models import Site

if TYPE_CHECKING:  # type-only: sites sits below accounts and never imports it
    from apps.accounts.models import User

MANAGER_ROLES = frozenset({"staff", "county_admin"})
_CACHE_ATTR = "_portal_role_cache"

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class HeldRole:
    role: str
    site_id: int
    site_path: str
    site_name: str
    site_level: str
    site_is_leaf: bool = False  # no site hangs under it


@dataclass(frozen=True)
class _RoleCache:
    roles: tuple[HeldRole, ...]
    managed: tuple[str, ...]  # the managed subtrees' path prefixes, nested ones folded
    # When the whole scope is one site with nothing under it (a village's staff): its
    # id, so lists filter on the site column itself (an index on it and the list's
    # order gives the first page in order) instead of a join on the path.
    single_site: int | None = None


def _role_cache(user: User | AnonymousUser | None) -> _RoleCache | None:
    """The user's roles and managed paths: one query, then kept on the user object (a
    list page asks for every row whether the viewer manages its site)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        held = (
            user.roles.select_related("site")
            .annotate(leaf=~Exists(Site.objects.filter(parent_id=OuterRef("site_id"))))
            .order_by("site__path", "role")
        )
        roles = tuple(
            HeldRole(r.role, r.site_id, r.site.path, r.site.name, r.site.level, r.leaf)
            for r in held
        )
        folded: list[str] = []
        for path in sorted({r.site_path for r in roles if r.role in MANAGER_ROLES}):
            if not any(path.startswith(kept) for kept in folded):
                folded.append(path)
        single_site = next(
            (
                r.site_id
                for r in roles
                if len(folded) == 1 and r.site_path == folded[0] and r.site_is_leaf
            ),
            None,
        )
        cached = _RoleCache(roles, tuple(folded), single_site)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def held_roles(user: User | AnonymousUser | None) -> list[HeldRole]:
    """The roles ``user`` holds, with their sites' paths. One query, then cached."""
    cached = _role_cache(user)
    return list(cached.roles) if cached else []


def forget_roles(user: User | AnonymousUser | None) -> None:
    """Drop the cached roles (after granting or revoking one)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    return any(r.role in roles for r in held_roles(user))


def is_global(user: User | AnonymousUser | None) -> bool:
    """Superusers see everything (the portal's operators, not county staff)."""
    return bool(user is not None and user.is_superuser and user.is_active)


def managed_paths(user: User | AnonymousUser | None) -> list[str]:
    """Path prefixes of the subtrees ``user`` manages, with nested ones folded away."""
    cached = _role_cache(user)
    return list(cached.managed) if cached else []


def managed_single_site(user: User | AnonymousUser | None) -> int | None:
    """The id of the one site ``user`` manages when nothing hangs under it, else None."""
    if is_global(user):
        return None
    cached = _role_cache(user)
    return cached.single_site if cached else None


def is_manager(user: User | AnonymousUser | None) -> bool:
    return is_global(user) or bool(managed_paths(user))


def can_manage_site(user: User | AnonymousUser | None, site: Site | None) -> bool:
    """True when ``site`` lies in a subtree ``user`` manages."""
    if site is None:
        return False
    return can_manage_path(user, site.path)


def can_manage_path(user: User | AnonymousUser | None, path: str) -> bool:
    """``can_manage_site`` for a site known by its path (rows read with ``values()``)."""
    if is_global(user):
        return True
    return any(path.startswith(p) for p in managed_paths(user))


def path_q(paths: list[str], site_field: str) -> Q:
    """A Q matching rows whose ``site_field`` lies under any of ``paths``."""
    lookup = f"{site_field}__path__startswith" if site_field else "path__startswith"
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{lookup: path})
    return q


def scope_queryset(
    qs: QuerySet[M], user: User | AnonymousUser, *, site_field: str = "site"
) -> QuerySet[M]:
    """Restrict ``qs`` to rows whose site lies in ``user``'s managed subtrees.

    ``site_field`` is the lookup path from the model to its ``Site`` (``""`` when the
    queryset is of sites). Someone who manages nothing gets an empty queryset.
    """
    if is_global(user):
        return qs
    paths = managed_paths(user)
    if not paths:
        return qs.none()
    single = managed_single_site(user)
    if single is not None:
        return qs.filter(**{f"{site_field}_id" if site_field else "pk": single})
    return qs.filter(path_q(paths, site_field))


def access_site(user: User | AnonymousUser, site_id: Id) -> Site:
    """The site ``site_id`` if ``user`` manages it; otherwise NotFoundError (not yours
    and not there answer the same)."""
    try:
        site = Site.objects.get(pk=int(site_id))
    except (Site.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found") from None
    if not can_manage_site(user, site):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found")
    return site
