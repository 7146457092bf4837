"""The order workflow's shared core: the transition table and the helpers every move
uses; the check and the move itself are the state machine activities and showcase posts
use too (apps.core.workflow).

Every move (one function in a sibling module):

1. opens a transaction and locks the order row (``lock_visible``: ``select_for_update``),
   so two people acting on the same order act one after another and the second sees
   the first's result (two staff dispatching at once, two volunteers accepting at once);
2. checks the actor can see the order (not yours answers like not there:
   ``NotFoundError``), may take this action (``PermissionDeniedError``) and that the
   order's state allows it (``check_transition``: ``ConflictError(code="illegal_transition")``);
3. writes the order (and its assignments) and appends an ``OrderEvent`` (``record``).

All assignment rows of an order are written only while holding the order's row lock,
so they need no lock of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from apps.accounts.models import RoleName, User
from apps.accounts.phone_in import is_family_proxy
from apps.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from apps.core.types import Id
from apps.core.workflow import StateMachine
from apps.sites.scoping import can_manage_site, held_roles
from apps.volunteers.models import (
    VolunteerStatus,
    availability_bit,
    period_index_for_hour,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..models import (
    MAX_HOURS_PER_ASSIGNMENT,
    AssignmentStatus,
    OrderAssignment,
    OrderEvent,
    OrderStatus,
    ServiceOrder,
)
from ..notify import order_event_notify

S = OrderStatus


A = AssignmentStatus


WAITING = frozenset({S.SUBMITTED, S.DISPATCHED, S.ACCEPTED})


# The transition table: action → (statuses it may start from, statuses it may lead to).
# Where several targets are listed the service decides which (an order with two
# volunteers needed stays ``dispatched`` until the second one accepts). Actions whose
# targets equal their sources leave the status as it is and only log an event.
TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "place": (frozenset({""}), frozenset({S.SUBMITTED})),
    "dispatch": (frozenset({S.SUBMITTED}), frozenset({S.DISPATCHED})),
    "accept": (frozenset({S.DISPATCHED}), frozenset({S.DISPATCHED, S.ACCEPTED})),
    "decline": (frozenset({S.DISPATCHED}), frozenset({S.DISPATCHED, S.SUBMITTED})),
    "start": (frozenset({S.ACCEPTED, S.IN_SERVICE}), frozenset({S.IN_SERVICE})),
    "complete": (frozenset({S.IN_SERVICE}), frozenset({S.IN_SERVICE, S.COMPLETED})),
    "rate": (frozenset({S.COMPLETED}), frozenset({S.RATED})),
    "assess": (frozenset({S.COMPLETED, S.RATED}), frozenset({S.ASSESSED, S.REJECTED})),
    "cancel": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.CANCELLED})),
    "reject": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.REJECTED})),
    "escalate": (frozenset({S.SUBMITTED, S.DISPATCHED}), frozenset({S.SUBMITTED})),
    "nudge": (WAITING, WAITING),
    "dispute": (frozenset({S.COMPLETED, S.RATED}), frozenset({S.COMPLETED, S.RATED})),
    "lapse_rating": (frozenset({S.COMPLETED}), frozenset({S.COMPLETED})),
    # A volunteer leaves without finishing (suspended, withdrawn, no answer in time).
    "release": (
        frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE}),
        frozenset({S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE, S.COMPLETED, S.SUBMITTED}),
    ),
}


# Lazy: read in the language of whoever sees the button or the error.
ACTION_LABELS: dict[str, StrOrPromise] = {
    "place": gettext_lazy("点单"),
    "dispatch": gettext_lazy("派单"),
    "accept": gettext_lazy("接单"),
    "decline": gettext_lazy("谢绝"),
    "start": gettext_lazy("签到开始服务"),
    "complete": gettext_lazy("签退完成服务"),
    "rate": gettext_lazy("评价"),
    "assess": gettext_lazy("考核"),
    "cancel": gettext_lazy("取消"),
    "reject": gettext_lazy("驳回"),
    "escalate": gettext_lazy("上报上级阵地"),
    "nudge": gettext_lazy("催单"),
    "dispute": gettext_lazy("投诉"),
    "lapse_rating": gettext_lazy("超期未评价转考核"),
    "release": gettext_lazy("志愿者退出订单"),
}

MACHINE = StateMachine(
    TRANSITIONS, ACTION_LABELS, gettext_lazy("订单当前状态为“%(status)s”，不能%(action)s。")
)


RATING_WINDOW = dt.timedelta(days=7)  # rate, or dispute, within 7 days of completion


NUDGE_INTERVAL = dt.timedelta(hours=1)  # a resident may nudge at most once an hour


class TooSoonError(DomainError):
    """The action is allowed, just not again yet (nudging twice within an hour)."""

    status_code = 429
    default_code = "too_soon"


def check_transition(order: ServiceOrder, action: str) -> None:
    MACHINE.check(order, action)


def record(
    order: ServiceOrder,
    *,
    action: str,
    actor: User | None,
    to: str,
    now: dt.datetime,
    code: str = "",
    params: dict[str, Any] | None = None,
    note: str = "",
    fields: Sequence[str] = (),
) -> OrderEvent:
    """Move ``order`` to ``to``, save ``fields`` and append the event: ``code`` and
    ``params`` say what happened (apps.orders.timeline), ``note`` is what the person
    typed, if anything.

    Caller holds the order row lock and has run ``check_transition``."""
    from_status = MACHINE.move(order, action=action, to=to, now=now, fields=fields)
    actor_id = getattr(actor, "pk", None)
    event = OrderEvent.objects.create(
        order=order,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to,
        code=code,
        params=params or {},
        note=note[:1000],
        created_at=now,
    )
    # Same transaction: the notifications commit with the change or not at all.
    order_event_notify(order, event)
    return event


def lock_visible(order_id: Id, actor: User) -> ServiceOrder:
    """The order, row-locked, if ``actor`` may see it; NotFoundError otherwise.

    Must be called inside ``transaction.atomic()``. ``of=("self",)`` locks only the
    order row, not the joined site and menu rows other orders share."""
    try:
        order = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("site", "handling_site", "service")
            .get(pk=int(order_id))
        )
    except (ServiceOrder.DoesNotExist, TypeError, ValueError):
        raise NotFoundError(gettext("订单不存在。"), code="not_found") from None
    if not order_visible_to(order, actor):
        raise NotFoundError(gettext("订单不存在。"), code="not_found")
    return order


def order_visible_to(order: ServiceOrder, user: User | AnonymousUser | None) -> bool:
    """The resident (and whoever placed it for them), any volunteer dispatched to it,
    and staff whose scope holds the order's point. Handling sites are the point or its
    ancestors, so staff of an escalation target see it through the same rule."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return False
    if user.pk in (order.resident_id, order.placed_by_id):
        return True
    if is_family_proxy(user, order.resident_id):
        return True
    if can_manage_site(user, order.site):
        return True
    return OrderAssignment.objects.filter(order_id=order.pk, volunteer__user=user).exists()


# What a linked family member (家属代办) may do for the elder besides ordering.
PROXY_ACTIONS = frozenset({"nudge", "rate", "cancel"})


def require_resident(order: ServiceOrder, actor: User, action: str) -> None:
    if action in PROXY_ACTIONS and is_family_proxy(actor, order.resident_id):
        return
    if actor.pk != order.resident_id:
        raise PermissionDeniedError(
            gettext("只有点单群众本人可以%(action)s。") % {"action": ACTION_LABELS[action]},
            code="not_order_resident",
        )


def require_dispatcher(order: ServiceOrder, actor: User) -> None:
    if not can_manage_site(actor, order.handling_site):
        raise PermissionDeniedError(
            gettext("只有承办阵地（%(site)s）及其上级的工作人员可以处理该订单。")
            % {"site": order.handling_site.name},
            code="not_handling_staff",
        )


def my_assignment(order: ServiceOrder, actor: User) -> OrderAssignment:
    assignment = (
        OrderAssignment.objects.select_related("volunteer")
        .filter(order_id=order.pk, volunteer__user=actor)
        .first()
    )
    if assignment is None:
        raise PermissionDeniedError(gettext("该订单没有派给您。"), code="not_assigned")
    return assignment


def require_active_volunteer(mine: OrderAssignment) -> None:
    """Every volunteer move checks the volunteer's status now, not when dispatched: a
    suspended or withdrawn volunteer can no longer accept, decline, start or finish."""
    if mine.volunteer.status != VolunteerStatus.APPROVED:
        raise PermissionDeniedError(
            gettext("您的志愿者状态为“%(status)s”，不能处理订单。")
            % {"status": mine.volunteer.get_status_display()},
            code="volunteer_not_active",
        )


def require_open(mine: OrderAssignment, action: str) -> None:
    """The volunteer's own assignment must still wait for an answer (``action``: a key
    of ``ACTION_LABELS``)."""
    if mine.status != A.ASSIGNED:
        raise ConflictError(
            gettext("您的派单状态为“%(status)s”，不能%(action)s。")
            % {"status": mine.get_status_display(), "action": ACTION_LABELS[action]},
            code="assignment_not_open",
        )


def clean_text(
    value: Any, *, field: str, required: bool, max_length: int, message: str = ""
) -> str:
    """``message``: what a missing required value says (already translated)."""
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [message or gettext("请填写此项。")]})
    if len(text) > max_length:
        raise ValidationError({field: [gettext("不能超过 %(n)s 个字。") % {"n": max_length}]})
    return text


def clean_hours(value: Any, *, field: str, allow_zero: bool = False) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: [gettext("服务时长必须是数字（小时）。")]}) from None
    low_ok = hours >= 0 if allow_zero else hours > 0
    if not hours.is_finite() or not low_ok or hours > MAX_HOURS_PER_ASSIGNMENT:
        message = (
            gettext("服务时长应在 0 到 %(max)s 小时之间（只计服务时间，不含路途）。")
            if allow_zero
            else gettext("服务时长应大于 0，且不超过 %(max)s 小时（只计服务时间，不含路途）。")
        )
        raise ValidationError({field: [message % {"max": MAX_HOURS_PER_ASSIGNMENT}]})
    return hours


def lapse_assignments(order: ServiceOrder, now: dt.datetime, *statuses: str) -> int:
    return OrderAssignment.objects.filter(order_id=order.pk, status__in=statuses).update(
        status=A.LAPSED, responded_at=now
    )


def resident_points(user: User) -> list[int]:
    """Ids of the points where ``user`` is registered as a resident."""
    return [r.site_id for r in held_roles(user) if r.role == RoleName.RESIDENT]


def slot_bit_for(moment: dt.datetime) -> int:
    """The volunteers' availability bit of ``moment`` (weekday × period, local time)."""
    local = timezone.localtime(moment)
    return availability_bit(local.weekday(), period_index_for_hour(local.hour))
