"""County-level orders past their dispatch limit are flagged on the county dashboard,
in scope, and drop off once dispatched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.orders import services
from apps.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


def _to_county_and_flag(order: ServiceOrder) -> None:
    # The escalation clock runs from placement, or from arrival by escalation.
    now = timezone.now()
    for _ in range(2):  # village → township → county
        ServiceOrder.objects.filter(pk=order.pk).update(
            created_at=now - dt.timedelta(minutes=300), escalated_at=None
        )
        services.orders_escalate_overdue(now=now)
    ServiceOrder.objects.filter(pk=order.pk).update(
        created_at=now - dt.timedelta(minutes=300), escalated_at=None
    )
    assert services.orders_escalate_overdue(now=now)["flagged"] == 1


def test_flagged_order_shows_on_the_county_dashboard(
    client: Any, flow: Any, cast: Any, tree: Any, v: Any
) -> None:
    order = flow("submitted")
    _to_county_and_flag(order)
    order.refresh_from_db()
    assert order.handling_site_id == tree.county.pk and order.overdue_at is not None

    client.force_login(cast.county)
    page = client.get("/reports/").content.decode()
    assert "超时未派单" in page and f"/orders/{order.pk}/" in page

    # town2's dashboard covers only its own subtree: nothing of town1's village.
    client.force_login(cast.town2)
    assert f"/orders/{order.pk}/" not in client.get("/reports/").content.decode()

    # Dispatched at the county: no longer waiting, so no longer flagged.
    services.order_dispatch(order_id=order.pk, actor=cast.county, volunteer_ids=[v.vol1.pk])
    order.refresh_from_db()
    assert order.overdue_at is None
    client.force_login(cast.county)
    assert f"/orders/{order.pk}/" not in client.get("/reports/").content.decode()


def test_reinstating_a_suspended_volunteer_says_so(cast: Any, v: Any) -> None:
    from apps.notifications.models import Notification
    from apps.volunteers import services as volunteer_services

    volunteer_services.volunteer_suspend(volunteer=v.vol1, actor=cast.village1, reason="请假")
    volunteer_services.volunteer_approve(volunteer=v.vol1, actor=cast.village1)
    kinds = list(Notification.objects.filter(user=cast.vol1).values_list("kind", flat=True))
    assert kinds == ["volunteer_reinstated"]
    note = Notification.objects.get(user=cast.vol1)
    assert note.title == "志愿服务已恢复" and "已恢复" in note.body
