"""Public showcase pages (no login): county-wide, per site, one post, one activity's
posts; and the photos, public only while their post is published."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.activities.models import Activity, ActivityStatus
from apps.core.errors import NotFoundError
from apps.core.media import protected_file
from apps.core.pages import paginate

from . import selectors, services
from .content import photos_of
from .forms import CommentForm, NoteForm, ReasonForm, SubmitForm
from .models import PostStatus
from .services.workflow import ACTION_LABELS, chain_for, editor_paths, may_unpublish

# The public copies of a published post: browsers and the media center's app may
# keep them a while; a withdrawal stops them within that.
PUBLIC_CACHE_CONTROL = "public, max-age=300"
VARIANTS = {"web", "thumb", "original"}

STATUS_CLASS = {
    PostStatus.DRAFT: "status-warn",
    PostStatus.RETURNED: "status-warn",
    PostStatus.TOWNSHIP_REVIEW: "status-warn",
    PostStatus.COUNTY_REVIEW: "status-warn",
    PostStatus.EDITOR_REVIEW: "status-warn",
    PostStatus.PUBLISHED: "status-ok",
    PostStatus.REJECTED: "status-bad",
    PostStatus.UNPUBLISHED: "status-bad",
}


def _listing(request: HttpRequest, qs: Any, **context: Any) -> HttpResponse:
    page = paginate(request, qs, per_page=12)
    return render(request, "showcase/list.html", {"page": page, **context})


def showcase_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, selectors.published(), site=None)


def site_list(request: HttpRequest, site_id: int) -> HttpResponse:
    try:
        site = selectors.public_site(site_id)
    except NotFoundError:
        raise Http404(_("阵地不存在。")) from None
    return _listing(request, selectors.published(site=site), site=site)


def activity_posts(request: HttpRequest, activity_id: int) -> HttpResponse:
    """An activity's public page: what it was and its published posts. Drafts and
    cancelled activities have none."""
    activity = (
        Activity.objects.select_related("site", "theme")
        .filter(pk=activity_id, status__in=[ActivityStatus.PUBLISHED, ActivityStatus.FINISHED])
        .first()
    )
    if activity is None:
        raise Http404(_("活动不存在。"))
    page = paginate(request, selectors.published(activity_id=activity.pk), per_page=12)
    return render(request, "showcase/activity.html", {"activity": activity, "page": page})


def _staff_view(post: Any, user: Any) -> bool:
    """Whether ``user`` sees the post as one of its people (status, trail, actions)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return services.may_author(user, post.site) or any(
        post.site.path.startswith(p) for p in editor_paths(user)
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        post = selectors.access_post(user, pk)
    except NotFoundError:
        raise Http404(_("稿件不存在。")) from None
    context: dict[str, Any] = {
        "post": post,
        "photos": photos_of(post),
        "status_class": STATUS_CLASS.get(PostStatus(post.status), ""),
        "staff_view": _staff_view(post, user),
    }
    if context["staff_view"]:
        reviewer = post.status in (
            PostStatus.TOWNSHIP_REVIEW,
            PostStatus.COUNTY_REVIEW,
            PostStatus.EDITOR_REVIEW,
        ) and services.may_review(user, post, post.status)
        context |= {
            "events": [(e, ACTION_LABELS.get(e.action, e.action)) for e in post_events(post)],
            "chain": [(s, PostStatus(s).label) for s in chain_for(post.site)],
            "can_edit": services.may_author(user, post.site)
            and post.status in (PostStatus.DRAFT, PostStatus.RETURNED),
            "can_review": reviewer,
            "can_unpublish": post.status == PostStatus.PUBLISHED and may_unpublish(user, post),
            "submit_form": SubmitForm(),
            "note_form": NoteForm(),
            "comment_form": CommentForm(),
            "reason_form": ReasonForm(),
        }
    return render(request, "showcase/detail.html", context)


def post_events(post: Any) -> list[Any]:
    return list(post.events.select_related("actor").order_by("created_at", "id"))


def photo(request: HttpRequest, pk: int, variant: str) -> HttpResponseBase:
    """A post's photo. ``web`` and ``thumb``: public while the post is published, else
    only to its people; ``original`` (the cleaned upload): only to its people."""
    if variant not in VARIANTS:
        raise Http404
    try:
        item = selectors.access_photo(request.user, pk)
    except NotFoundError:
        raise Http404 from None
    people = _staff_view(item.post, request.user)
    if variant == "original" and not people:
        raise Http404
    response = protected_file(getattr(item, variant).name)
    if item.post.status == PostStatus.PUBLISHED and variant != "original":
        response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response
