"""批量考核: uncontested orders (rated ≥ 4, no complaint, hours within the measured
time) approved in one confirmation, each through the per-order service and its event."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.orders import selectors, services
from apps.orders.models import OrderAssignment, OrderEvent, OrderStatus, ServiceOrder

pytestmark = pytest.mark.django_db


def _rated(flow: Any, cast: Any, score: int = 5) -> ServiceOrder:
    order = flow("completed")
    services.order_rate(order_id=order.pk, actor=cast.res1, score=score, comment="")
    order.refresh_from_db()
    return order


def test_only_uncontested_orders_are_offered(cast: Any, flow: Any) -> None:
    good = _rated(flow, cast, 5)
    low = _rated(flow, cast, 3)
    disputed = _rated(flow, cast, 5)
    services.order_dispute(order_id=disputed.pk, actor=cast.res1, text="时长不实")
    offered = selectors.assessment_uncontested(fetched_by=cast.town1, limit=100)
    assert [o.pk for o in offered] == [good.pk]
    assert services.uncontested_reason(ServiceOrder.objects.get(pk=low.pk)) == "low_score"
    assert services.uncontested_reason(ServiceOrder.objects.get(pk=disputed.pk)) == "disputed"


def test_hours_over_the_measured_time_are_contested(cast: Any, flow: Any) -> None:
    order = _rated(flow, cast, 5)
    # Reported above what check-in to check-out measured (e.g. an edited row).
    OrderAssignment.objects.filter(order=order).update(reported_hours=Decimal("9"))
    assert services.uncontested_reason(ServiceOrder.objects.get(pk=order.pk)) == (
        "hours_exceed_measured"
    )
    assert selectors.assessment_uncontested(fetched_by=cast.town1, limit=100) == []


def test_bulk_assess_goes_through_the_per_order_service_and_skips_the_rest(
    cast: Any, flow: Any
) -> None:
    a, b = _rated(flow, cast, 5), _rated(flow, cast, 4)
    low = _rated(flow, cast, 2)
    result = services.orders_bulk_assess(actor=cast.town1, order_ids=[a.pk, b.pk, low.pk])
    assert result == {"assessed": [a.pk, b.pk], "skipped": [low.pk]}
    for order in (a, b):
        order.refresh_from_db()
        assert order.status == OrderStatus.ASSESSED and order.assessed_by == cast.town1
        assert OrderAssignment.objects.get(order=order).confirmed_hours == Decimal("2")
        assert OrderEvent.objects.filter(order=order, action="assess").count() == 1
    assert ServiceOrder.objects.get(pk=low.pk).status == OrderStatus.RATED
    # A repeated submit assesses nothing twice.
    again = services.orders_bulk_assess(actor=cast.town1, order_ids=[a.pk, b.pk])
    assert again == {"assessed": [], "skipped": [a.pk, b.pk]}
    assert OrderEvent.objects.filter(order=a, action="assess").count() == 1


def test_bulk_assess_respects_scope_and_role(cast: Any, flow: Any) -> None:
    order = _rated(flow, cast, 5)
    # Another township's staff: not in scope; village staff: may not assess.
    for outsider in (cast.town2, cast.village1):
        result = services.orders_bulk_assess(actor=outsider, order_ids=[order.pk])
        assert result == {"assessed": [], "skipped": [order.pk]}
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.RATED


def test_bulk_assess_refuses_empty_and_oversized_batches(cast: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.orders_bulk_assess(actor=cast.town1, order_ids=[])
    with pytest.raises(ValidationError):
        services.orders_bulk_assess(
            actor=cast.town1, order_ids=list(range(1, services.BULK_ASSESS_MAX + 2))
        )


def test_bulk_page_confirms_then_assesses_and_returns_to_the_queue(
    login_as: Any, cast: Any, flow: Any
) -> None:
    a, b = _rated(flow, cast, 5), _rated(flow, cast, 5)
    client = login_as(cast.town1)
    page = client.get("/orders/assessment/bulk/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="orders" value="{a.pk}"' in html and f'name="orders" value="{b.pk}"' in html
    assert "实测" in html
    # Showing the confirmation changes nothing.
    assert ServiceOrder.objects.get(pk=a.pk).status == OrderStatus.RATED
    resp = client.post("/orders/assessment/bulk/", {"orders": [str(a.pk), str(b.pk), "x'--"]})
    assert resp.status_code == 302 and resp["Location"].endswith("/orders/assessment/")
    assert set(
        ServiceOrder.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)
    ) == {OrderStatus.ASSESSED}
    assert "已批量考核通过 2 张订单" in client.get("/orders/assessment/").content.decode()


def test_bulk_page_is_not_for_village_staff_or_residents(
    login_as: Any, cast: Any, flow: Any
) -> None:
    order = _rated(flow, cast, 5)
    for user in (cast.village1, cast.res1):
        client = login_as(user)
        assert client.get("/orders/assessment/bulk/").status_code == 404
        assert client.post("/orders/assessment/bulk/", {"orders": [order.pk]}).status_code == 404
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.RATED


def test_bulk_page_empty_state_and_fixed_queries(login_as: Any, cast: Any, flow: Any) -> None:
    client = login_as(cast.town1)
    assert "没有可批量考核" in client.get("/orders/assessment/bulk/").content.decode()
    _rated(flow, cast, 5)
    with CaptureQueriesContext(connection) as one:
        client.get("/orders/assessment/bulk/")
    for _ in range(3):
        _rated(flow, cast, 5)
    with CaptureQueriesContext(connection) as four:
        html = client.get("/orders/assessment/bulk/").content.decode()
    assert html.count('name="orders"') == 4
    assert len(four) == len(one)
