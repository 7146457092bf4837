"""整改/清退: menu items rated below 3.5 over at least 5 ratings, or with no orders in 90
days, listed for review with a one-click retire."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.orders.models import ServiceItem, ServiceOrder
from apps.reports.selectors import items_needing_attention
from tests.orders.factories import ServiceItemFactory

pytestmark = pytest.mark.django_db


def make_item(site: Any, title: str, *, age_days: int = 200) -> ServiceItem:
    item = ServiceItemFactory(site=site, title=title)
    ServiceItem.objects.filter(pk=item.pk).update(
        created_at=timezone.now() - dt.timedelta(days=age_days)
    )
    return item


def orders(item: Any, resident: Any, scores: list[int | None], *, days_ago: int = 1) -> None:
    when = timezone.now() - dt.timedelta(days=days_ago)
    for score in scores:
        o = ServiceOrder.objects.create(
            service=item,
            site=item.site,
            handling_site=item.site,
            resident=resident,
            placed_by=resident,
            address="地址",
            contact_mobile="13600000001",
            preferred_start=when,
            preferred_end=when + dt.timedelta(hours=1),
            status="rated" if score else "submitted",
            score=score,
        )
        ServiceOrder.objects.filter(pk=o.pk).update(created_at=when)


@pytest.fixture
def menu(tree: Any, cast: Any) -> dict[str, ServiceItem]:
    res = cast.res1
    m = {
        "low5": make_item(tree.town1, "低分五评"),  # 3,3,3,4,3 = 3.2 over 5: listed
        "low4": make_item(tree.town1, "低分四评"),  # 1,1,1,1 over 4: not enough ratings
        "at35": make_item(tree.village1, "三点五分"),  # 3,4,3,4,3,4 = 3.5: not below
        "unused": make_item(tree.village1, "无人问津"),  # created 200 days ago, never ordered
        "stale": make_item(tree.town1, "久未点单"),  # last order 120 days ago
        "recent": make_item(tree.town1, "近期有单"),  # an order 89 days ago
        "new": make_item(tree.town1, "新上架", age_days=10),  # new, no orders yet: not listed
        "town2": make_item(tree.town2, "桃源冷门"),  # unused, under town2
    }
    orders(m["low5"], res, [3, 3, 3, 4, 3])
    orders(m["low4"], res, [1, 1, 1, 1])
    orders(m["at35"], res, [3, 4, 3, 4, 3, 4])
    orders(m["stale"], res, [5], days_ago=120)
    orders(m["recent"], res, [None], days_ago=89)
    return m


def titles(qs: Any) -> set[str]:
    return {i.title for i in qs}


def test_items_needing_attention(menu: dict[str, ServiceItem], cast: Any) -> None:
    listed = items_needing_attention(fetched_by=cast.county)
    assert titles(listed) == {"低分五评", "无人问津", "久未点单", "桃源冷门"}
    low = next(i for i in listed if i.title == "低分五评")
    assert (low.rating_count, round(low.rating_avg, 2), low.used_recently) == (5, 3.2, True)
    # town1's staff see their subtree only; town2 theirs.
    assert titles(items_needing_attention(fetched_by=cast.town1)) == {
        "低分五评",
        "无人问津",
        "久未点单",
    }
    assert titles(items_needing_attention(fetched_by=cast.town2)) == {"桃源冷门"}
    assert not items_needing_attention(fetched_by=cast.res1).exists()


def test_a_fifth_low_rating_lists_the_item(menu: dict[str, ServiceItem], cast: Any) -> None:
    orders(menu["low4"], cast.res1, [1])
    assert "低分四评" in titles(items_needing_attention(fetched_by=cast.county))


def test_items_page_lists_and_retires(
    menu: dict[str, ServiceItem], cast: Any, login_as: Any
) -> None:
    client = login_as(cast.county)
    page = client.get("/reports/items/").content.decode()
    assert "低分五评" in page and "无人问津" in page and "近期有单" not in page
    response = client.post("/reports/items/", {"item": menu["low5"].pk})
    assert response.status_code == 302
    menu["low5"].refresh_from_db()
    assert menu["low5"].is_active is False
    after = client.get("/reports/items/").content.decode()
    assert "已下架：低分五评" in after  # the message, and no longer a row to retire
    assert f'name="item" value="{menu["low5"].pk}"' not in after
    assert f'name="item" value="{menu["unused"].pk}"' in after


def test_town2_cannot_retire_town1s_item(
    menu: dict[str, ServiceItem], cast: Any, login_as: Any
) -> None:
    client = login_as(cast.town2)
    page = client.get("/reports/items/").content.decode()
    assert "桃源冷门" in page and "低分五评" not in page and "无人问津" not in page
    response = client.post("/reports/items/", {"item": menu["low5"].pk}, follow=True)
    assert response.status_code == 200
    menu["low5"].refresh_from_db()
    assert menu["low5"].is_active is True
    assert "服务项目不存在" in response.content.decode()


@pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
def test_items_page_is_staff_only(
    menu: dict[str, ServiceItem], cast: Any, login_as: Any, who: str
) -> None:
    client = login_as(getattr(cast, who))
    assert client.get("/reports/items/").status_code == 404
    assert client.post("/reports/items/", {"item": menu["unused"].pk}).status_code == 404
    menu["unused"].refresh_from_db()
    assert menu["unused"].is_active is True
