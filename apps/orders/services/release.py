"""A volunteer leaves an order without finishing it: suspended or withdrawn (staff or
the volunteer end their service), or a dispatch nobody answered in time.

The volunteer's assignment lapses; when too few volunteers remain the order returns
to the dispatch queue (``submitted``). Every release appends a ``release`` event and
tells the handling site's staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.volunteers.models import Volunteer

from ..models import OrderAssignment, ServiceOrder
from .workflow import A, S, lapse_assignments, record

OPEN_ASSIGNMENT = (A.ASSIGNED, A.ACCEPTED)


def _release(
    order: ServiceOrder,
    mine: OrderAssignment,
    *,
    actor: User | None,
    now: dt.datetime,
    why: str,
    reason: str = "",
    minutes: int | None = None,
) -> None:
    """End ``mine`` on ``order`` and move the order on. Caller holds the order row lock
    and has re-read ``mine`` under it."""
    mine.status, mine.responded_at = A.LAPSED, now
    mine.save(update_fields=["status", "responded_at"])
    rows = list(OrderAssignment.objects.filter(order_id=order.pk))
    assigned = sum(1 for a in rows if a.status == A.ASSIGNED)
    accepted = [a for a in rows if a.status == A.ACCEPTED]
    serving = [a for a in accepted if a.checked_out_at is None]
    params: dict[str, Any] = {"name": mine.volunteer.real_name}
    if minutes is not None:
        params["minutes"] = minutes
    fields: list[str] = []
    if order.status == S.IN_SERVICE and serving:
        to = S.IN_SERVICE
    elif order.status == S.IN_SERVICE and accepted:
        # Everyone still on the order has checked out: the service is complete.
        to, order.completed_at = S.COMPLETED, now
        fields.append("completed_at")
    elif order.status == S.ACCEPTED and len(accepted) >= order.volunteers_needed:
        to = S.ACCEPTED
    elif order.status == S.DISPATCHED and assigned + len(accepted) >= order.volunteers_needed:
        to = S.DISPATCHED
    else:
        # Too few remain: open requests lapse, accepted volunteers stay on it, and the
        # order waits for staff to dispatch again.
        lapse_assignments(order, now, A.ASSIGNED)
        to = S.SUBMITTED
        params["requeued"] = True
    record(
        order,
        action="release",
        actor=actor,
        to=to,
        now=now,
        code=f"released_{why}",
        params=params,
        note=reason,
        fields=fields,
    )


def assignments_end_for_volunteer(*, volunteer: Volunteer, actor: User | None, reason: str) -> int:
    """Suspension or withdrawal: end every open assignment (assigned or accepted, not
    checked out) of ``volunteer``. Runs inside the status change's transaction (the
    volunteer row is locked; each order row is locked here, after it)."""
    why = volunteer.status if volunteer.status in ("suspended", "withdrawn") else "stopped"
    order_ids = list(
        OrderAssignment.objects.filter(
            volunteer=volunteer, status__in=OPEN_ASSIGNMENT, checked_out_at__isnull=True
        ).values_list("order_id", flat=True)
    )
    now = timezone.now()
    ended = 0
    for order_id in sorted(order_ids):  # one lock order for every caller: by id
        order = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("site", "handling_site", "service")
            .get(pk=order_id)
        )
        mine = (
            OrderAssignment.objects.select_related("volunteer")
            .filter(
                order_id=order_id,
                volunteer=volunteer,
                status__in=OPEN_ASSIGNMENT,
                checked_out_at__isnull=True,
            )
            .first()
        )
        if mine is None or order.status not in (S.DISPATCHED, S.ACCEPTED, S.IN_SERVICE):
            continue
        _release(order, mine, actor=actor, now=now, why=why, reason=reason)
        ended += 1
    return ended


def assignments_lapse_unanswered(*, now: dt.datetime | None = None, batch_size: int = 200) -> int:
    """Periodic: a dispatch not answered within ``ORDER_ASSIGNMENT_ANSWER_MINUTES``
    (default 60) lapses; the order returns to the queue when too few remain, and staff
    are told. Each order is locked (skipping rows someone holds right now) and the
    assignment re-checked, so an answer arriving meanwhile wins and a rerun does
    nothing twice."""
    now = now or timezone.now()
    limit = dt.timedelta(minutes=settings.ORDER_ASSIGNMENT_ANSWER_MINUTES)
    stale = list(
        OrderAssignment.objects.filter(
            status=A.ASSIGNED, assigned_at__lte=now - limit, order__status=S.DISPATCHED
        )
        .order_by("assigned_at", "pk")
        .values_list("order_id", "pk")[:batch_size]
    )
    minutes = settings.ORDER_ASSIGNMENT_ANSWER_MINUTES
    lapsed = 0
    for order_id, assignment_id in stale:
        with transaction.atomic():
            order = (
                ServiceOrder.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("site", "handling_site", "service")
                .filter(pk=order_id)
                .first()
            )
            if order is None or order.status != S.DISPATCHED:
                continue
            mine = (
                OrderAssignment.objects.select_related("volunteer")
                .filter(pk=assignment_id, status=A.ASSIGNED, assigned_at__lte=now - limit)
                .first()
            )
            if mine is None:
                continue
            _release(order, mine, actor=None, now=now, why="unanswered", minutes=minutes)
            lapsed += 1
    return lapsed
