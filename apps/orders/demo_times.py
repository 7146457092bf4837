"""Demo orders at lived-in times. The demo's orders are made through the services, so
every step happens "now"; afterwards each order's timeline is moved to plausible
moments of the past weeks (placed in the morning, dispatched half an hour later,
served the next day, rated that evening…). Every time on the order, its assignments,
its events, photos, and the notifications and texts each event caused is rewritten
together, so they stay consistent. Nothing here runs outside ``seed_demo``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.db.models import DateTimeField, F, Q
from django.utils import timezone

from apps.notifications.models import Delivery, Notification

from .models import OrderAssignment, OrderEvent, OrderPhoto, ServiceOrder

# One moment of a demo timeline: ``(days ago, "HH:MM")`` local wall-clock time, or a
# ``timedelta`` before now (for what must be recent: an open dispatch lapses after an
# hour, an undispatched order escalates after two).
Moment = tuple[int, str] | dt.timedelta

_EVENT_KEY = re.compile(r"order-event:(\d+)(?::|$)")
# The preferred windows of open orders are bookings ahead; everything else is moved.
_EXPLICIT = {"preferred_start", "preferred_end"}
# How long after an event its messages were written and sent.
NOTIFY_DELAY = dt.timedelta(seconds=2)
SEND_DELAY = dt.timedelta(seconds=7)


def moment(at: Moment, now: dt.datetime) -> dt.datetime:
    if isinstance(at, dt.timedelta):
        return now - at
    days, clock = at
    hour, minute = (int(x) for x in clock.split(":"))
    day = timezone.localdate(now) - dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def retime_order(order_id: int, moments: Sequence[Moment], *, now: dt.datetime) -> None:
    """Give the order's events, in the order they happened, the times ``moments``
    (one per event, earliest first), and every other time of the order the time of
    the event that wrote it. Served orders get a preferred window around the
    check-in; closed ones that never started, the day after placement."""
    events = list(OrderEvent.objects.filter(order_id=order_id).order_by("created_at", "pk"))
    # Moments past the events are for events still to come (the lapse of a rating).
    if len(events) > len(moments):
        raise ValueError(f"order {order_id}: {len(events)} events, {len(moments)} moments")
    times = [moment(m, now) for m in moments[: len(events)]]
    if any(b < a for a, b in zip(times, times[1:], strict=False)) or times[-1] > now:
        raise ValueError(f"order {order_id}: moments out of order or in the future")
    # Each value an event's service wrote is within milliseconds of that event; steps
    # are further apart than that, so the nearest event is the one that wrote it.
    old = [e.created_at for e in events]

    def moved(value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        i = min(range(len(old)), key=lambda k: abs(old[k] - value))
        return times[i]

    by_action: dict[str, list[tuple[OrderEvent, dt.datetime]]] = {}
    for event, at in zip(events, times, strict=True):
        by_action.setdefault(event.action, []).append((event, at))
        event.created_at = at
    OrderEvent.objects.bulk_update(events, ["created_at"])

    order = ServiceOrder.objects.get(pk=order_id)
    fields = [
        f.name
        for f in ServiceOrder._meta.fields
        if isinstance(f, DateTimeField) and f.name not in _EXPLICIT
    ]
    for name in fields:
        setattr(order, name, moved(getattr(order, name)))
    order.created_at = times[0]
    order.status_changed_at = times[-1]
    starts = [at for _e, at in by_action.get("start", [])]
    if starts:
        begin = starts[0].replace(minute=0 if starts[0].minute < 30 else 30, second=0)
        order.preferred_start, order.preferred_end = begin, begin + dt.timedelta(hours=2)
    elif order.closed_at is not None:
        next_day = timezone.localtime(times[0]) + dt.timedelta(days=1)
        order.preferred_start = next_day.replace(hour=9, minute=0, second=0, microsecond=0)
        order.preferred_end = order.preferred_start + dt.timedelta(hours=2)
    order.save(update_fields=[*fields, *_EXPLICIT])

    # Check-in and check-out are the volunteer's own start and complete events.
    acted = {
        (event.action, event.actor_id): at
        for action in ("start", "complete")
        for event, at in by_action.get(action, [])
    }
    assignments = list(
        OrderAssignment.objects.filter(order_id=order_id).select_related("volunteer")
    )
    for a in assignments:
        user_id = a.volunteer.user_id
        a.assigned_at = moved(a.assigned_at) or times[0]
        a.responded_at = moved(a.responded_at)
        if a.checked_in_at is not None:
            a.checked_in_at = acted.get(("start", user_id)) or moved(a.checked_in_at)
        if a.checked_out_at is not None:
            a.checked_out_at = acted.get(("complete", user_id)) or moved(a.checked_out_at)
    OrderAssignment.objects.bulk_update(
        assignments, ["assigned_at", "responded_at", "checked_in_at", "checked_out_at"]
    )
    for photo in OrderPhoto.objects.filter(order_id=order_id):
        OrderPhoto.objects.filter(pk=photo.pk).update(created_at=moved(photo.created_at))
    _retime_messages({e.pk: at for e, at in zip(events, times, strict=True)})


def _retime_messages(event_times: dict[int, dt.datetime]) -> None:
    """Notifications (and their e-mails and texts) keyed by an event: at the event."""
    notes = Notification.objects.filter(dedupe_key__startswith="order-event:")
    for pk, key in notes.values_list("pk", "dedupe_key"):
        match = _EVENT_KEY.match(key or "")
        at = event_times.get(int(match.group(1))) if match else None
        if at is None:
            continue
        Notification.objects.filter(pk=pk).update(created_at=at + NOTIFY_DELAY)
        Delivery.objects.filter(notification_id=pk).update(created_at=at + NOTIFY_DELAY)
        Delivery.objects.filter(notification_id=pk, sent_at__isnull=False).update(
            sent_at=at + SEND_DELAY
        )
    # Group-robot messages carry the event in their key (webhook:<site>:order-event:<id>).
    robots = Delivery.objects.filter(notification__isnull=True, dedupe_key__contains="order-event:")
    for pk, key in robots.values_list("pk", "dedupe_key"):
        match = _EVENT_KEY.search(key or "")
        at = event_times.get(int(match.group(1))) if match else None
        if at is None:
            continue
        Delivery.objects.filter(pk=pk).update(created_at=at + NOTIFY_DELAY)
        Delivery.objects.filter(pk=pk, sent_at__isnull=False).update(sent_at=at + SEND_DELAY)


def retime_sent_messages() -> int:
    """Sent e-mails and texts of order events: sent seconds after they were written.
    (Run after the deliveries went out: in the demo they are sent after the seeding
    transaction commits, stamping the real time.)"""
    return Delivery.objects.filter(
        Q(notification__dedupe_key__startswith="order-event:")
        | Q(notification__isnull=True, dedupe_key__contains="order-event:"),
        sent_at__isnull=False,
    ).update(sent_at=F("created_at") + (SEND_DELAY - NOTIFY_DELAY))
