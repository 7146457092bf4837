"""The review chain's shared core: the transition table, who reviews at each step, and
the helpers every move uses; the check and the move itself are the state machine orders
and activities use too (apps.core.workflow).

The chain (内容把关) depends on where the post was written:

* a village point's post (or a base's below a township): its township's staff, then
  the county's staff, then the media center's editor;
* a township's post (or a base's under the county): the county's staff, then the editor;
* the county's own post: the editor.

Every reviewer may approve (the next step, or publication at the editor's), return
with comments (the author edits and resubmits; the chain starts again at its first
step) or reject (final). Every move:

1. opens a transaction and locks the post row (``lock_post``: ``select_for_update``),
   so two reviewers acting at once act one after another;
2. checks the actor may see the post (not yours answers like not there:
   ``NotFoundError``), holds the step's role (``PermissionDeniedError``,
   ``not_your_review``) and that the post's state allows the move (``check_transition``:
   ``ConflictError``, ``illegal_transition``);
3. writes and appends a ``PostEvent`` (``record``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext, gettext_lazy

from apps.accounts.models import RoleName, User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.core.workflow import StateMachine
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import can_manage_site, held_roles, is_global

from ..models import PostEvent, PostStatus, ShowcasePost

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = PostStatus
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
IN_REVIEW = frozenset({S.TOWNSHIP_REVIEW, S.COUNTY_REVIEW, S.EDITOR_REVIEW})

# action → (statuses it may start from, statuses it may lead to).
TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "create": (frozenset({""}), frozenset({S.DRAFT})),
    "edit": (EDITABLE, EDITABLE),
    "add_photo": (EDITABLE, EDITABLE),
    "remove_photo": (EDITABLE, EDITABLE),
    # To the chain's first step (which depends on the post's site).
    "submit": (EDITABLE, IN_REVIEW),
    # A step below the editor passes the post up.
    "approve": (
        frozenset({S.TOWNSHIP_REVIEW, S.COUNTY_REVIEW}),
        frozenset({S.COUNTY_REVIEW, S.EDITOR_REVIEW}),
    ),
    # The editor's approval: public from now on.
    "publish": (frozenset({S.EDITOR_REVIEW}), frozenset({S.PUBLISHED})),
    "return": (IN_REVIEW, frozenset({S.RETURNED})),
    "reject": (IN_REVIEW, frozenset({S.REJECTED})),
    # 撤稿: the media center (or the county) takes a published post down.
    "unpublish": (frozenset({S.PUBLISHED}), frozenset({S.UNPUBLISHED})),
}

ACTION_LABELS: dict[str, StrOrPromise] = {
    "create": gettext_lazy("创建"),
    "edit": gettext_lazy("修改"),
    "add_photo": gettext_lazy("添加照片"),
    "remove_photo": gettext_lazy("删除照片"),
    "submit": gettext_lazy("提交审核"),
    "approve": gettext_lazy("审核通过"),
    "publish": gettext_lazy("终审发布"),
    "return": gettext_lazy("退回修改"),
    "reject": gettext_lazy("不予通过"),
    "unpublish": gettext_lazy("撤稿"),
}


MACHINE = StateMachine(
    TRANSITIONS,
    ACTION_LABELS,
    gettext_lazy("该稿件当前状态为“%(status)s”，不能%(action)s。"),
    touch=("updated_at",),
)


def check_transition(post: ShowcasePost, action: str) -> None:
    MACHINE.check(post, action)


def record(
    post: ShowcasePost,
    *,
    action: str,
    actor: User | None,
    to: str,
    now: dt.datetime,
    note: str = "",
    fields: tuple[str, ...] | list[str] = (),
) -> PostEvent:
    """Move ``post`` to ``to``, save ``fields`` and append the event.

    Caller holds the post row lock and has run ``check_transition``."""
    if action == "create":  # the post was just saved with its first status
        from_status = ""
        MACHINE.validate(action, from_status, to)
    else:
        from_status = MACHINE.move(post, action=action, to=to, now=now, fields=fields)
    return PostEvent.objects.create(
        post=post,
        actor_id=getattr(actor, "pk", None),
        action=action,
        from_status=from_status,
        to_status=to,
        note=note[:1000],
        created_at=now,
    )


# --- who reviews where -----------------------------------------------------------------------
def _above(site: Site) -> list[Site]:
    """``site`` and its ancestors, root first (one query, kept on the site object)."""
    cached = getattr(site, "_showcase_above", None)
    if cached is None:
        cached = list(site.ancestors())
        site._showcase_above = cached  # type: ignore[attr-defined]
    return cached


def county_of(site: Site) -> Site | None:
    return next((s for s in _above(site) if s.level == SiteLevel.COUNTY), None)


def township_of(site: Site) -> Site | None:
    """The township strictly above ``site`` (a village's, a base's under a township)."""
    return next(
        (s for s in _above(site) if s.level == SiteLevel.TOWNSHIP and s.pk != site.pk), None
    )


def chain_for(site: Site) -> list[str]:
    """The review steps a post of ``site`` passes, in order."""
    steps: list[str] = []
    if township_of(site) is not None:
        steps.append(S.TOWNSHIP_REVIEW)
    if site.level != SiteLevel.COUNTY:
        steps.append(S.COUNTY_REVIEW)
    steps.append(S.EDITOR_REVIEW)
    return steps


def _holds_at(user: User | AnonymousUser | None, roles: tuple[str, ...], site: Site | None) -> bool:
    return site is not None and any(
        r.role in roles and r.site_id == site.pk for r in held_roles(user)
    )


def step_site(post: ShowcasePost, status: str) -> Site | None:
    """The site whose people review ``post`` at step ``status``."""
    if status == S.TOWNSHIP_REVIEW:
        return township_of(post.site)
    if status in (S.COUNTY_REVIEW, S.EDITOR_REVIEW, S.PUBLISHED):
        return county_of(post.site)
    return None


def may_review(user: User | AnonymousUser | None, post: ShowcasePost, status: str) -> bool:
    """Whether ``user`` is the reviewer of ``post`` at step ``status``: staff (or a
    county admin) held at the township, then at the county; an editor held at the
    county. A superuser may act anywhere (the portal's operators)."""
    if is_global(user):
        return True
    site = step_site(post, status)
    if status in (S.TOWNSHIP_REVIEW, S.COUNTY_REVIEW):
        return _holds_at(user, (RoleName.STAFF, RoleName.COUNTY_ADMIN), site)
    if status == S.EDITOR_REVIEW:
        return _holds_at(user, (RoleName.EDITOR,), site)
    return False


def may_unpublish(user: User | AnonymousUser | None, post: ShowcasePost) -> bool:
    """The media center's editors and the county's admins."""
    site = county_of(post.site)
    return is_global(user) or _holds_at(user, (RoleName.EDITOR, RoleName.COUNTY_ADMIN), site)


def is_editor(user: User | AnonymousUser | None) -> bool:
    return any(r.role == RoleName.EDITOR for r in held_roles(user))


def editor_paths(user: User | AnonymousUser | None) -> list[str]:
    """The subtrees (counties) whose posts an editor reviews."""
    return [r.site_path for r in held_roles(user) if r.role == RoleName.EDITOR]


def may_author(user: User | AnonymousUser | None, site: Site) -> bool:
    """Staff of the post's site or above it write and edit its posts."""
    return can_manage_site(user, site)


def post_visible_to(post: ShowcasePost, user: User | AnonymousUser | None) -> bool:
    """Published: everyone (the public pages). Otherwise staff managing the post's site
    (its author's site and the sites above, its reviewers among them) and the county's
    editors once it has been submitted."""
    if post.status == S.PUBLISHED:
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if can_manage_site(user, post.site):
        return True
    return post.status != S.DRAFT and any(post.site.path.startswith(p) for p in editor_paths(user))


def lock_post(post_id: Id, actor: User) -> ShowcasePost:
    """The post, row-locked, if ``actor`` may see it; NotFoundError otherwise.

    Must be called inside ``transaction.atomic()``; ``of=("self",)`` locks the post
    row only, not the joined site row other posts share."""
    try:
        post = (
            ShowcasePost.objects.select_for_update(of=("self",))
            .select_related("site")
            .get(pk=int(post_id))
        )
    except (ShowcasePost.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("稿件不存在。"), code="not_found") from None
    if not post_visible_to(post, actor) or (
        post.status == S.PUBLISHED
        and not (may_author(actor, post.site) or may_unpublish(actor, post))
    ):
        # A published post is public, but only its own people may act on it.
        raise NotFoundError(gettext("稿件不存在。"), code="not_found")
    return post


def require_author(post: ShowcasePost, actor: User) -> None:
    if not may_author(actor, post.site):
        raise PermissionDeniedError(
            gettext("只有%(site)s及其上级的工作人员可以修改该稿件。") % {"site": post.site.name},
            code="not_author",
        )


def require_reviewer(post: ShowcasePost, actor: User) -> None:
    if not may_review(actor, post, post.status):
        site = step_site(post, post.status)
        raise PermissionDeniedError(
            gettext("该稿件正在等待%(who)s审核，不是您的审核环节。")
            % {
                "who": gettext("媒体中心编辑")
                if post.status == S.EDITOR_REVIEW
                else (site.name if site else "")
            },
            code="not_your_review",
        )
