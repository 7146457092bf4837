"""Showcase reads, scoped by the caller, with a fixed number of queries whatever the
number of rows (site joined, photos prefetched)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.http import http_date
from django.utils.translation import gettext

from apps.accounts.models import RoleName, User
from apps.core.errors import NotFoundError
from apps.core.types import Id
from apps.sites.models import Site
from apps.sites.scoping import held_roles, is_global, managed_paths, path_q

from .models import PostPhoto, PostStatus, ShowcasePost
from .services.workflow import editor_paths, post_visible_to

S = PostStatus


def with_relations(qs: QuerySet[ShowcasePost]) -> QuerySet[ShowcasePost]:
    photos = PostPhoto.objects.order_by("position", "id")
    return qs.select_related("site", "activity").prefetch_related(
        Prefetch("photos", queryset=photos)
    )


# --- public ----------------------------------------------------------------------------------
def published(
    *, site: Site | None = None, activity_id: int | None = None
) -> QuerySet[ShowcasePost]:
    """Published posts, newest first: county-wide, a site's subtree or one activity's."""
    qs = ShowcasePost.objects.filter(status=S.PUBLISHED)
    if site is not None:
        qs = qs.filter(site__path__startswith=site.path)
    if activity_id is not None:
        qs = qs.filter(activity_id=activity_id)
    return with_relations(qs).order_by("-published_at", "-id")


def public_site(site_id: Id) -> Site:
    try:
        return Site.objects.get(pk=int(site_id), is_active=True)
    except (Site.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("阵地不存在。"), code="site_not_found") from None


def feed_state(site: Site | None) -> tuple[str, Any]:
    """The ETag seed and Last-Modified of a feed: one aggregate over every post that is
    or was published in scope (a withdrawal changes the feed too)."""
    qs = ShowcasePost.objects.filter(published_at__isnull=False)
    if site is not None:
        qs = qs.filter(site__path__startswith=site.path)
    state = qs.aggregate(changed=Max("updated_at"), n=Count("id", filter=Q(status=S.PUBLISHED)))
    seed = f"{state['changed'].isoformat() if state['changed'] else '-'}:{state['n']}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32], state["changed"]


def last_modified_header(moment: Any) -> str | None:
    return http_date(moment.timestamp()) if moment else None


# --- staff -----------------------------------------------------------------------------------
def access_post(user: User | AnonymousUser, post_id: Id) -> ShowcasePost:
    """The post if ``user`` may see it (published: anyone); NotFoundError otherwise."""
    try:
        post = with_relations(ShowcasePost.objects.all()).get(pk=int(post_id))
    except (ShowcasePost.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("稿件不存在。"), code="not_found") from None
    if not post_visible_to(post, user):
        raise NotFoundError(gettext("稿件不存在。"), code="not_found")
    return post


def access_photo(user: User | AnonymousUser, photo_id: Id) -> PostPhoto:
    try:
        photo = PostPhoto.objects.select_related("post__site").get(pk=int(photo_id))
    except (PostPhoto.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("照片不存在。"), code="photo_not_found") from None
    if not post_visible_to(photo.post, user):
        raise NotFoundError(gettext("照片不存在。"), code="photo_not_found")
    return photo


def _review_q(user: User | AnonymousUser) -> Q:
    """Posts waiting at a step ``user`` holds: township staff for their township's
    points, county staff for the county step, editors for the final one."""
    q = Q(pk__in=[])
    if is_global(user):
        return Q(status__in=[S.TOWNSHIP_REVIEW, S.COUNTY_REVIEW, S.EDITOR_REVIEW])
    for role in held_roles(user):
        below = Q(site__path__startswith=role.site_path)
        if role.role in (RoleName.STAFF, RoleName.COUNTY_ADMIN):
            if role.site_level == "township":
                q |= Q(status=S.TOWNSHIP_REVIEW) & below & ~Q(site_id=role.site_id)
            elif role.site_level == "county":
                q |= Q(status=S.COUNTY_REVIEW) & below
        if role.role == RoleName.EDITOR and role.site_level == "county":
            q |= Q(status=S.EDITOR_REVIEW) & below
    return q


def review_queue(*, fetched_by: User | AnonymousUser) -> QuerySet[ShowcasePost]:
    """What waits for ``fetched_by``'s review, oldest submission first."""
    qs = ShowcasePost.objects.filter(_review_q(fetched_by))
    return with_relations(qs).order_by("submitted_at", "id")


def managed_posts(
    *, fetched_by: User | AnonymousUser, status: list[str] | None = None
) -> QuerySet[ShowcasePost]:
    """Every post of the subtrees ``fetched_by`` manages (their own and their sites'
    drafts included), and for an editor every submitted post of their county; newest
    change first."""
    if is_global(fetched_by):
        qs = ShowcasePost.objects.all()
    else:
        scope = path_q(managed_paths(fetched_by), "site")
        for path in editor_paths(fetched_by):
            scope |= Q(site__path__startswith=path) & ~Q(status=S.DRAFT)
        qs = ShowcasePost.objects.filter(scope)
    if status:
        qs = qs.filter(status__in=status)
    return with_relations(qs).order_by("-updated_at", "-id")


def may_use_showcase(user: User | AnonymousUser | None) -> bool:
    """Staff, county admins and editors have the manage pages."""
    return is_global(user) or bool(managed_paths(user)) or bool(editor_paths(user))
