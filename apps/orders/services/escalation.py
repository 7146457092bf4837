"""Escalation (上报): by hand, and the periodic job for orders nobody dispatched in time."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import ConflictError
from apps.core.types import Id
from apps.sites.models import Site

from ..models import (
    ServiceOrder,
)
from ..notify import order_overdue_notify
from .workflow import (
    A,
    S,
    check_transition,
    clean_text,
    lapse_assignments,
    lock_visible,
    record,
    require_dispatcher,
)


def order_escalate(*, order_id: Id, actor: User, reason: str = "") -> ServiceOrder:
    """上报: staff pass an order their site cannot serve to the parent site, where it
    waits for dispatch. Open requests to volunteers lapse."""
    reason = clean_text(reason, field="reason", required=False, max_length=300)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_dispatcher(order, actor)
        check_transition(order, "escalate")
        _escalate(order, actor=actor, reason=reason, now=timezone.now())
    return order


def _escalate(
    order: ServiceOrder,
    *,
    actor: User | None,
    reason: str,
    now: dt.datetime,
    auto_minutes: int | None = None,
) -> None:
    """Move a locked, submitted order to its handling site's parent (caller holds the
    order row lock and checked the transition)."""
    parent = (
        Site.objects.filter(pk=order.handling_site.parent_id).first()
        if order.handling_site.parent_id
        else None
    )
    if parent is None:
        raise ConflictError(gettext("县级中心没有上级阵地，无法上报。"), code="no_parent_site")
    lapse_assignments(order, now, A.ASSIGNED)
    from_name = order.handling_site.name
    order.handling_site, order.escalated_at = parent, now
    record(
        order,
        action="escalate",
        actor=actor,
        to=S.SUBMITTED,
        now=now,
        code="escalated" if auto_minutes is None else "escalated_auto",
        params={"from_site": from_name, "to_site": parent.name}
        | ({} if auto_minutes is None else {"minutes": auto_minutes}),
        note=reason,
        fields=["handling_site", "escalated_at"],
    )


def escalation_limit(site: Site) -> dt.timedelta:
    minutes: int = site.escalation_minutes or settings.ORDER_ESCALATION_MINUTES
    return dt.timedelta(minutes=minutes)


def orders_escalate_overdue(
    *, now: dt.datetime | None = None, batch_size: int = 200
) -> dict[str, int]:
    """Every few minutes: an order left ``submitted`` at its handling site longer than
    that site's limit (default 2 hours) goes up to the parent site, with an event and
    notifications; a county-level order past the limit is flagged (``overdue_at``) for
    the county dashboard and its staff are told once.

    The clock runs from placement (``created_at``), or from the moment the order
    reached its current handling site by escalation (``escalated_at``): dispatching,
    declines and lapsed dispatches do not restart it. One query per distinct limit
    finds candidates; each is then locked (skipping rows someone holds right now) and
    re-checked, so a concurrent dispatch wins and a rerun does nothing twice."""
    now = now or timezone.now()
    waiting_since = Coalesce("escalated_at", "created_at")
    limits: set[int] = {
        m
        for m in Site.objects.exclude(escalation_minutes__isnull=True).values_list(
            "escalation_minutes", flat=True
        )
        if m is not None
    }
    default = settings.ORDER_ESCALATION_MINUTES
    candidates: list[int] = []
    base = ServiceOrder.objects.filter(status=S.SUBMITTED, overdue_at__isnull=True).annotate(
        waiting_since=waiting_since
    )
    for minutes in limits | {default}:
        site_q = (
            Q(handling_site__escalation_minutes=minutes)
            if minutes != default
            else Q(handling_site__escalation_minutes__isnull=True)
            | Q(handling_site__escalation_minutes=default)
        )
        cutoff = now - dt.timedelta(minutes=minutes)
        candidates += list(
            base.filter(site_q, waiting_since__lte=cutoff)
            .order_by("waiting_since")
            .values_list("pk", flat=True)[:batch_size]
        )
    escalated = flagged = 0
    for pk in candidates:
        with transaction.atomic():
            order = (
                ServiceOrder.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("site", "handling_site", "service")
                .filter(pk=pk)
                .first()
            )
            if order is None or order.status != S.SUBMITTED or order.overdue_at is not None:
                continue
            since = order.escalated_at or order.created_at
            if since > now - escalation_limit(order.handling_site):
                continue
            if order.handling_site.parent_id:
                _escalate(
                    order,
                    actor=None,
                    now=now,
                    reason="",
                    auto_minutes=int(escalation_limit(order.handling_site).total_seconds() // 60),
                )
                escalated += 1
            else:
                order.overdue_at = now
                order.save(update_fields=["overdue_at"])
                order_overdue_notify(order)
                flagged += 1
    return {"escalated": escalated, "flagged": flagged}
