"""The activity lifecycle's shared core: the transition table and the helpers every
move uses; the check and the move itself are the state machine orders and showcase
posts use too (apps.core.workflow).

Every move (one function in a sibling module):

1. opens a transaction and locks the activity row (``lock_activity``:
   ``select_for_update``), so two staff acting at once act one after another, and a
   sign-up, a withdrawal and a cancellation never interleave;
2. checks the actor may see the activity (not yours answers like not there:
   ``NotFoundError``), may take this action (``PermissionDeniedError``) and that the
   activity's state allows it (``check_transition``: ``ConflictError(code="illegal_transition")``);
3. writes and appends an ``ActivityEvent`` (``record``).

Sign-up rows of an activity are written only while holding the activity's row lock,
so the places of a role are counted and taken one request at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext, gettext_lazy

from apps.accounts.models import RoleName, User
from apps.core.errors import NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.core.workflow import StateMachine
from apps.sites.scoping import can_manage_site, held_roles, is_global

from ..models import Activity, ActivityEvent, ActivityStatus, Signup

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = ActivityStatus
LIVE = frozenset({S.PUBLISHED})
ANY_OPEN = frozenset({S.DRAFT, S.PUBLISHED})

# The transition table: action → (statuses it may start from, statuses it may lead
# to). Actions whose targets equal their sources leave the status as it is and only
# log an event (a sign-up, a check-in, an attendance correction).
TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "create": (frozenset({""}), frozenset({S.DRAFT})),
    "edit": (ANY_OPEN, ANY_OPEN),
    "publish": (frozenset({S.DRAFT}), frozenset({S.PUBLISHED})),
    "cancel": (ANY_OPEN, frozenset({S.CANCELLED})),
    "finish": (frozenset({S.PUBLISHED}), frozenset({S.FINISHED})),
    # 招募令: sign-ups and their decisions while the activity recruits.
    "signup": (LIVE, LIVE),
    "withdraw": (LIVE, LIVE),
    "approve": (LIVE, LIVE),
    "refuse": (LIVE, LIVE),
    "invite": (LIVE, LIVE),
    "answer_invite": (LIVE, LIVE),
    "register": (LIVE, LIVE),
    "unregister": (LIVE, LIVE),
    # Presence: the rotating code while it runs, staff by hand until it is confirmed.
    "check_in": (LIVE, LIVE),
    "check_out": (LIVE, LIVE),
    "mark_attendance": (frozenset({S.PUBLISHED, S.FINISHED}), frozenset({S.PUBLISHED, S.FINISHED})),
    # After the activity: the organisers confirm who came and for how long.
    "confirm_attendance": (frozenset({S.FINISHED}), frozenset({S.FINISHED})),
    "correct_attendance": (frozenset({S.FINISHED}), frozenset({S.FINISHED})),
}

# Lazy: read in the language of whoever sees the button or the error.
ACTION_LABELS: dict[str, StrOrPromise] = {
    "create": gettext_lazy("创建活动"),
    "edit": gettext_lazy("修改活动"),
    "publish": gettext_lazy("发布招募"),
    "cancel": gettext_lazy("取消活动"),
    "finish": gettext_lazy("结束活动"),
    "signup": gettext_lazy("报名"),
    "withdraw": gettext_lazy("退出报名"),
    "approve": gettext_lazy("通过报名"),
    "refuse": gettext_lazy("不通过报名"),
    "invite": gettext_lazy("邀请志愿者"),
    "answer_invite": gettext_lazy("答复邀请"),
    "register": gettext_lazy("报名参加"),
    "unregister": gettext_lazy("取消参加"),
    "check_in": gettext_lazy("签到"),
    "check_out": gettext_lazy("签退"),
    "mark_attendance": gettext_lazy("补记签到"),
    "confirm_attendance": gettext_lazy("确认出勤"),
    "correct_attendance": gettext_lazy("更正出勤"),
}


MACHINE = StateMachine(
    TRANSITIONS,
    ACTION_LABELS,
    gettext_lazy("活动当前状态为“%(status)s”，不能%(action)s。"),
    touch=("updated_at",),
)


def check_transition(activity: Activity, action: str) -> None:
    MACHINE.check(activity, action)


def record(
    activity: Activity,
    *,
    action: str,
    actor: User | None,
    to: str,
    now: dt.datetime,
    code: str = "",
    params: dict[str, Any] | None = None,
    note: str = "",
    fields: tuple[str, ...] | list[str] = (),
) -> ActivityEvent:
    """Move ``activity`` to ``to``, save ``fields`` and append the event.

    Caller holds the activity row lock and has run ``check_transition``."""
    from_status = MACHINE.move(activity, action=action, to=to, now=now, fields=fields)
    return ActivityEvent.objects.create(
        activity=activity,
        actor_id=getattr(actor, "pk", None),
        action=action,
        from_status=from_status,
        to_status=to,
        code=code,
        params=params or {},
        note=note[:1000],
        created_at=now,
    )


def user_site_paths(user: User | AnonymousUser | None) -> list[str]:
    """Paths of the sites ``user`` belongs to as a volunteer or resident, and of the
    sites where they hold any role."""
    paths = [r.site_path for r in held_roles(user)]
    volunteer = getattr(user, "volunteer", None) if _signed_in(user) else None
    if volunteer is not None:
        paths.append(volunteer.site.path)
    return paths


def _signed_in(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and not isinstance(user, AnonymousUser) and user.is_authenticated)


def activity_visible_to(activity: Activity, user: User | AnonymousUser | None) -> bool:
    """Staff managing the activity's site see it in any state; once published, everyone
    at the site or below it (volunteers, residents, staff there), and anyone signed up."""
    if not _signed_in(user):
        return False
    if can_manage_site(user, activity.site):
        return True
    if activity.status == S.DRAFT:
        return False
    if any(path.startswith(activity.site.path) for path in user_site_paths(user)):
        return True
    user_id = getattr(user, "pk", None)
    return user_id is not None and (
        Signup.objects.filter(activity_id=activity.pk, volunteer__user_id=user_id).exists()
    )


def lock_activity(activity_id: Id, actor: User) -> Activity:
    """The activity, row-locked, if ``actor`` may see it; NotFoundError otherwise.

    Must be called inside ``transaction.atomic()``. ``of=("self",)`` locks only the
    activity row, not the joined site row other activities share."""
    try:
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("site", "theme")
            .get(pk=int(activity_id))
        )
    except (Activity.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("活动不存在。"), code="not_found") from None
    if not activity_visible_to(activity, actor):
        raise NotFoundError(gettext("活动不存在。"), code="not_found")
    return activity


def require_organiser(activity: Activity, actor: User) -> None:
    """Staff of the organising site or any site above it."""
    if not can_manage_site(actor, activity.site):
        raise PermissionDeniedError(
            gettext("只有主办阵地（%(site)s）及其上级的工作人员可以管理该活动。")
            % {"site": activity.site.name},
            code="not_organiser",
        )


def is_county_admin(user: User) -> bool:
    return is_global(user) or any(
        r.role == RoleName.COUNTY_ADMIN and r.site_level == "county" for r in held_roles(user)
    )
