"""Showcase services: every write that matters. Callers write
``from apps.showcase import services``."""

from .editing import post_create, post_photo_add, post_photo_remove, post_update, source_photos
from .review import post_approve, post_reject, post_return, post_submit, post_unpublish
from .workflow import (
    ACTION_LABELS,
    TRANSITIONS,
    chain_for,
    is_editor,
    lock_post,
    may_author,
    may_review,
    may_unpublish,
    post_visible_to,
)

__all__ = [
    "ACTION_LABELS",
    "TRANSITIONS",
    "chain_for",
    "is_editor",
    "lock_post",
    "may_author",
    "may_review",
    "may_unpublish",
    "post_approve",
    "post_create",
    "post_photo_add",
    "post_photo_remove",
    "post_reject",
    "post_return",
    "post_submit",
    "post_unpublish",
    "post_update",
    "post_visible_to",
    "source_photos",
]
