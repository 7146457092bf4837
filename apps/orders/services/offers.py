"""Which actions a page offers a user on an order (hints; every service checks again)."""

from __future__ import annotations

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.phone_in import is_family_proxy
from apps.sites.scoping import can_manage_site

from ..models import (
    OrderAssignment,
    ServiceOrder,
)
from .assessment import can_assess
from .feedback import nudge_opens_at
from .workflow import (
    RATING_WINDOW,
    TRANSITIONS,
    A,
)


def actions_for(
    order: ServiceOrder, user: User, assignment: OrderAssignment | None = None
) -> list[str]:
    """The actions to offer ``user`` on ``order`` (the pages' buttons). A hint only:
    every service checks role, scope and state again under the row lock."""

    def open_(action: str) -> bool:
        return order.status in TRANSITIONS[action][0]

    now = timezone.now()
    offered: list[str] = []
    if assignment is not None:
        if assignment.status == A.ASSIGNED and open_("accept"):
            offered += ["accept", "decline"]
        if assignment.status == A.ACCEPTED and assignment.checked_in_at is None and open_("start"):
            offered.append("start")
        if (
            assignment.status == A.ACCEPTED
            and assignment.checked_in_at is not None
            and assignment.checked_out_at is None
            and open_("complete")
        ):
            offered.append("complete")
    is_resident = user.pk == order.resident_id
    if is_resident or is_family_proxy(user, order.resident_id):
        if open_("rate") and order.rating_lapsed_at is None:
            offered.append("rate")
        if open_("nudge") and now >= nudge_opens_at(order):
            offered.append("nudge")
        if open_("cancel"):
            offered.append("cancel")
    if is_resident and (
        open_("dispute")
        and order.disputed_at is None
        and order.completed_at is not None
        and now - order.completed_at <= RATING_WINDOW
    ):
        offered.append("dispute")
    if can_manage_site(user, order.handling_site):
        offered += [a for a in ("dispatch", "reject") if open_(a)]
        if open_("escalate") and order.handling_site.parent_id:
            offered.append("escalate")
    if open_("assess") and order.assessment_queue and can_assess(user, order):
        offered.append("assess")
    return offered
