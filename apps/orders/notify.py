"""Who hears about each order event. Called by ``services.workflow.record`` inside the
transition's transaction, so the notification rows commit (or roll back) with the
change; delivery happens after commit (apps.notifications)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from apps.accounts.mobile import mask_mobile
from apps.accounts.phone_in import proxy_ids_for
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
    # A reason ending in a full stop must not read "。。" inside a sentence.
    ctx: dict[str, Any] = {"order": order, "reason": event.note.rstrip("。. ")}
    detail = reverse("orders:detail", args=[order.pk])
    _notify_resident(order, event, ctx, detail)
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


# Which events the resident (and their family proxies) hear of, in-app and by SMS.
RESIDENT_KINDS = {
    "dispatch": "resident_dispatched",
    "accept": "resident_accepted",
    "start": "resident_started",
    "complete": "resident_completed",
    "escalate": "resident_escalated",
    "cancel": "resident_cancelled",
    "reject": "order_rejected",
    "assess": "resident_assessed",
}


def resident_audience(order: ServiceOrder) -> list[int]:
    """The resident and the family members linked to them as proxies."""
    return [order.resident_id, *proxy_ids_for(order.resident_id)]


def _notify_resident(
    order: ServiceOrder, event: OrderEvent, ctx: dict[str, Any], detail: str
) -> None:
    kind = RESIDENT_KINDS.get(event.action)
    if kind is None:
        return
    if event.action == "start" and event.from_status != OrderStatus.ACCEPTED:
        return  # a second volunteer checking in: the service had started already
    if event.action == "complete" and event.to_status != OrderStatus.COMPLETED:
        return  # one of several volunteers checked out; the service goes on
    context = dict(ctx)
    if event.action in ("accept", "start"):
        mine = (
            OrderAssignment.objects.select_related("volunteer__user")
            .filter(order_id=order.pk, volunteer__user_id=event.actor_id or 0)
            .first()
        )
        volunteer = mine.volunteer if mine else None
        context["volunteer"] = volunteer
        # Masked: the resident sees whom to expect, staff hold the full number.
        context["volunteer_phone"] = mask_mobile(volunteer.mobile if volunteer else "")
    # Whoever acted (a proxy cancelling) needs no message about their own step.
    users = [uid for uid in resident_audience(order) if uid != event.actor_id]
    notify(
        users=users,
        kind=kind,
        context=context,
        url=detail,
        dedupe_key=f"order-event:{event.pk}:resident",
        sms=True,
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
