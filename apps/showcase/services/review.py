"""The review chain's moves: submit (with the consent tick), approve (up one step; at
the editor's step, publish), return with comments, reject, and unpublish (撤稿)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import PermissionDeniedError
from apps.core.types import Id

from ..models import PostEvent, ShowcasePost
from ..notify import author_notify, reviewers_notify
from ..push import queue_post_event
from .workflow import (
    S,
    chain_for,
    check_transition,
    lock_post,
    may_unpublish,
    record,
    require_author,
    require_reviewer,
    step_site,
)

MAX_NOTE = 1000


def _required(text: str, field: str, message: str) -> str:
    text = str(text or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    return text[:MAX_NOTE]


def post_submit(*, actor: User, post_id: Id, consent: bool) -> ShowcasePost:
    """Send a draft (or a returned post, edited) to the chain's first step. The author
    confirms that the people shown agreed to be published: stored as who and when."""
    if not consent:
        raise ValidationError({"consent": [gettext("请确认照片和文字中出现的人已同意公开发布。")]})
    with transaction.atomic():
        post = lock_post(post_id, actor)
        require_author(post, actor)
        check_transition(post, "submit")
        now = timezone.now()
        post.consent_by, post.consent_at, post.submitted_at = actor, now, now
        post.review_comment = ""
        event = record(
            post,
            action="submit",
            actor=actor,
            to=chain_for(post.site)[0],
            now=now,
            fields=["consent_by", "consent_at", "submitted_at", "review_comment"],
        )
        reviewers_notify(post, event, step_site(post, post.status))
    return post


def post_approve(*, actor: User, post_id: Id, note: str = "") -> ShowcasePost:
    """The reviewer of the current step approves: the post goes to the next step, or,
    at the editor's, is published (and the media center is told)."""
    with transaction.atomic():
        post = lock_post(post_id, actor)
        chain = chain_for(post.site)
        action = "publish" if post.status == S.EDITOR_REVIEW else "approve"
        check_transition(post, action)
        require_reviewer(post, actor)
        now = timezone.now()
        if action == "publish":
            post.published_at = now
            post.unpublished_at, post.unpublish_reason = None, ""
            event = record(
                post,
                action="publish",
                actor=actor,
                to=S.PUBLISHED,
                now=now,
                note=str(note or "")[:MAX_NOTE],
                fields=["published_at", "unpublished_at", "unpublish_reason"],
            )
            queue_post_event(post, event)
            author_notify(post, event)
        else:
            event = record(
                post,
                action="approve",
                actor=actor,
                to=chain[chain.index(post.status) + 1],
                now=now,
                note=str(note or "")[:MAX_NOTE],
            )
            reviewers_notify(post, event, step_site(post, post.status))
    return post


def _answer_with_comment(
    *, actor: User, post_id: Id, action: str, to: str, comment: str
) -> ShowcasePost:
    """A reviewer's answer that sends the post back with a comment (return, reject):
    the comment kept on the post and in the event, the author told."""
    with transaction.atomic():
        post = lock_post(post_id, actor)
        check_transition(post, action)
        require_reviewer(post, actor)
        post.review_comment = comment
        event = record(
            post,
            action=action,
            actor=actor,
            to=to,
            now=timezone.now(),
            note=comment,
            fields=["review_comment"],
        )
        author_notify(post, event)
    return post


def post_return(*, actor: User, post_id: Id, comment: str) -> ShowcasePost:
    """Back to the author with comments; once edited and resubmitted the chain starts
    again at its first step."""
    comment = _required(comment, "comment", gettext("请写明退回的修改意见。"))
    return _answer_with_comment(
        actor=actor, post_id=post_id, action="return", to=S.RETURNED, comment=comment
    )


def post_reject(*, actor: User, post_id: Id, reason: str) -> ShowcasePost:
    """Not to be published (final)."""
    reason = _required(reason, "reason", gettext("请写明不予通过的原因。"))
    return _answer_with_comment(
        actor=actor, post_id=post_id, action="reject", to=S.REJECTED, comment=reason
    )


def post_unpublish(*, actor: User, post_id: Id, reason: str) -> ShowcasePost:
    """撤稿: the media center's editor (or a county admin) takes a published post down;
    its pages, images and feed entries are gone from then on."""
    reason = _required(reason, "reason", gettext("请写明撤稿原因。"))
    with transaction.atomic():
        post = lock_post(post_id, actor)
        check_transition(post, "unpublish")
        if not may_unpublish(actor, post):
            raise PermissionDeniedError(
                gettext("只有媒体中心编辑或县级管理员可以撤稿。"), code="not_your_review"
            )
        now = timezone.now()
        post.unpublished_at, post.unpublish_reason = now, reason
        event = record(
            post,
            action="unpublish",
            actor=actor,
            to=S.UNPUBLISHED,
            now=now,
            note=reason,
            fields=["unpublished_at", "unpublish_reason"],
        )
        queue_post_event(post, event)
        author_notify(post, event)
    return post


def events_of(post: ShowcasePost) -> list[PostEvent]:
    return list(post.events.select_related("actor").order_by("created_at", "id"))
