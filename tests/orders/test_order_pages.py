"""Order pages without JavaScript: menu, order form (one-time token), my orders,
my tasks, the dispatch board (and its refresh partial), action pages, assessment,
menu management."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from apps.orders.models import OrderAssignment, OrderPhoto, ServiceItem, ServiceOrder
from tests.orders.factories import make_due, served_for

from .conftest import window

pytestmark = pytest.mark.django_db


def form_data(item, **overrides):
    start, end = window()
    data = {
        "service": item.pk,
        "address": "东关社区 3 号楼",
        "contact_mobile": "13600000001",
        "preferred_start": start.strftime("%Y-%m-%dT%H:%M"),
        "preferred_end": end.strftime("%Y-%m-%dT%H:%M"),
        "note": "",
        "token": "tok-1",
    }
    data.update(overrides)
    return data


def test_menu_shows_the_point_township_and_county_items(login_as, cast, m):
    html = login_as(cast.res1).get("/orders/menu/").content.decode()
    for title in ("助老上门服务", "健康义诊", "法律援助咨询"):
        assert title in html
    assert "农技科普" not in html
    assert f"/orders/new/?service={m.village1.pk}&amp;site={m.village1.site_id}" in html


def test_order_form_submitted_twice_makes_one_order(login_as, cast, m):
    client = login_as(cast.res1)
    page = client.get(f"/orders/new/?service={m.village1.pk}")
    assert page.status_code == 200 and 'name="token"' in page.content.decode()
    first = client.post("/orders/new/", form_data(m.village1))
    order = ServiceOrder.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/orders/{order.pk}/"
    again = client.post("/orders/new/", form_data(m.village1))
    assert again["Location"] == f"/orders/{order.pk}/"
    assert ServiceOrder.objects.count() == 1
    assert order.idempotency_key == "form-tok-1"
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "待派单" in detail and "助老上门服务" in detail


def test_order_form_shows_service_errors_on_fields(login_as, cast, m):
    r = login_as(cast.res1).post("/orders/new/", form_data(m.village1, contact_mobile="123"))
    assert r.status_code == 400
    assert "请输入有效的 11 位中国大陆手机号码" in r.content.decode()
    r = login_as(cast.res1).post("/orders/new/", form_data(m.village2))
    assert r.status_code == 400  # not on this point's menu: not even a choice
    assert not ServiceOrder.objects.exists()


def test_my_orders_show_the_timeline(login_as, cast, flow):
    order = flow("accepted")
    html = login_as(cast.res1).get("/orders/mine/").content.decode()
    assert f"/orders/{order.pk}/" in html
    for step in ("点单", "派单", "接单"):
        assert step in html
    assert "张丽 接单" in html
    assert login_as(cast.res9).get("/orders/mine/").content.decode().count("order-card") == 0


def test_volunteer_accepts_starts_and_completes_with_photos_on_pages(
    login_as, cast, flow, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    order = flow("dispatched")
    client = login_as(cast.vol1)
    html = client.get("/orders/tasks/").content.decode()
    assert f"/orders/{order.pk}/accept/" in html
    r = client.post(f"/orders/{order.pk}/accept/", {"next": "/orders/tasks/"})
    assert r.status_code == 302 and r["Location"] == "/orders/tasks/"
    make_due(order.pk)
    client.post(f"/orders/{order.pk}/start/")
    served_for(order.pk, hours=2)
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (0, 80, 160)).save(buf, format="JPEG")
    photo = SimpleUploadedFile("p.jpg", buf.getvalue(), content_type="image/jpeg")
    r = client.post(
        f"/orders/{order.pk}/complete/",
        {"summary": "陪老人散步", "hours": "1.5", "photos": [photo]},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    order.refresh_from_db()
    assert order.status == "completed"
    assert OrderPhoto.objects.filter(order=order).count() == 1
    assert "陪老人散步" in client.get(f"/orders/{order.pk}/").content.decode()


def test_illegal_action_on_a_page_explains_itself(login_as, cast, flow):
    order = flow("dispatched")
    login_as(cast.res1).post(f"/orders/{order.pk}/cancel/", {"reason": ""})
    r = login_as(cast.vol1).post(f"/orders/{order.pk}/accept/")
    assert r.status_code == 409
    assert "不能接单" in r.content.decode()
    assert login_as(cast.town2).get(f"/orders/{order.pk}/").status_code == 404
    assert (
        login_as(cast.town2).post(f"/orders/{order.pk}/reject/", {"reason": "x"}).status_code == 404
    )


def test_board_marks_nudged_orders_and_dispatches_in_one_click(login_as, cast, v, flow):
    order = flow("submitted")
    login_as(cast.res1).post(f"/orders/{order.pk}/nudge/")
    client = login_as(cast.village1)
    page = client.get("/orders/board/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="board-rows"' in html and "board.js" in html and 'http-equiv="refresh"' in html
    assert "催单 1 次" in html and "派给 张丽" in html
    partial = client.get("/orders/board/?status=&partial=1").content.decode()
    assert "<html" not in partial and f'id="order-{order.pk}"' in partial
    # A one-click dispatch from refreshed rows returns to the whole board.
    assert 'name="next" value="/orders/board/?status="' in partial
    r = client.post(
        f"/orders/{order.pk}/dispatch/",
        {"volunteers": [v.vol1.pk], "next": "/orders/board/?status="},
    )
    assert r.status_code == 302 and r["Location"] == "/orders/board/?status="
    assert OrderAssignment.objects.get(order=order).volunteer == v.vol1
    nudged_only = client.get("/orders/board/?nudged=1").content.decode()
    assert f'id="order-{order.pk}"' in nudged_only
    assert login_as(cast.res1).get("/orders/board/").status_code == 404
    assert (
        f'id="order-{order.pk}"' not in login_as(cast.town2).get("/orders/board/").content.decode()
    )


def test_dispatch_page_lists_ranked_volunteers_of_the_point(login_as, cast, v, flow):
    order = flow("submitted")
    html = login_as(cast.village1).get(f"/orders/{order.pk}/dispatch/").content.decode()
    assert "张丽" in html and "李强" in html
    assert "王芳" not in html and "赵磊" not in html and "陈静" not in html


def test_assessment_queue_and_form(login_as, cast, v, flow):
    order = flow("rated")
    html = login_as(cast.town1).get("/orders/assessment/").content.decode()
    assert f"/orders/{order.pk}/assess/" in html
    assert (
        f"/orders/{order.pk}/assess/"
        not in login_as(cast.town2).get("/orders/assessment/").content.decode()
    )
    assert "无需考核" in login_as(cast.village1).get("/orders/assessment/").content.decode()
    form = login_as(cast.town1).get(f"/orders/{order.pk}/assess/").content.decode()
    assert f'name="hours_{v.vol1.pk}"' in form
    r = login_as(cast.town1).post(
        f"/orders/{order.pk}/assess/",
        {"approved": "yes", f"hours_{v.vol1.pk}": "1.5", "comment": ""},
    )
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status == "assessed"
    assert str(OrderAssignment.objects.get(order=order).confirmed_hours) == "1.5"


def test_menu_management(login_as, cast, tree, m):
    client = login_as(cast.village1)
    assert "助老上门服务" in client.get("/orders/items/").content.decode()
    r = client.post(
        "/orders/items/new/",
        {
            "site": tree.village1.pk,
            "title": "剪纸兴趣班",
            "category": "culture",
            "description": "",
            "duration_hours": "2",
            "points_per_hour": "10",
            "volunteers_needed": "1",
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    item = ServiceItem.objects.get(title="剪纸兴趣班")
    assert item.site == tree.village1 and item.created_by == cast.village1
    r = client.post(
        f"/orders/items/{item.pk}/edit/",
        {
            "title": "剪纸兴趣班",
            "category": "culture",
            "duration_hours": "2",
            "points_per_hour": "12",
            "volunteers_needed": "1",
        },
    )
    item.refresh_from_db()
    assert r.status_code == 302 and item.points_per_hour == 12 and not item.is_active
    assert login_as(cast.town2).get(f"/orders/items/{item.pk}/edit/").status_code == 404
    assert login_as(cast.village1).get(f"/orders/items/{m.town1.pk}/edit/").status_code == 404


def test_staff_take_an_order_by_phone(login_as, cast, tree, m):
    client = login_as(cast.village1)
    data = form_data(m.village1, resident_mobile="136 0000 0001", site=tree.village1.pk, token="p1")
    r = client.post("/orders/proxy/", data)
    assert r.status_code == 302
    order = ServiceOrder.objects.get()
    assert (order.resident, order.placed_by) == (cast.res1, cast.village1)
    r = client.post(
        "/orders/proxy/",
        form_data(m.village1, resident_mobile="13811112222", site=tree.village1.pk, token="p2"),
    )
    assert r.status_code == 400 and "还没有在平台登记" in r.content.decode()


def test_navigation_lists_the_order_pages(login_as, cast):
    assert "/orders/menu/" in login_as(cast.res1).get("/").content.decode()
    html = login_as(cast.town1).get("/").content.decode()
    assert "/orders/board/" in html and "/orders/assessment/" in html
