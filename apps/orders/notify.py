"""Who hears about each order event. Called by ``services.workflow.record`` inside the
transition's transaction, so the notification rows commit (or roll back) with the
change; delivery happens after commit (apps.notifications)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from apps.notifications.services import notify, notify_site_staff
from apps.sites.models import Site

from .models import AssignmentStatus, OrderAssignment, OrderEvent, OrderStatus, ServiceOrder


def _volunteer_users(order: ServiceOrder, *statuses: str) -> list[int]:
    return list(
        OrderAssignment.objects.filter(order_id=order.pk, status__in=statuses).values_list(
            "volunteer__user_id", flat=True
        )
    )


def order_event_notify(order: ServiceOrder, event: OrderEvent) -> None:
    """Notify the people an event concerns. Idempotent per event (dedupe by event id)."""
    action = event.action
    key = f"order-event:{event.pk}"
    ctx: dict[str, Any] = {"order": order, "reason": event.note}
    detail = reverse("orders:detail", args=[order.pk])
    if action == "dispatch":
        new = list(
            OrderAssignment.objects.filter(
                order_id=order.pk, status=AssignmentStatus.ASSIGNED, assigned_at=event.created_at
            ).values_list("volunteer__user_id", flat=True)
        )
        notify(
            users=new,
            kind="order_dispatched",
            context=ctx,
            url=reverse("orders:my_tasks"),
            dedupe_key=key,
        )
    elif action in ("accept", "decline", "complete"):
        if action == "complete" and event.to_status != OrderStatus.COMPLETED:
            return  # one of several volunteers checked out; the service goes on
        volunteer = (
            OrderAssignment.objects.select_related("volunteer")
            .filter(order_id=order.pk, volunteer__user_id=event.actor_id or 0)
            .first()
        )
        ctx["volunteer"] = volunteer.volunteer if volunteer else None
        if action == "decline":
            ctx["reason"] = (volunteer.decline_reason if volunteer else "") or event.note
        kind = {
            "accept": "order_accepted",
            "decline": "order_declined",
            "complete": "order_completed",
        }[action]
        notify_site_staff(
            site=order.handling_site, kind=kind, context=ctx, url=detail, dedupe_key=key
        )
    elif action == "rate":
        notify(
            users=_volunteer_users(order, AssignmentStatus.ACCEPTED),
            kind="order_rated",
            context=ctx,
            url=reverse("orders:my_tasks"),
            dedupe_key=key,
        )
    elif action == "reject":
        notify(
            users=[order.resident_id],
            kind="order_rejected",
            context=ctx,
            url=reverse("orders:my_orders"),
            dedupe_key=key,
        )
    elif action == "cancel":
        # The volunteers still on the order: order_cancel lapsed their assignments at
        # the event's time. Requests that lapsed earlier (a decline, an escalation) are
        # no longer theirs to hear about.
        still_on = list(
            OrderAssignment.objects.filter(
                order_id=order.pk, status=AssignmentStatus.LAPSED, responded_at=event.created_at
            ).values_list("volunteer__user_id", flat=True)
        )
        notify(
            users=still_on,
            kind="order_cancelled",
            context=ctx,
            url=reverse("orders:my_tasks"),
            dedupe_key=key,
        )
        notify_site_staff(
            site=order.handling_site,
            kind="order_cancelled",
            context=ctx,
            url=detail,
            dedupe_key=key,
        )
    elif action == "escalate":
        # The note reads "由<from>上报至<parent>[：<reason>]": the template wants the parts.
        route, _sep, ctx["reason"] = event.note.partition("：")
        ctx["from_site"] = route.split("上报至")[0].removeprefix("由") or "下级阵地"
        notify_site_staff(
            site=order.handling_site,
            kind="order_escalated",
            context=ctx,
            url=detail,
            dedupe_key=key,
        )
    elif action == "release":
        notify_site_staff(
            site=order.handling_site, kind="order_released", context=ctx, url=detail, dedupe_key=key
        )
    elif action == "nudge":
        notify_site_staff(
            site=order.handling_site, kind="order_nudged", context=ctx, url=detail, dedupe_key=key
        )
    elif action == "dispute":
        county = Site.objects.filter(pk=order.site.ancestor_ids()[0]).first()
        if county is not None:
            notify_site_staff(
                site=county, kind="order_disputed", context=ctx, url=detail, dedupe_key=key
            )


def order_overdue_notify(order: ServiceOrder) -> None:
    """A county-level order past its limit: flag it to the county staff (once)."""
    notify_site_staff(
        site=order.handling_site,
        kind="order_overdue",
        context={"order": order},
        url=reverse("orders:detail", args=[order.pk]),
        dedupe_key=f"order-overdue:{order.pk}",
    )
