"""Issue #12: an order's Idempotency-Key compares the whole normalised request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.orders.models import ServiceOrder
from tests.orders.conftest import order_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "change",
    [
        {"address": "东关社区 5 号楼"},
        {"note": "不用上门了"},
        {"contact_mobile": "13600000009"},
        {"volunteers_needed": 2},
        "time",
    ],
    ids=["address", "note", "mobile", "volunteers", "time"],
)
def test_same_key_different_request_is_refused(api_as: Any, cast: Any, m: Any, change: Any) -> None:
    res1 = api_as(cast.res1)
    first = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="k-9"
    )
    assert first.status_code == 201, first.content
    if change == "time":
        start = dt.datetime.fromisoformat(order_payload(m.village1)["preferred_start"])
        change = {"preferred_start": (start + dt.timedelta(hours=1)).isoformat()}
    again = res1.post(
        "/api/v1/orders/",
        order_payload(m.village1, **change),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-9",
    )
    assert again.status_code == 409, again.content
    assert again.json()["code"] == "idempotency_key_reused"
    assert ServiceOrder.objects.count() == 1
    same = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="k-9"
    )
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]


def test_rows_without_a_fingerprint_compare_by_service(api_as: Any, cast: Any, m: Any) -> None:
    res1 = api_as(cast.res1)
    first = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    ServiceOrder.objects.filter(pk=first.json()["id"]).update(request_fingerprint="")
    again = res1.post(
        "/api/v1/orders/",
        order_payload(m.village1, note="另一段备注"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="old",
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other = res1.post(
        "/api/v1/orders/", order_payload(m.town1), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert other.status_code == 409
