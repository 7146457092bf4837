"""Start pages: the resident's current orders and what each waits for; staff and
county admins' day's work as counts linking to filtered lists, at a fixed query count."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import FamilyProxy
from apps.orders.models import ServiceOrder
from apps.volunteers.models import VolunteerStatus
from tests.factories import UserFactory

from .factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def test_resident_home_lists_current_orders_and_what_they_wait_for(
    login_as: Any, cast: Any, flow: Any
) -> None:
    waiting = flow("submitted")
    done = flow("completed")
    closed = flow("cancelled")
    html = login_as(cast.res1).get("/").content.decode()
    assert f"/orders/{waiting.pk}/" in html and "等待工作人员派单" in html
    assert f"/orders/{done.pk}/rate/" in html and "等待您评价" in html
    assert f"/orders/{closed.pk}/" not in html


def test_family_proxy_home_shows_the_elders_orders(login_as: Any, cast: Any, flow: Any) -> None:
    son = UserFactory(username="son", mobile="13800000077")
    FamilyProxy.objects.create(elder=cast.res1, proxy=son)
    order = flow("dispatched")
    html = login_as(son).get("/").content.decode()
    assert f"/orders/{order.pk}/" in html and "等待志愿者接单" in html and "点的单" in html


def tile(html: str, key: str) -> str:
    start = html.index(f'id="tile-{key}"')
    return html[html.rindex("<a", 0, start) : html.index("</a>", start)]


def test_staff_home_counts_link_to_filtered_lists(
    login_as: Any, cast: Any, flow: Any, v: Any, tree: Any
) -> None:
    flow("submitted")
    nudged = flow("submitted")
    ServiceOrder.objects.filter(pk=nudged.pk).update(
        last_nudged_at=timezone.now(), overdue_at=timezone.now()
    )
    flow("rated")
    html = login_as(cast.town1).get("/").content.decode()
    assert 'href="/orders/board/?status=submitted"' in tile(html, "waiting")
    assert '<span class="start-count">2</span>' in tile(html, "waiting")
    assert '<span class="start-count">1</span>' in tile(html, "nudged")
    assert "?nudged=1" in tile(html, "nudged") and "?overdue=1" in tile(html, "overdue")
    assert '<span class="start-count">1</span>' in tile(html, "assess")
    # v.pending: one application at village1.
    assert '<span class="start-count">1</span>' in tile(html, "applications")
    assert "/volunteers/roster/?status=pending" in tile(html, "applications")
    # The other township sees none of it.
    other = login_as(cast.town2).get("/").content.decode()
    assert '<span class="start-count">0</span>' in tile(other, "waiting")
    # The board honours the overdue filter the tile links to.
    board = login_as(cast.town1).get("/orders/board/?overdue=1").content.decode()
    assert f'id="order-{nudged.pk}"' in board


def test_village_staff_neither_see_nor_count_assessment(login_as: Any, cast: Any) -> None:
    html = login_as(cast.village1).get("/").content.decode()
    assert 'id="tile-assess"' not in html
    assert "考核定单" not in html
    assert "考核定单" in login_as(cast.town1).get("/").content.decode()


def test_staff_home_query_count_does_not_grow(
    login_as: Any, cast: Any, flow: Any, tree: Any
) -> None:
    client = login_as(cast.county)
    client.get("/")
    flow("submitted")

    def measure() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx)

    few = measure()
    for _ in range(3):
        flow("submitted")
        flow("rated")
    for _ in range(3):
        VolunteerFactory(site=tree.village1, status=VolunteerStatus.PENDING)
    assert measure() == few
