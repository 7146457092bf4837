"""A real GeoReport v2 client from PyPI against the live server, in both formats:
``georeport`` (reads: the menu, a definition, requests, one request; XML and JSON) and
``civicbot``'s ``Open311Client`` (it also posts a request). The menu is listed, an
order placed, driven to closed through the order services and seen closed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from civicbot.http import HttpTransport, RateLimiter
from civicbot.open311 import CONFIRM_TOKEN, Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport

from apps.orders import services
from apps.orders.models import ServiceOrder
from tests.orders.factories import make_due, served_for

pytestmark = pytest.mark.django_db(transaction=True)


def civic(live_server: Any, jurisdiction: str, fmt: str = "json") -> Open311Client:
    endpoint = Endpoint(
        id="portal", name="portal", base_url=f"{live_server.url}/open311/v2", write=True
    )
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
    return Open311Client(endpoint, transport, jurisdiction_id=jurisdiction, fmt=fmt)


def drive_to_closed(order: ServiceOrder, cast: Any, v: Any) -> None:
    services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    services.order_accept(order_id=order.pk, actor=v.vol1.user)
    make_due(order.pk)
    services.order_start(order_id=order.pk, actor=v.vol1.user)
    served_for(order.pk, hours=2)
    services.order_complete(
        order_id=order.pk, actor=v.vol1.user, hours=Decimal("2"), summary="完成"
    )


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_client_lists_the_menu_and_follows_an_order(
    live_server, cast, tree, m, v, key, fmt
):
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction=tree.village1.code, output_format=fmt
    )
    menu = client.get_service_list()
    assert {s["service_code"] for s in menu} == {
        str(m.village1.pk),
        str(m.town1.pk),
        str(m.county.pk),
    }
    definition = client.get_service_definition(str(m.village1.pk))
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    assert "preferred_start" in [a["code"] for a in attributes]

    placed = civic(live_server, tree.village1.code).create_request(
        str(m.village1.pk),
        dry_run=False,
        confirm=CONFIRM_TOKEN,
        api_key=key.raw,
        phone="13600000001",
        address_string="东关社区 3 号楼",
        description="上门打扫",
        attributes={"request_id": f"georeport-{fmt}"},
        validate_remote=True,
    )
    rid = placed.response[0]["service_request_id"]
    assert client.get_service_request(rid)["status"] == "open"

    drive_to_closed(ServiceOrder.objects.get(pk=int(rid)), cast, v)
    request = client.get_service_request(rid)
    assert request["status"] == "closed"
    assert request["agency_responsible"] == tree.village1.name
    listed = client.get_service_requests(status="closed")
    if fmt == "xml":  # xmltodict: one <request> is a dict, several a list
        listed = [listed] if isinstance(listed, dict) else listed
    assert [r["service_request_id"] for r in listed] == [rid]
    assert client.get_service_requests(service_request_id=rid)


def test_civicbot_client_posts_and_reads_in_json(live_server, cast, tree, m, v, key):
    client = civic(live_server, tree.village1.code)
    services_list = client.list_services()
    assert str(m.village1.pk) in {s["service_code"] for s in services_list}
    placed = client.create_request(
        str(m.village1.pk),
        dry_run=False,
        confirm=CONFIRM_TOKEN,
        api_key=key.raw,
        phone="13600000001",
        lat=38.04,
        lng=114.51,
        attributes={"request_id": "bot-1", "volunteers_needed": "1"},
    )
    row = placed.response[0]
    token = client.get_token(row["token"])
    assert token[0]["service_request_id"] == row["service_request_id"]
    assert client.get_request(row["service_request_id"])["status"] == "open"
    again = client.create_request(
        str(m.village1.pk),
        dry_run=False,
        confirm=CONFIRM_TOKEN,
        api_key=key.raw,
        phone="13600000001",
        lat=38.04,
        lng=114.51,
        attributes={"request_id": "bot-1"},
    )
    assert again.response[0]["service_request_id"] == row["service_request_id"]
    drive_to_closed(ServiceOrder.objects.get(pk=int(row["service_request_id"])), cast, v)
    assert client.list_requests(status="closed")[0]["status"] == "closed"
