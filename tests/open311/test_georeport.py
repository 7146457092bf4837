"""GeoReport v2 with our own requests: discovery, the menu, a service definition,
placing an order (a known resident, a new caller), following it to closed, tokens,
idempotency, the personal-data rules, and keys (revoked, out of scope, logged)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import ResidentProfile, Role, RoleName, User
from apps.open311.keys import api_key_revoke
from apps.open311.models import ApiKeyUse, Open311Request
from apps.orders import services
from apps.orders.models import ServiceOrder
from tests.orders.factories import make_due, served_for

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ET.fromstring(response.content)


def post(client: Client, fmt: str, **data: Any) -> Any:
    return client.post(f"{BASE}/requests.{fmt}", data)


def place(client: Client, key: Any, tree: Any, m: Any, fmt: str = "json", **extra: Any) -> Any:
    data = {
        "api_key": key.raw,
        "jurisdiction_id": tree.village1.code,
        "service_code": str(m.village1.pk),
        "phone": "13600000001",
        "address_string": "东关社区 3 号楼",
        "description": "老人需要上门打扫",
    }
    data.update(extra)
    return post(client, fmt, **data)


def test_site_codes_are_stable_and_unique(tree):
    codes = {s.code for s in [tree.county, tree.town1, tree.village1, tree.village2]}
    assert len(codes) == 4
    assert tree.village1.code == f"S{tree.village1.pk:07d}"
    tree.village1.name = "东关社区新时代文明实践站"
    tree.village1.save()
    tree.village1.refresh_from_db()
    assert tree.village1.code == f"S{tree.village1.pk:07d}"


def test_discovery_in_both_formats(client):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/specification").text.endswith("GeoReport_v2")
    formats = [f.text for f in root.findall("endpoints/endpoint/formats/format")]
    assert formats == ["text/xml", "application/json"]
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["url"].endswith("/open311/v2/")


def test_services_list_the_menu_of_a_jurisdiction(client, tree, m):
    body = client.get(f"{BASE}/services.json", {"jurisdiction_id": tree.village1.code}).json()
    codes = {s["service_code"] for s in body}
    # village1's menu: its own item and those of town1 and the county above it.
    assert codes == {str(m.village1.pk), str(m.town1.pk), str(m.county.pk)}
    row = next(s for s in body if s["service_code"] == str(m.village1.pk))
    assert row["service_name"] == "助老上门服务"
    assert row["group"] == "助老扶弱" and row["metadata"] is True and row["type"] == "realtime"
    # The county's code: its whole menu, every item of the subtree.
    county = client.get(f"{BASE}/services.xml", {"jurisdiction_id": tree.county.code})
    names = {e.text for e in xml(county).findall("service/service_name")}
    assert names == {"法律援助咨询", "健康义诊", "助老上门服务", "农技科普"}


def test_service_definition_has_the_order_forms_fields(client, tree, m):
    url = f"{BASE}/services/{m.village1.pk}.xml"
    root = xml(client.get(url, {"jurisdiction_id": tree.village1.code}))
    assert root.tag == "service_definition"
    codes = [a.find("code").text for a in root.findall("attributes/attribute")]
    assert codes == [
        "preferred_start",
        "preferred_end",
        "volunteers_needed",
        "address_detail",
        "request_id",
    ]
    body = client.get(
        f"{BASE}/services/{m.village1.pk}.json", {"jurisdiction_id": tree.village1.code}
    ).json()
    needed = next(a for a in body["attributes"] if a["code"] == "volunteers_needed")
    assert needed["datatype"] == "singlevaluelist" and needed["values"][0] == {
        "key": "1",
        "name": "1",
    }
    # Not on village2's menu.
    other = client.get(url, {"jurisdiction_id": tree.village2.code})
    assert other.status_code == 404
    assert xml(other).find("error/code").text == "404"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_place_an_order_for_a_known_resident_and_follow_it_to_closed(
    client, cast, tree, m, v, key, fmt
):
    response = place(client, key, tree, m, fmt, **{"attribute[request_id]": f"hl-{fmt}-1"})
    assert response.status_code == 201, response.content
    if fmt == "xml":
        root = xml(response)
        rid = root.find("request/service_request_id").text
        token = root.find("request/token").text
    else:
        rid, token = response.json()[0]["service_request_id"], response.json()[0]["token"]
    order = ServiceOrder.objects.get(pk=int(rid))
    assert order.resident == cast.res1 and order.site == tree.village1
    assert order.placed_by == key.key.user and order.status == "submitted"
    assert order.events.get().code == "placed_by_staff"

    def status() -> dict[str, Any]:
        body = client.get(f"{BASE}/requests/{rid}.json", {"api_key": key.raw}).json()
        assert len(body) == 1
        return body[0]

    first = status()
    assert first["status"] == "open" and first["agency_responsible"] == tree.village1.name
    assert first["requested_datetime"].endswith("+08:00")
    assert first["address"] == "东关社区 3 号楼"
    token_body = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert token_body.status_code == 200

    services.order_dispatch(order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk])
    assert status()["status"] == "open"
    services.order_accept(order_id=order.pk, actor=v.vol1.user)
    make_due(order.pk)
    services.order_start(order_id=order.pk, actor=v.vol1.user)
    assert "签到" in status()["status_notes"]
    served_for(order.pk, hours=2)
    services.order_complete(
        order_id=order.pk, actor=v.vol1.user, hours=Decimal("2"), summary="打扫完毕"
    )
    done = status()
    assert done["status"] == "closed"
    assert done["status_notes"].startswith("已完成")
    services.order_rate(order_id=order.pk, actor=cast.res1, score=5, comment="很好")
    services.order_assess(order_id=order.pk, actor=cast.town1, approved=True)
    root = xml(client.get(f"{BASE}/requests/{rid}.xml"))
    assert root.find("request/status").text == "closed"


def test_a_repeat_of_the_integrators_request_id_returns_the_first(client, tree, m, key):
    first = place(client, key, tree, m, request_id="call-77")
    again = place(client, key, tree, m, request_id="call-77", description="第二次")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Open311Request.objects.count() == 1 and ServiceOrder.objects.count() == 1


def test_a_new_caller_is_registered_as_a_phone_in_caller(client, tree, m, key):
    response = place(client, key, tree, m, phone="0311-7654321", first_name="大爷", last_name="王")
    assert response.status_code == 201, response.content
    order = ServiceOrder.objects.get()
    caller = order.resident
    assert caller.real_name == "王大爷" and caller.mobile is None
    assert not caller.has_usable_password()
    assert ResidentProfile.objects.get(user=caller).landline == "0311-7654321"
    assert ResidentProfile.objects.get(user=caller).registered_by == key.key.user
    assert Role.objects.filter(user=caller, site=tree.village1, role=RoleName.RESIDENT).exists()
    # Found again next time, not registered twice.
    place(client, key, tree, m, phone="03117654321")
    assert User.objects.filter(resident_profile__landline="0311-7654321").count() == 1


def test_a_new_caller_needs_a_village_jurisdiction(client, tree, m, key):
    response = place(client, key, tree, m, phone="13811112222", jurisdiction_id=tree.town1.code)
    assert response.status_code == 400
    assert "jurisdiction_id" in response.json()[0]["description"]


def test_a_phone_of_someone_outside_the_jurisdiction_is_refused(client, tree, m, key, cast):
    response = place(client, key, tree, m, phone=cast.village1.mobile)
    assert response.status_code == 400 and ServiceOrder.objects.count() == 0


def test_keys_missing_revoked_or_out_of_scope_answer_403(client, cast, tree, m, key):
    response = place(client, key, tree, m, api_key="")
    assert response.status_code == 403 and response.json()[0]["code"] == 403
    wrong = place(client, key, tree, m, fmt="xml", api_key="not-a-key")
    assert wrong.status_code == 403 and xml(wrong).find("error/code").text == "403"
    outside = place(client, key, tree, m, jurisdiction_id=tree.village2.code)
    assert outside.status_code == 403
    api_key_revoke(actor=cast.county, key_id=key.key.pk)
    assert place(client, key, tree, m).status_code == 403
    assert ServiceOrder.objects.count() == 0


def test_every_use_of_a_key_is_logged(client, tree, m, key):
    response = place(client, key, tree, m)
    rid = response.json()[0]["service_request_id"]
    client.get(f"{BASE}/requests/{rid}.xml", {"api_key": key.raw})
    uses = list(ApiKeyUse.objects.order_by("id"))
    assert [(u.method, u.status) for u in uses] == [("POST", 201), ("GET", 200)]
    assert uses[0].order_id == int(rid) and uses[0].path == f"{BASE}/requests.json"
    key.key.refresh_from_db()
    assert key.key.last_used_at is not None


def test_the_key_is_rate_limited(client, tree, m, key, monkeypatch):
    from apps.open311.keys import KeyRateThrottle

    monkeypatch.setattr(KeyRateThrottle, "THROTTLE_RATES", {"open311": "2/min"})
    assert client.get(f"{BASE}/services.json", {"api_key": key.raw}).status_code == 200
    assert client.get(f"{BASE}/services.json", {"api_key": key.raw}).status_code == 200
    third = client.get(f"{BASE}/services.xml", {"api_key": key.raw})
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert xml(third).find("error/code").text == "429"
    assert ApiKeyUse.objects.filter(status=429).count() == 1


def test_others_see_no_personal_data(client, tree, m, key, county_key, flow, cast):
    mine = place(client, key, tree, m).json()[0]["service_request_id"]
    resident_order = flow("dispatched")
    body = client.get(f"{BASE}/requests.json", {"jurisdiction_id": tree.county.code}).json()
    rows = {r["service_request_id"]: r for r in body}
    assert set(rows) == {mine, str(resident_order.pk)}
    for row in rows.values():  # nobody's key: no address, no timeline
        assert row["address"] == "" and row["description"] == ""
        assert row["status_notes"] in ("待派单", "已派单")
    other_key = client.get(f"{BASE}/requests/{mine}.json", {"api_key": county_key.raw}).json()[0]
    assert other_key["address"] == ""
    own = client.get(f"{BASE}/requests/{mine}.json", {"api_key": key.raw}).json()[0]
    assert own["address"] == "东关社区 3 号楼"
    text = json.dumps(body, ensure_ascii=False) + json.dumps(own, ensure_ascii=False)
    assert "13600000001" not in text and "张丽" not in text


def test_list_filters(client, tree, m, key, flow):
    flow("cancelled")
    place(client, key, tree, m)
    params = {"jurisdiction_id": tree.village1.code}
    assert len(client.get(f"{BASE}/requests.json", params).json()) == 2
    assert [
        r["status"]
        for r in client.get(f"{BASE}/requests.json", {**params, "status": "closed"}).json()
    ] == ["closed"]
    assert len(client.get(f"{BASE}/requests.json", {**params, "status": "open"}).json()) == 1
    assert (
        client.get(f"{BASE}/requests.json", {**params, "service_code": str(m.town1.pk)}).json()
        == []
    )
    old = {**params, "start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"}
    assert client.get(f"{BASE}/requests.json", old).json() == []
    one = client.get(f"{BASE}/requests.json", {**params, "page_size": "1"}).json()
    assert len(one) == 1


def test_calls_without_a_key_are_rate_limited_per_address(client, tree, monkeypatch):
    from apps.open311.keys import AddressRateThrottle

    monkeypatch.setattr(AddressRateThrottle, "THROTTLE_RATES", {"open311": "1/min"})
    assert client.get(f"{BASE}/discovery.json").status_code == 200
    again = client.get(f"{BASE}/discovery.json")
    assert again.status_code == 429 and again.json()[0]["code"] == 429


def test_guessing_keys_is_rate_limited_per_address(client, tree, monkeypatch):
    from apps.open311.keys import AddressRateThrottle

    monkeypatch.setattr(AddressRateThrottle, "THROTTLE_RATES", {"open311": "1/min"})
    assert client.post(f"{BASE}/requests.json", {"api_key": "guess-1"}).status_code == 403
    assert client.post(f"{BASE}/requests.json", {"api_key": "guess-2"}).status_code == 429


def test_the_code_is_shown_where_sites_are_managed(client, cast, tree):
    client.force_login(cast.county)
    assert tree.village1.code in client.get("/sites/manage/").content.decode()
    assert (
        tree.village1.code in client.get(f"/sites/manage/{tree.village1.pk}/edit/").content.decode()
    )
