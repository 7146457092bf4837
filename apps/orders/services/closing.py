"""Ending an open order early: the resident cancels, or staff reject it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.types import Id

from ..models import (
    ServiceOrder,
)
from .workflow import (
    A,
    S,
    check_transition,
    clean_text,
    lapse_assignments,
    lock_visible,
    record,
    require_dispatcher,
    require_resident,
)


def order_cancel(*, order_id: Id, actor: User, reason: str = "") -> ServiceOrder:
    """The resident cancels before the order is accepted."""
    reason = clean_text(reason, field="reason", required=False, max_length=300)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_resident(order, actor, "cancel")
        check_transition(order, "cancel")
        _close(
            order,
            action="cancel",
            actor=actor,
            to=S.CANCELLED,
            reason=reason,
            code="cancelled_by_resident",
        )
    return order


def order_reject(*, order_id: Id, actor: User, reason: str) -> ServiceOrder:
    """Staff of the handling site turn the order down, with a reason."""
    reason = clean_text(
        reason, field="reason", required=True, max_length=300, message=gettext("请填写驳回的原因。")
    )
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_dispatcher(order, actor)
        check_transition(order, "reject")
        _close(order, action="reject", actor=actor, to=S.REJECTED, reason=reason)
    return order


def _close(
    order: ServiceOrder, *, action: str, actor: User, to: str, reason: str, code: str = ""
) -> None:
    """End an open order (cancel or reject): open and accepted requests to volunteers
    lapse. Caller holds the order row lock and checked the transition."""
    now = timezone.now()
    lapse_assignments(order, now, A.ASSIGNED, A.ACCEPTED)
    order.closed_at, order.close_reason = now, reason
    record(
        order,
        action=action,
        actor=actor,
        to=to,
        now=now,
        code=code,
        note=reason,
        fields=["closed_at", "close_reason"],
    )
