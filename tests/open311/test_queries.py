"""The request list costs the same queries at any page size (1, 50, 200)."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.open311.models import Open311Request
from apps.orders.models import OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(client, tree, m, key):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key.raw,
            "jurisdiction_id": tree.village1.code,
            "service_code": str(m.village1.pk),
            "phone": "13600000001",
            "address_string": "东关社区 3 号楼",
        },
    )
    first = ServiceOrder.objects.get(pk=int(response.json()[0]["service_request_id"]))
    now = timezone.now()
    copies = []
    for _ in range(210):
        copy = ServiceOrder.objects.get(pk=first.pk)
        copy.pk = None
        copies.append(copy)
    orders = ServiceOrder.objects.bulk_create(copies)
    OrderEvent.objects.bulk_create(
        OrderEvent(order=o, action="place", to_status="submitted", created_at=now) for o in orders
    )
    Open311Request.objects.bulk_create(
        Open311Request(key=key.key, order=o, token=secrets.token_hex(12)) for o in orders
    )
    return key


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_fixed_queries_at_any_page_size(client, tree, many, fmt):
    counts = {}
    for size in (1, 50, 200):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                f"/open311/v2/requests.{fmt}",
                {"jurisdiction_id": tree.county.code, "page_size": size, "api_key": many.raw},
            )
        assert response.status_code == 200
        counts[size] = len(queries)
    assert counts[1] == counts[50] == counts[200], counts
