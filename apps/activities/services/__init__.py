"""Activity services: every write that matters. Callers write
``from apps.activities import services``."""

from .publishing import (
    RoleSpec,
    activity_cancel,
    activity_create,
    activity_finish,
    activity_publish,
    activity_update,
)
from .signups import (
    SIGNUP_MOVES,
    invite_answer,
    overlaps_for,
    registration_cancel,
    registration_counts,
    registration_create,
    signup_approve,
    signup_create,
    signup_invite,
    signup_refuse,
    signup_withdraw,
)
from .themes import access_theme_for_edit, theme_counties, theme_delete, theme_set
from .workflow import (
    ACTION_LABELS,
    TRANSITIONS,
    activity_visible_to,
    check_transition,
    is_county_admin,
    lock_activity,
)

__all__ = [
    "ACTION_LABELS",
    "SIGNUP_MOVES",
    "TRANSITIONS",
    "RoleSpec",
    "access_theme_for_edit",
    "activity_cancel",
    "activity_create",
    "activity_finish",
    "activity_publish",
    "activity_update",
    "activity_visible_to",
    "check_transition",
    "invite_answer",
    "is_county_admin",
    "lock_activity",
    "overlaps_for",
    "registration_cancel",
    "registration_counts",
    "registration_create",
    "signup_approve",
    "signup_create",
    "signup_invite",
    "signup_refuse",
    "signup_withdraw",
    "theme_counties",
    "theme_delete",
    "theme_set",
]
