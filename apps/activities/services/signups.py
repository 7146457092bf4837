"""招募令: volunteers sign up for a role, wait in line when it is full, withdraw until
the deadline; staff approve, refuse and invite; residents register to attend.

Every write here holds the activity's row lock (``lock_activity``): the places of a
role are counted and taken one request at a time, so concurrent sign-ups for the last
place never exceed it, and the waiting list is promoted in ``queued_at`` order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import RoleName, User
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.orders.models import AssignmentStatus, OrderAssignment, OrderStatus
from apps.sites.scoping import can_manage_site, held_roles
from apps.volunteers.models import Team, Volunteer, VolunteerStatus

from ..models import (
    ACTIVE_SIGNUP,
    HOLDS_SLOT,
    Activity,
    ActivityRole,
    Registration,
    RegistrationStatus,
    Signup,
    SignupStatus,
)
from ..notify import signup_invited_notify, signup_status_notify
from .workflow import S, check_transition, lock_activity, record, require_organiser

V = SignupStatus
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces
OPEN_ORDER = (OrderStatus.DISPATCHED, OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE)
MAX_INVITES = 200

# Sign-up moves: which statuses each may start from (the activity's own table in
# workflow.TRANSITIONS says in which activity states they may happen at all).
SIGNUP_MOVES: dict[str, frozenset[str]] = {
    "signup": frozenset({V.WITHDRAWN, V.REFUSED, V.DECLINED, V.INVITED}),
    "withdraw": frozenset({V.PENDING, V.CONFIRMED, V.WAITLISTED}),
    "approve": frozenset({V.PENDING}),
    "refuse": frozenset({V.PENDING, V.WAITLISTED}),
    "invite": frozenset({V.WITHDRAWN, V.REFUSED, V.DECLINED}),
    "answer_invite": frozenset({V.INVITED}),
}


def _check_move(signup: Signup, move: str) -> None:
    if signup.status not in SIGNUP_MOVES[move]:
        raise ConflictError(
            gettext("报名状态为“%(status)s”，不能这样操作。")
            % {"status": signup.get_status_display()},
            code="illegal_signup_transition",
            errors={"status": [signup.status]},
        )


def _volunteer_of(actor: User) -> Volunteer:
    volunteer = Volunteer.objects.select_related("site").filter(user=actor).first()
    if volunteer is None or volunteer.status != VolunteerStatus.APPROVED:
        raise PermissionDeniedError(
            gettext("只有审核通过的志愿者可以报名。"), code="volunteer_not_active"
        )
    return volunteer


def _in_scope(activity: Activity, volunteer: Volunteer) -> None:
    if not volunteer.site.is_within(activity.site):
        raise PermissionDeniedError(
            gettext("该活动只面向%(site)s及下级阵地的志愿者。") % {"site": activity.site.name},
            code="not_in_scope",
        )


def _role(activity: Activity, role_id: Id | None) -> ActivityRole:
    roles = list(activity.roles.all())
    if role_id is None and roles:
        return roles[0]  # no role named: the first one
    for role in roles:
        if str(role.pk) == str(role_id):
            return role
    raise ValidationError({"role": [gettext("请选择本活动的一个岗位。")]})


def _check_skill(role: ActivityRole, volunteer: Volunteer) -> None:
    if role.skill and not volunteer.skills.filter(category=role.skill).exists():
        raise ValidationError(
            {"role": [gettext("该岗位需要“%(skill)s”特长。") % {"skill": role.get_skill_display()}]}
        )


def _before_deadline(activity: Activity, now: dt.datetime) -> None:
    if now >= activity.signup_deadline:
        raise ConflictError(gettext("报名已截止。"), code="deadline_passed")


def overlaps_for(volunteer: Volunteer, activity: Activity) -> list[str]:
    """What else the volunteer holds at the activity's time: other activities they are
    signed up for and open orders dispatched to them (one sentence each)."""
    others = (
        Signup.objects.filter(
            volunteer=volunteer,
            status__in=ACTIVE_SIGNUP,
            activity__status=S.PUBLISHED,
            activity__starts_at__lt=activity.ends_at,
            activity__ends_at__gt=activity.starts_at,
        )
        .exclude(activity=activity)
        .values_list("activity__title", flat=True)[:5]
    )
    orders = OrderAssignment.objects.filter(
        volunteer=volunteer,
        status__in=(AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED),
        order__status__in=OPEN_ORDER,
        order__preferred_start__lt=activity.ends_at,
        order__preferred_end__gt=activity.starts_at,
    ).values_list("order_id", "order__service__title")[:5]
    found = [gettext("活动“%(title)s”") % {"title": t} for t in others]
    found += [gettext("订单 #%(id)s（%(service)s）") % {"id": i, "service": s} for i, s in orders]
    return found


def _check_overlap(volunteer: Volunteer, activity: Activity, confirmed: bool) -> bool:
    """Raise ``overlap`` (409) listing the clashes unless the volunteer confirmed them;
    returns whether there was any."""
    found = overlaps_for(volunteer, activity)
    if found and not confirmed:
        raise ConflictError(
            gettext("该时间您已有其他安排：%(list)s。确认仍要报名请勾选“我已知晓时间冲突”。")
            % {"list": "、".join(found)},
            code="overlap",
            errors={"overlaps": found},
        )
    return bool(found)


def _place(activity: Activity, role: ActivityRole, signup: Signup) -> str:
    """The status a request for a place gets now: a free place (pending if the activity
    asks for approval) or the waiting list. Caller holds the activity row lock."""
    held = Signup.objects.filter(role=role, status__in=HOLDS_SLOT).exclude(pk=signup.pk).count()
    if held >= role.slots:
        return V.WAITLISTED
    return V.PENDING if activity.needs_approval else V.CONFIRMED


def _clean_key(key: str | None) -> str:
    if key is None:
        return ""
    key = key.strip()
    if not _KEY_RE.match(key):
        raise ValidationError(
            {"idempotency_key": [gettext("Idempotency-Key 应为 1 到 100 个可见 ASCII 字符。")]}
        )
    return key


def signup_create(
    *,
    actor: User,
    activity_id: Id,
    role_id: Id | None = None,
    confirm_overlap: bool = False,
    idempotency_key: str | None = None,
) -> tuple[Signup, bool]:
    """Sign up for a role (报名). A full role puts the volunteer on its waiting list.

    Idempotent: the volunteer has one row per activity, so a repeat (a double tap, a
    retried request with the same Idempotency-Key) returns it with ``created=False``.
    After a withdrawal a new request (a new key) asks again and joins the end of the
    line."""
    key = _clean_key(idempotency_key)
    volunteer = _volunteer_of(actor)
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        existing = Signup.objects.filter(activity=activity, volunteer=volunteer).first()
        if existing is not None and (
            existing.status in ACTIVE_SIGNUP or (key and existing.idempotency_key == key)
        ):
            return existing, False
        check_transition(activity, "signup")
        _in_scope(activity, volunteer)
        _before_deadline(activity, now)
        role = _role(activity, role_id)
        _check_skill(role, volunteer)
        overlap = _check_overlap(volunteer, activity, confirm_overlap)
        signup = existing or Signup(activity=activity, volunteer=volunteer)
        if existing is not None:
            _check_move(existing, "signup")
        signup.role = role
        signup.queued_at = now
        signup.decided_at = None
        signup.idempotency_key = key
        signup.overlap_confirmed = overlap
        signup.status = _place(activity, role, signup)
        signup.save()
        record(
            activity,
            action="signup",
            actor=actor,
            to=activity.status,
            now=now,
            code="waitlisted" if signup.status == V.WAITLISTED else "signed_up",
            params={"name": volunteer.real_name, "role": role.name, "overlap": overlap},
        )
    return signup, existing is None


def promote(
    activity: Activity, role: ActivityRole, now: dt.datetime, actor: User | None, *, action: str
) -> None:
    """Fill the role's free places from its waiting list, first come first served.
    Caller holds the activity row lock."""
    held = Signup.objects.filter(role=role, status__in=HOLDS_SLOT).count()
    free = role.slots - held
    if free <= 0:
        return
    waiting = list(
        Signup.objects.select_related("volunteer", "role")
        .filter(role=role, status=V.WAITLISTED)
        .order_by("queued_at", "id")[:free]
    )
    for signup in waiting:
        signup.status = V.PENDING if activity.needs_approval else V.CONFIRMED
        signup.decided_at = now
        signup.save(update_fields=["status", "decided_at"])
        record(
            activity,
            action=action,
            actor=actor,
            to=activity.status,
            now=now,
            code="promoted",
            params={"name": signup.volunteer.real_name, "role": role.name},
        )
        signup_status_notify(activity, signup, kind="activity_promoted")


def _lock_signup(activity: Activity, signup_id: Id) -> Signup:
    try:
        return Signup.objects.select_related("volunteer", "role").get(
            pk=int(signup_id), activity=activity
        )
    except (Signup.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFoundError(gettext("报名不存在。"), code="not_found") from None


def signup_withdraw(*, actor: User, activity_id: Id, note: str = "") -> Signup:
    """The volunteer withdraws (until the sign-up deadline); the first on the waiting
    list takes the freed place."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        signup = (
            Signup.objects.select_related("volunteer", "role")
            .filter(activity=activity, volunteer__user=actor)
            .first()
        )
        if signup is None:
            raise NotFoundError(gettext("您没有报名该活动。"), code="not_signed_up")
        check_transition(activity, "withdraw")
        _check_move(signup, "withdraw")
        _before_deadline(activity, now)
        held = signup.status in HOLDS_SLOT
        signup.status = V.WITHDRAWN
        signup.decided_at = now
        signup.save(update_fields=["status", "decided_at"])
        record(
            activity,
            action="withdraw",
            actor=actor,
            to=activity.status,
            now=now,
            code="withdrawn",
            params={"name": signup.volunteer.real_name, "role": signup.role.name},
            note=str(note or "")[:300],
        )
        if held:
            promote(activity, signup.role, now, actor, action="withdraw")
    return signup


def signup_approve(*, actor: User, activity_id: Id, signup_id: Id) -> Signup:
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "approve")
        signup = _lock_signup(activity, signup_id)
        _check_move(signup, "approve")
        signup.status, signup.decided_at = V.CONFIRMED, now
        signup.save(update_fields=["status", "decided_at"])
        record(
            activity,
            action="approve",
            actor=actor,
            to=activity.status,
            now=now,
            code="approved",
            params={"name": signup.volunteer.real_name, "role": signup.role.name},
        )
        signup_status_notify(activity, signup, kind="activity_approved")
    return signup


def signup_refuse(*, actor: User, activity_id: Id, signup_id: Id, reason: str = "") -> Signup:
    reason = str(reason or "").strip()[:300]
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "refuse")
        signup = _lock_signup(activity, signup_id)
        _check_move(signup, "refuse")
        held = signup.status in HOLDS_SLOT
        signup.status, signup.decided_at = V.REFUSED, now
        signup.save(update_fields=["status", "decided_at"])
        record(
            activity,
            action="refuse",
            actor=actor,
            to=activity.status,
            now=now,
            code="refused",
            params={"name": signup.volunteer.real_name, "role": signup.role.name},
            note=reason,
        )
        signup_status_notify(activity, signup, kind="activity_refused", reason=reason)
        if held:
            promote(activity, signup.role, now, actor, action="refuse")
    return signup


def signup_invite(
    *,
    actor: User,
    activity_id: Id,
    role_id: Id | None,
    volunteer_ids: Sequence[Id] | None = None,
    team_id: Id | None = None,
) -> list[Signup]:
    """Invite volunteers (or every approved member of a team) to a role. Only
    volunteers at the activity's site or below, whom the actor manages; those already
    in the activity are left as they are. Each invitee is told and answers it."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        require_organiser(activity, actor)
        check_transition(activity, "invite")
        _before_deadline(activity, now)
        role = _role(activity, role_id)
        candidates = Volunteer.objects.select_related("site").filter(
            status=VolunteerStatus.APPROVED, site__path__startswith=activity.site.path
        )
        if team_id is not None:
            team = Team.objects.select_related("site").filter(pk=int(team_id)).first()
            if team is None or not can_manage_site(actor, team.site):
                raise NotFoundError(gettext("服务队不存在。"), code="not_found")
            candidates = candidates.filter(memberships__team=team)
        else:
            ids = [int(i) for i in (volunteer_ids or [])][:MAX_INVITES]
            if not ids:
                raise ValidationError({"volunteers": [gettext("请选择要邀请的志愿者。")]})
            candidates = candidates.filter(pk__in=ids)
        invitees = [v for v in candidates[:MAX_INVITES] if can_manage_site(actor, v.site)]
        if not invitees:
            raise ValidationError(
                {"volunteers": [gettext("没有可邀请的志愿者（须为本阵地及下级的在册志愿者）。")]}
            )
        existing = {
            s.volunteer_id: s
            for s in Signup.objects.filter(activity=activity, volunteer__in=invitees)
        }
        invited = []
        for volunteer in invitees:
            signup = existing.get(volunteer.pk)
            if signup is not None and signup.status not in SIGNUP_MOVES["invite"]:
                continue
            signup = signup or Signup(activity=activity, volunteer=volunteer)
            signup.role, signup.status, signup.queued_at = role, V.INVITED, now
            signup.invited_by, signup.decided_at, signup.idempotency_key = actor, None, ""
            signup.save()
            invited.append(signup)
            signup_invited_notify(activity, signup)
        if invited:
            record(
                activity,
                action="invite",
                actor=actor,
                to=activity.status,
                now=now,
                code="invited",
                params={"names": [s.volunteer.real_name for s in invited], "role": role.name},
            )
    return invited


def invite_answer(
    *, actor: User, activity_id: Id, accept: bool, confirm_overlap: bool = False
) -> Signup:
    """The invited volunteer accepts (takes a place, or the waiting list when the role
    filled up meanwhile) or declines."""
    volunteer = _volunteer_of(actor)
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        signup = (
            Signup.objects.select_related("role")
            .filter(activity=activity, volunteer=volunteer)
            .first()
        )
        if signup is None:
            raise NotFoundError(gettext("您没有收到该活动的邀请。"), code="not_invited")
        check_transition(activity, "answer_invite")
        _check_move(signup, "answer_invite")
        if accept:
            _before_deadline(activity, now)
            signup.overlap_confirmed = _check_overlap(volunteer, activity, confirm_overlap)
            signup.status = _place(activity, signup.role, signup)
        else:
            signup.status = V.DECLINED
        signup.decided_at = now
        signup.save(update_fields=["status", "decided_at", "overlap_confirmed"])
        record(
            activity,
            action="answer_invite",
            actor=actor,
            to=activity.status,
            now=now,
            code="invite_accepted" if accept else "invite_declined",
            params={"name": volunteer.real_name, "role": signup.role.name},
        )
    return signup


# --- residents --------------------------------------------------------------------------------
def _resident_paths(actor: User) -> list[str]:
    return [r.site_path for r in held_roles(actor) if r.role == RoleName.RESIDENT]


def registration_create(*, actor: User, activity_id: Id) -> tuple[Registration, bool]:
    """A resident of the activity's site or below registers to attend (where allowed,
    within the limit). Idempotent: one row per resident and activity."""
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        existing = Registration.objects.filter(activity=activity, user=actor).first()
        if existing is not None and existing.status == RegistrationStatus.REGISTERED:
            return existing, False
        check_transition(activity, "register")
        if not any(p.startswith(activity.site.path) for p in _resident_paths(actor)):
            raise PermissionDeniedError(
                gettext("只有%(site)s及下级登记的群众可以报名参加。")
                % {"site": activity.site.name},
                code="not_in_scope",
            )
        if not activity.residents_allowed:
            raise PermissionDeniedError(
                gettext("该活动不接受群众报名。"), code="residents_not_allowed"
            )
        _before_deadline(activity, now)
        taken = Registration.objects.filter(
            activity=activity, status=RegistrationStatus.REGISTERED
        ).count()
        if taken >= activity.resident_limit:
            raise ConflictError(gettext("群众名额已满。"), code="full")
        registration = existing or Registration(activity=activity, user=actor)
        registration.status = RegistrationStatus.REGISTERED
        registration.save()
        record(
            activity,
            action="register",
            actor=actor,
            to=activity.status,
            now=now,
            code="resident_registered",
            params={"count": taken + 1, "limit": activity.resident_limit},
        )
    return registration, existing is None


def registration_cancel(*, actor: User, activity_id: Id) -> Registration:
    now = timezone.now()
    with transaction.atomic():
        activity = lock_activity(activity_id, actor)
        registration = Registration.objects.filter(
            activity=activity, user=actor, status=RegistrationStatus.REGISTERED
        ).first()
        if registration is None:
            raise NotFoundError(gettext("您没有报名该活动。"), code="not_registered")
        check_transition(activity, "unregister")
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        record(
            activity,
            action="unregister",
            actor=actor,
            to=activity.status,
            now=now,
            code="resident_unregistered",
        )
    return registration


def registration_counts(activity: Activity) -> dict[str, Any]:
    taken = Registration.objects.filter(
        activity=activity, status=RegistrationStatus.REGISTERED
    ).count()
    return {"taken": taken, "limit": activity.resident_limit}
