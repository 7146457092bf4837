"""Who hears about each order event. Called by ``services.workflow.record`` inside the
transition's transaction, so the notification rows commit (or roll back) with the
change; delivery happens after commit (apps.notifications).

Each notification carries ``params``: plain values snapshotted here (the order's number,
title and sites, a volunteer's name, the reason someone typed), which
apps.notifications.messages renders in each reader's language."""

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


def order_params(order: ServiceOrder) -> dict[str, Any]:
    """What every order notification may say about the order."""
    return {
        "order_id": order.pk,
        "service": order.service.title if order.service_id else "",
        "site": order.site.name,
        "handling_site": order.handling_site.name,
        "status": order.status,
    }


def _reason(text: str) -> str:
    # A reason ending in a full stop must not read "。。" inside a sentence.
    return (text or "").rstrip("。. ")


def order_event_notify(order: ServiceOrder, event: OrderEvent) -> None:
    """Notify the people an event concerns. Idempotent per event (dedupe by event id)."""
    action = event.action
    key = f"order-event:{event.pk}"
    ctx: dict[str, Any] = order_params(order) | {"reason": _reason(event.note)}
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
            # Where and when: only the volunteers sent there are told the address.
            params=ctx
            | {
                "address": order.address,
                "start": order.preferred_start.isoformat() if order.preferred_start else "",
                "end": order.preferred_end.isoformat() if order.preferred_end else "",
            },
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
        ctx["volunteer"] = volunteer.volunteer.real_name if volunteer else ""
        if action == "decline":
            ctx["reason"] = _reason((volunteer.decline_reason if volunteer else "") or event.note)
        kind = {
            "accept": "order_accepted",
            "decline": "order_declined",
            "complete": "order_completed",
        }[action]
        notify_site_staff(
            site=order.handling_site, kind=kind, params=ctx, url=detail, dedupe_key=key
        )
    elif action == "rate":
        notify(
            users=_volunteer_users(order, AssignmentStatus.ACCEPTED),
            kind="order_rated",
            params=ctx | {"score": order.score, "comment": order.rating_comment},
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
            params=ctx,
            url=reverse("orders:my_tasks"),
            dedupe_key=key,
        )
        notify_site_staff(
            site=order.handling_site,
            kind="order_cancelled",
            params=ctx,
            url=detail,
            dedupe_key=key,
        )
    elif action == "escalate":
        ctx["from_site"] = event.params.get("from_site", "")
        ctx["minutes"] = event.params.get("minutes", "")
        notify_site_staff(
            site=order.handling_site,
            kind="order_escalated",
            params=ctx,
            url=detail,
            dedupe_key=key,
        )
    elif action == "release":
        why = event.code.removeprefix("released_")
        notify_site_staff(
            site=order.handling_site,
            kind="order_released",
            params=ctx | {"why": why} | event.params,
            url=detail,
            dedupe_key=key,
        )
    elif action == "nudge":
        notify_site_staff(
            site=order.handling_site, kind="order_nudged", params=ctx, url=detail, dedupe_key=key
        )
    elif action == "dispute":
        county = Site.objects.filter(pk=order.site.ancestor_ids()[0]).first()
        if county is not None:
            notify_site_staff(
                site=county,
                kind="order_disputed",
                params=ctx | {"dispute": order.dispute_text},
                url=detail,
                dedupe_key=key,
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
        context["volunteer"] = volunteer.real_name if volunteer else ""
        # Masked: the resident sees whom to expect, staff hold the full number.
        context["volunteer_phone"] = mask_mobile(volunteer.mobile if volunteer else "")
    # Whoever acted (a proxy cancelling) needs no message about their own step.
    users = [uid for uid in resident_audience(order) if uid != event.actor_id]
    notify(
        users=users,
        kind=kind,
        params=context,
        url=detail,
        dedupe_key=f"order-event:{event.pk}:resident",
        sms=True,
    )


def order_overdue_notify(order: ServiceOrder) -> None:
    """A county-level order past its limit: flag it to the county staff (once)."""
    notify_site_staff(
        site=order.handling_site,
        kind="order_overdue",
        params=order_params(order),
        url=reverse("orders:detail", args=[order.pk]),
        dedupe_key=f"order-overdue:{order.pk}",
    )
