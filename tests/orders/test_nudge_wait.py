"""催单 only after a documented wait: 30 minutes after placing, or once the preferred
start has passed, whichever comes first; then at most once an hour; and the page asks
for a confirmation before it sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.orders import services
from apps.orders.models import ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _documented_wait(settings: Any) -> None:
    settings.ORDER_NUDGE_WAIT_MINUTES = 30


def placed_ago(order: ServiceOrder, minutes: int) -> ServiceOrder:
    ServiceOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes)
    )
    order.refresh_from_db()
    return order


def test_no_nudge_in_the_first_30_minutes(flow: Any, cast: Any) -> None:
    order = placed_ago(flow("submitted"), 10)
    assert "nudge" not in services.actions_for(order, cast.res1)
    with pytest.raises(services.TooSoonError) as exc:
        services.order_nudge(order_id=order.pk, actor=cast.res1)
    assert exc.value.code == "nudge_too_soon" and "20 分钟后" in str(exc.value)
    order.refresh_from_db()
    assert order.nudge_count == 0


def test_nudge_after_30_minutes(flow: Any, cast: Any) -> None:
    order = placed_ago(flow("submitted"), 31)
    assert "nudge" in services.actions_for(order, cast.res1)
    services.order_nudge(order_id=order.pk, actor=cast.res1)
    order.refresh_from_db()
    assert order.nudge_count == 1
    # Then the hourly limit.
    assert "nudge" not in services.actions_for(order, cast.res1)


def test_nudge_once_the_preferred_start_has_passed(flow: Any, cast: Any) -> None:
    order = flow("submitted")
    ServiceOrder.objects.filter(pk=order.pk).update(
        preferred_start=timezone.now() - dt.timedelta(minutes=5)
    )
    order.refresh_from_db()
    assert services.nudge_opens_at(order) == order.preferred_start
    services.order_nudge(order_id=order.pk, actor=cast.res1)


def test_the_page_confirms_before_nudging(flow: Any, cast: Any, login_as: Any) -> None:
    client = login_as(cast.res1)
    order = flow("submitted")
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert f"/orders/{order.pk}/nudge/" not in detail and "以后可以催单" in detail
    placed_ago(order, 40)
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    # A link to the confirmation page, not a button that sends at once.
    assert f'href="/orders/{order.pk}/nudge/"' in detail
    confirm = client.get(f"/orders/{order.pk}/nudge/").content.decode()
    assert "确定要催单吗" in confirm
    order.refresh_from_db()
    assert order.nudge_count == 0
    assert client.post(f"/orders/{order.pk}/nudge/").status_code == 302
    order.refresh_from_db()
    assert order.nudge_count == 1
