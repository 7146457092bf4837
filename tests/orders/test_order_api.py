"""The order API end to end: the happy path, visibility, filters, idempotent POST,
error bodies, the menu API and the schema."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from apps.orders.models import OrderAssignment, ServiceItem, ServiceOrder
from tests.orders.factories import make_due, served_for

from .conftest import order_payload

pytestmark = pytest.mark.django_db


def png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, format="PNG")
    buf.name = "work.png"
    buf.seek(0)
    return buf


def test_happy_path_through_the_api(api_as, cast, v, m, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    res1, village1, vol1, town1 = (
        api_as(cast.res1),
        api_as(cast.village1),
        api_as(cast.vol1),
        api_as(cast.town1),
    )
    r = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert r.status_code == 201, r.content
    oid = r.json()["id"]
    assert r.json()["status"] == "submitted" and r.json()["site"] == m.village1.site_id

    r = village1.get(f"/api/v1/orders/{oid}/suggestions/")
    assert r.status_code == 200
    assert r.json()[0]["id"] == v.vol1.pk  # same point, matching skill
    r = village1.post(f"/api/v1/orders/{oid}/dispatch/", {"volunteers": [v.vol1.pk]}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "dispatched", r.content
    assert r.json()["assignments"][0]["volunteer"] == v.vol1.pk

    assert vol1.post(f"/api/v1/orders/{oid}/accept/").json()["status"] == "accepted"
    make_due(oid)
    assert vol1.post(f"/api/v1/orders/{oid}/start/").json()["status"] == "in_service"
    served_for(oid, hours=3)
    r = vol1.post(
        f"/api/v1/orders/{oid}/complete/",
        {"summary": "打扫卫生，陪老人聊天", "hours": "2.5", "photos": [png(), png()]},
        format="multipart",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "completed" and len(body["photos"]) == 2
    assert body["photos"][0]["thumbnail"]

    r = res1.post(f"/api/v1/orders/{oid}/rate/", {"score": 5, "comment": "很满意"}, format="json")
    assert r.json()["status"] == "rated" and r.json()["score"] == 5
    r = town1.post(
        f"/api/v1/orders/{oid}/assess/",
        {"approved": True, "hours": {str(v.vol1.pk): 2}, "comment": "属实"},
        format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "assessed" and body["assessed_at"]
    timeline = [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]]
    assert timeline == [
        ("place", "", "submitted"),
        ("dispatch", "submitted", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("start", "accepted", "in_service"),
        ("complete", "in_service", "completed"),
        ("rate", "completed", "rated"),
        ("assess", "rated", "assessed"),
    ]
    assert [e["actor"] for e in body["events"]][:2] == [
        cast.res1.display_name,
        cast.village1.display_name,
    ]
    order = ServiceOrder.objects.get(pk=oid)
    assert order.status == "assessed" and order.assessed_at <= timezone.now()
    a = OrderAssignment.objects.get(order=order)
    assert (a.reported_hours, a.confirmed_hours) == (Decimal("2.5"), Decimal("2"))


def test_idempotent_post_returns_the_first_order(api_as, cast, m):
    res1 = api_as(cast.res1)
    first = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="same-key"
    )
    again = res1.post(
        "/api/v1/orders/",
        order_payload(m.village1, note="  请上门 "),  # the same request, spelt differently
        format="json",
        HTTP_IDEMPOTENCY_KEY="same-key",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ServiceOrder.objects.count() == 1
    other = res1.post(
        "/api/v1/orders/",
        order_payload(m.village1),
        format="json",
        HTTP_IDEMPOTENCY_KEY="another-key",
    )
    plain = res1.post("/api/v1/orders/", order_payload(m.village1), format="json")
    assert (other.status_code, plain.status_code) == (201, 201)
    assert ServiceOrder.objects.count() == 3


def test_a_key_reused_for_another_service_is_refused(api_as, cast, m):
    res1 = api_as(cast.res1)
    first = res1.post(
        "/api/v1/orders/", order_payload(m.village1), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    other = res1.post(
        "/api/v1/orders/", order_payload(m.town1), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert ServiceOrder.objects.count() == 1


def test_errors_are_problem_bodies(api_as, cast, m, flow):
    res1 = api_as(cast.res1)
    r = res1.post("/api/v1/orders/", order_payload(m.village1, contact_mobile="123"), format="json")
    assert r.status_code == 400
    assert r.json()["code"] == "invalid" and "contact_mobile" in r.json()["errors"]
    order = flow("cancelled")
    r = api_as(cast.vol1).post(f"/api/v1/orders/{order.pk}/accept/")
    assert r.status_code == 404  # never assigned: not theirs
    done = flow("completed")
    r = res1.post(f"/api/v1/orders/{done.pk}/cancel/", {}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert r.json()["message"]
    r = api_as(cast.res9).post(f"/api/v1/orders/{done.pk}/rate/", {"score": 1}, format="json")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = res1.post(f"/api/v1/orders/{done.pk}/rate/", {"score": 9}, format="json")
    assert r.status_code == 400 and "score" in r.json()["errors"]
    waiting = flow("submitted")
    assert res1.post(f"/api/v1/orders/{waiting.pk}/nudge/").status_code == 200
    r = res1.post(f"/api/v1/orders/{waiting.pk}/nudge/")
    assert r.status_code == 429 and r.json()["code"] == "nudge_too_soon"
    assert api_as(cast.res1).get("/api/v1/orders/999999/").status_code == 404


def test_list_visibility(api_as, cast, v, flow, m):
    mine = flow("dispatched")

    def ids(user):
        r = api_as(user).get("/api/v1/orders/")
        assert r.status_code == 200
        return {o["id"] for o in r.json()["results"]}

    assert ids(cast.res1) == {mine.pk}
    assert ids(cast.vol1) == {mine.pk}
    assert ids(v.vol2.user) == set()
    assert ids(cast.village1) == ids(cast.town1) == ids(cast.county) == {mine.pk}
    assert ids(cast.town2) == ids(cast.res9) == ids(cast.nobody) == set()
    r = api_as(cast.town2).get(f"/api/v1/orders/{mine.pk}/")
    assert r.status_code == 404


def _page_sql_and_ids(client):
    """The order list's page query as run (its SQL) and the ids of the page's orders."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/api/v1/orders/")
    assert r.status_code == 200
    (sql,) = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith('SELECT "orders_serviceorder"."id"') and "LIMIT" in q["sql"]
    ]
    return sql, {o["id"] for o in r.json()["results"]}


def test_list_filter_is_left_out_only_when_every_site_is_managed(api_as, cast, flow, tree, m):
    from apps.sites.models import Site, SiteLevel

    mine = flow("submitted")

    def page_sql_and_ids(user):
        return _page_sql_and_ids(api_as(user))

    # One county, its administrator manages every site: no site filter at all.
    sql, ids = page_sql_and_ids(cast.county)
    assert ids == {mine.pk} and "ANY" not in sql and "WHERE" not in sql.split("ORDER BY")[0]
    # A second county in the same database: the filter is back, its order not shown.
    other = Site(name="另一县新时代文明实践中心", level=SiteLevel.COUNTY, parent=None)
    other.save()
    item = type(m.county).objects.create(site=other, title="外县服务", category="legal")
    theirs = type(mine).objects.get(pk=flow("submitted", item=m.county).pk)
    type(mine).objects.filter(pk=theirs.pk).update(site=other, handling_site=other, service=item)
    sql, ids = page_sql_and_ids(cast.county)
    assert ids == {mine.pk} and "ANY" in sql
    # Staff of a township keep their subtree's filter.
    sql, ids = page_sql_and_ids(cast.town1)
    assert ids == {mine.pk} and "ANY" in sql


def test_list_of_a_point_without_orders_of_ones_own_is_read_by_its_site(api_as, cast, flow, tree):
    mine = flow("submitted")  # res1's, at village1

    def page_sql_and_ids(user):
        sql, ids = _page_sql_and_ids(api_as(user))
        return sql.split(" WHERE ")[1].split("ORDER BY")[0], ids

    where, ids = page_sql_and_ids(cast.village1)
    assert ids == {mine.pk}
    assert f'"orders_serviceorder"."site_id" = {tree.village1.pk}' in where
    assert " OR " not in where and "resident_id" not in where
    # Once the staff member has an order of their own (placed elsewhere), it is shown too.
    type(mine).objects.filter(pk=flow("submitted").pk).update(
        resident=cast.village1, site=tree.village2
    )
    where, ids = page_sql_and_ids(cast.village1)
    assert len(ids) == 2 and " OR " in where and "resident_id" in where


def test_list_filters(api_as, cast, tree, m, flow):
    a = flow("submitted", item=m.village1)
    b = flow("completed", item=m.town1)
    county = api_as(cast.county)

    def ids(query):
        r = county.get(f"/api/v1/orders/?{query}")
        assert r.status_code == 200, r.content
        return {o["id"] for o in r.json()["results"]}

    assert ids("status=submitted") == {a.pk}
    assert ids("status=submitted,completed") == {a.pk, b.pk}
    assert ids(f"service={m.town1.pk}") == {b.pk}
    assert ids(f"site={tree.town1.pk}") == {a.pk, b.pk}
    assert ids(f"site={tree.town2.pk}") == set()
    today = timezone.localdate().isoformat()
    assert ids(f"date_from={today}&date_to={today}") == {a.pk, b.pk}
    assert ids("date_from=2000-01-01&date_to=2000-01-02") == set()
    assert county.get("/api/v1/orders/?status=bogus").status_code == 400
    r = county.get("/api/v1/orders/?page_size=1")
    assert r.json()["count"] == 2 and len(r.json()["results"]) == 1


def test_menu_api(api_as, cast, tree, m):
    res1 = api_as(cast.res1)
    r = res1.get(f"/api/v1/services/?site={tree.village1.pk}")
    assert r.status_code == 200
    titles = [i["title"] for i in r.json()["results"]]
    assert set(titles) == {"法律援助咨询", "健康义诊", "助老上门服务"}
    assert titles[0] == "助老上门服务"  # the point's own items first
    assert {i["title"] for i in res1.get("/api/v1/services/").json()["results"]} == set(titles)
    assert res1.get("/api/v1/services/?site=999999").status_code == 404

    town1 = api_as(cast.town1)
    r = town1.post(
        "/api/v1/services/",
        {
            "site": tree.village1b.pk,
            "title": "读书会",
            "category": "education",
            "points_per_hour": 8,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    item_id = r.json()["id"]
    assert (
        api_as(cast.town2)
        .post(
            "/api/v1/services/",
            {"site": tree.village1.pk, "title": "x", "category": "other"},
            format="json",
        )
        .status_code
        == 404
    )
    assert (
        res1.post(
            "/api/v1/services/",
            {"site": tree.village1.pk, "title": "x", "category": "other"},
            format="json",
        ).status_code
        == 404
    )
    dup = town1.post(
        "/api/v1/services/",
        {"site": tree.village1b.pk, "title": "读书会", "category": "education"},
        format="json",
    )
    assert dup.status_code == 400 and "title" in dup.json()["errors"]

    r = town1.patch(f"/api/v1/services/{m.village1.pk}/", {"is_active": False}, format="json")
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (
        api_as(cast.town2)
        .patch(f"/api/v1/services/{m.village1.pk}/", {"title": "x"}, format="json")
        .status_code
        == 404
    )
    titles = {
        i["title"] for i in res1.get(f"/api/v1/services/?site={tree.village1.pk}").json()["results"]
    }
    assert "助老上门服务" not in titles
    managed = {i["id"] for i in town1.get("/api/v1/services/").json()["results"]}
    assert {item_id, m.village1.pk, m.town1.pk} <= managed and m.county.pk not in managed
    assert ServiceItem.objects.get(pk=item_id).created_by == cast.town1


def test_staff_place_an_order_for_a_resident(api_as, cast, tree, m):
    r = api_as(cast.village1).post(
        "/api/v1/orders/",
        order_payload(m.village1, resident=cast.res1.pk, site=tree.village1.pk),
        format="json",
    )
    assert r.status_code == 201, r.content
    order = ServiceOrder.objects.get(pk=r.json()["id"])
    assert (order.resident, order.placed_by) == (cast.res1, cast.village1)


def test_schema_documents_the_order_api(api_as, cast):
    r = api_as(cast.county).get("/api/schema/?format=json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for action in (
        "dispatch",
        "accept",
        "decline",
        "start",
        "complete",
        "rate",
        "assess",
        "cancel",
        "reject",
        "escalate",
        "nudge",
        "dispute",
    ):
        assert f"/api/v1/orders/{{id}}/{action}/" in paths, action
    assert "/api/v1/services/" in paths
    params = {p["name"] for p in paths["/api/v1/orders/"]["post"].get("parameters", [])}
    assert "Idempotency-Key" in params
