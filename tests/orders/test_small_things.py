"""Small things seen in the demo: the board says how long an order has waited, the
record-service date is ISO (a date input shows it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from apps.sites.models import Site
from apps.volunteers.forms import ServiceRecordForm

pytestmark = pytest.mark.django_db


def test_board_says_how_long_an_order_has_waited(login_as: Any, cast: Any, flow: Any) -> None:
    flow("submitted")
    html = login_as(cast.village1).get("/orders/board/").content.decode()
    assert "已等待 " in html and "之前" not in html


def test_service_date_renders_as_iso_for_the_date_input(tree: Any) -> None:
    today = timezone.localdate()
    form = ServiceRecordForm(sites=Site.objects.all(), initial={"service_date": today})
    assert f'value="{today:%Y-%m-%d}"' in str(form["service_date"])


def test_village_staff_navigation_has_no_assessment(login_as: Any, cast: Any) -> None:
    html = login_as(cast.village1).get("/orders/board/").content.decode()
    assert "/orders/assessment/" not in html


def test_board_card_picks_several_volunteers(login_as: Any, cast: Any, v: Any, flow: Any) -> None:
    order = flow("submitted", needed=2)
    client = login_as(cast.village1)
    html = client.get("/orders/board/").content.decode()
    card = html[html.index(f'id="order-{order.pk}"') :]
    assert "需 2 人，已选 <output" in card and 'type="checkbox" name="volunteers"' in card
    client.post(
        f"/orders/{order.pk}/dispatch/",
        {"volunteers": [v.vol1.pk, v.vol2.pk], "next": "/orders/board/"},
    )
    order.refresh_from_db()
    assert order.status == "dispatched"
    assert set(order.assignments.values_list("volunteer_id", flat=True)) == {v.vol1.pk, v.vol2.pk}


def test_assessing_from_the_queue_returns_to_the_queue(login_as: Any, cast: Any, flow: Any) -> None:
    order = flow("rated")
    client = login_as(cast.town1)
    queue = client.get("/orders/assessment/").content.decode()
    link = f"/orders/{order.pk}/assess/?next=/orders/assessment/"
    assert link in queue
    form = client.get(link).content.decode()
    assert 'name="next" value="/orders/assessment/"' in form


def test_my_tasks_filters_badges_and_waiting_for_a_partner(
    login_as: Any, cast: Any, v: Any, flow: Any
) -> None:
    from apps.orders import services

    pair = flow("dispatched", needed=2, volunteers=[v.vol1, v.vol2])
    services.order_accept(order_id=pair.pk, actor=v.vol1.user)
    finished = flow("assessed")
    client = login_as(cast.vol1)
    open_html = client.get("/orders/tasks/").content.decode()
    assert "正在等待 李强 接单" in open_html and "已接单，等同伴" in open_html
    assert f"/orders/{finished.pk}/" not in open_html
    done_html = client.get("/orders/tasks/?show=done").content.decode()
    assert f"/orders/{finished.pk}/" in done_html and f"/orders/{pair.pk}/" not in done_html
    # One badge for the finished task: the order's state, not "已接单" beside "已考核".
    card = done_html[done_html.index(f"/orders/{finished.pk}/") :]
    card = card[: card.index("</article>")]
    assert card.count('class="status') == 1 and "已考核" in card
