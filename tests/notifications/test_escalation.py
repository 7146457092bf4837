"""Automatic escalation (the beat task every few minutes): an order left ``submitted``
longer than its handling site's limit goes up to the parent, with an event (no actor)
and a notification to the parent's staff; at the county it is flagged once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.notifications.models import Notification
from apps.orders import services
from apps.orders.models import OrderEvent, OrderStatus, ServiceOrder
from apps.orders.tasks import escalate_overdue_orders
from apps.orders.timeline import event_text

pytestmark = pytest.mark.django_db

NOTHING = {"escalated": 0, "flagged": 0}


def waited(order: ServiceOrder, minutes: int) -> dt.datetime:
    """The moment ``order`` has waited ``minutes`` at its current handling site (since
    placement, or since it was escalated there)."""
    order.refresh_from_db()
    since = order.escalated_at or order.created_at
    return since + dt.timedelta(minutes=minutes)


def notes(user: Any, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind))


def test_escalates_to_the_parent_after_the_default_limit(flow: Any, cast: Any, tree: Any) -> None:
    order = flow("submitted")
    assert services.orders_escalate_overdue(now=waited(order, 119)) == NOTHING
    order.refresh_from_db()
    assert order.handling_site_id == tree.village1.pk

    at = waited(order, 121)
    assert services.orders_escalate_overdue(now=at) == {"escalated": 1, "flagged": 0}
    order.refresh_from_db()
    assert (order.handling_site_id, order.status, order.escalated_at) == (
        tree.town1.pk,
        OrderStatus.SUBMITTED,
        at,
    )
    event = OrderEvent.objects.get(order=order, action="escalate")
    assert event.actor_id is None and event.created_at == at
    assert (event.from_status, event.to_status) == (OrderStatus.SUBMITTED, OrderStatus.SUBMITTED)
    assert (event.code, event.params, event.note) == (
        "escalated_auto",
        {"from_site": "东关社区实践站", "to_site": "城关镇新时代文明实践所", "minutes": 120},
        "",
    )
    assert event_text(event) == (
        "由东关社区实践站上报至城关镇新时代文明实践所：超过 120 分钟无人派单，自动上报"
    )
    # The parent's staff, and the resident (told where the order went), nobody else.
    assert sorted(Notification.objects.values_list("user_id", "kind")) == sorted(
        [(cast.town1.pk, "order_escalated"), (cast.res1.pk, "resident_escalated")]
    )
    assert notes(cast.town1, "order_escalated")[0].body.endswith(
        "请派单。原因：超过 120 分钟无人派单，自动上报"
    )

    # A rerun (the next beat, or two beats at once) does nothing twice.
    assert services.orders_escalate_overdue(now=at) == NOTHING
    assert services.orders_escalate_overdue(now=at + dt.timedelta(minutes=5)) == NOTHING
    assert OrderEvent.objects.filter(order=order, action="escalate").count() == 1
    assert Notification.objects.count() == 2  # town1's staff and the resident, once each


def test_the_clock_restarts_at_the_parent_then_the_county_flags_once(
    flow: Any, cast: Any, tree: Any
) -> None:
    order = flow("submitted")
    services.orders_escalate_overdue(now=waited(order, 121))  # → town1
    assert services.orders_escalate_overdue(now=waited(order, 119)) == NOTHING
    assert services.orders_escalate_overdue(now=waited(order, 121)) == {
        "escalated": 1,
        "flagged": 0,
    }
    order.refresh_from_db()
    assert order.handling_site_id == tree.county.pk
    assert len(notes(cast.county, "order_escalated")) == 1

    # At the county there is nowhere higher: flagged for the dashboard, staff told once.
    assert services.orders_escalate_overdue(now=waited(order, 119)) == NOTHING
    at = waited(order, 121)
    assert services.orders_escalate_overdue(now=at) == {"escalated": 0, "flagged": 1}
    order.refresh_from_db()
    assert order.overdue_at == at and order.handling_site_id == tree.county.pk
    assert order.status == OrderStatus.SUBMITTED
    overdue = notes(cast.county, "order_overdue")
    assert len(overdue) == 1 and overdue[0].title == "超时未派单：助老上门服务"
    assert services.orders_escalate_overdue(now=at + dt.timedelta(hours=5)) == NOTHING
    assert len(notes(cast.county, "order_overdue")) == 1
    assert OrderEvent.objects.filter(order=order, action="escalate").count() == 2
    assert notes(cast.town2, "order_escalated") == notes(cast.town2, "order_overdue") == []


def test_per_site_limit(flow: Any, cast: Any, tree: Any, m: Any) -> None:
    tree.village1.escalation_minutes = 30
    tree.village1.save()
    quick = flow("submitted")
    slow = flow("submitted", item=m.town1)
    # Another point under its own default limit.
    slow.site = slow.handling_site = tree.village1b
    slow.save(update_fields=["site", "handling_site"])
    assert services.orders_escalate_overdue(now=waited(quick, 29)) == NOTHING
    assert services.orders_escalate_overdue(now=waited(quick, 31)) == {"escalated": 1, "flagged": 0}
    quick.refresh_from_db()
    slow.refresh_from_db()
    assert quick.handling_site_id == tree.town1.pk
    assert slow.handling_site_id == tree.village1b.pk
    assert "超过 30 分钟无人派单" in event_text(
        OrderEvent.objects.get(order=quick, action="escalate")
    )


def test_dispatched_orders_are_left_alone(flow: Any) -> None:
    order = flow("dispatched")
    assert services.orders_escalate_overdue(now=timezone.now() + dt.timedelta(days=1)) == NOTHING
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED and order.escalated_at is None


def test_a_decline_does_not_restart_the_clock(flow: Any, v: Any, cast: Any, tree: Any) -> None:
    # Issue #12: the clock runs from placement (or arrival by escalation); dispatching
    # and declining in between no longer restart it.
    order = flow("submitted")
    ServiceOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=100)
    )
    services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    services.order_decline(order_id=order.pk, actor=v.vol1.user, reason="太远")
    order.refresh_from_db()
    assert order.status == OrderStatus.SUBMITTED
    assert services.orders_escalate_overdue(now=timezone.now()) == NOTHING  # 100 min
    soon = timezone.now() + dt.timedelta(minutes=21)  # 121 min after placement
    assert services.orders_escalate_overdue(now=soon) == {"escalated": 1, "flagged": 0}
    order.refresh_from_db()
    assert order.handling_site_id == tree.town1.pk


def test_escalated_by_hand_the_parent_gets_its_limit_from_arrival(
    flow: Any, v: Any, cast: Any, tree: Any
) -> None:
    order = flow("submitted")
    services.order_escalate(order_id=order.pk, actor=cast.village1)  # → town1, now
    # It reached town1 three hours ago; town1 dispatched it and the volunteer just
    # declined: back in town1's queue, long past town1's limit, so it goes up.
    ServiceOrder.objects.filter(pk=order.pk).update(
        escalated_at=timezone.now() - dt.timedelta(hours=3)
    )
    services.order_dispatch(order_id=order.pk, actor=cast.town1, volunteer_ids=[v.vol1.pk])
    services.order_decline(order_id=order.pk, actor=v.vol1.user, reason="太远")
    soon = timezone.now() + dt.timedelta(minutes=5)
    assert services.orders_escalate_overdue(now=soon) == {"escalated": 1, "flagged": 0}
    order.refresh_from_db()
    assert order.handling_site_id == tree.county.pk


def test_beat_task_runs_the_service(flow: Any, cast: Any, monkeypatch: Any) -> None:
    order = flow("submitted")
    later = waited(order, 121)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert escalate_overdue_orders.delay().get() == {"escalated": 1, "flagged": 0, "lapsed": 0}
    assert len(notes(cast.town1, "order_escalated")) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_escalate_once(flow: Any, cast: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "POSTGRESQL ONLY — ESCALATION RACE NOT RUN on "
            f"{connection.vendor}: set DATABASE_URL=postgres://... to run it"
        )
    order = flow("submitted")
    at = waited(order, 121)
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def beat() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.orders_escalate_overdue(now=at))
        except Exception as exc:  # noqa: BLE001 - the result under test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r["escalated"] for r in results) == [0, 0, 1], results
    assert OrderEvent.objects.filter(order=order, action="escalate").count() == 1
    assert len(notes(cast.town1, "order_escalated")) == 1
