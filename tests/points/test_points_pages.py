"""Points pages: my points, the shop, staff hand-over, the county's settlement runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.points import services
from apps.points.models import Redemption, RedemptionStatus, SettlementRun, SettlementStatus
from apps.points.settlement import settle
from apps.volunteers.models import Volunteer

from .conftest import balance
from .factories import assessed_order, local


@pytest.fixture
def shelves(tree: Any, reward: Any) -> dict[str, Any]:
    return {
        "soap": reward(name="香皂", points_cost=8),
        "county_oil": reward(site=tree.county, name="食用油", points_cost=40),
        "t2_rice": reward(site=tree.town2, name="桃源大米", points_cost=30),
        "off": reward(name="过期月饼", points_cost=5, is_active=False),
    }


def test_my_points_page(
    login_as: Any, cast: Any, tree: Any, vol: Volunteer, item: Any, fund: Any
) -> None:
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "2.5")],
    )
    settle(dt.date(2024, 3, 1))
    fund(vol, 7)
    html = login_as(cast.vol1).get("/points/").content.decode()
    assert "我的积分" in html and "积分明细" in html
    assert "32 <small>分</small>" in html
    assert "累计获得 25 分" in html
    assert "再服务 97.5 小时可升一星" in html
    assert "陪老人就医（2.5 小时）" in html and "+25" in html and "测试充值" in html


def test_my_points_for_a_non_volunteer(login_as: Any, cast: Any, db: Any) -> None:
    resp = login_as(cast.res1).get("/points/")
    assert resp.status_code == 200
    assert "成为志愿者并参加服务后，就能获得积分" in resp.content.decode()


def test_pages_need_a_login(client: Any, db: Any) -> None:
    for url in ("/points/", "/points/shop/", "/points/handover/", "/points/settlements/"):
        resp = client.get(url)
        assert resp.status_code == 302 and "login" in resp["Location"], url


def test_shop_shows_the_volunteers_own_shops(
    login_as: Any, cast: Any, vol: Volunteer, fund: Any, shelves: dict[str, Any]
) -> None:
    fund(vol, 10)
    resp = login_as(cast.vol1).get("/points/shop/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "爱心超市" in html
    assert "可用积分：<strong>10</strong> 分" in html
    assert "香皂" in html and "食用油" in html
    assert "桃源大米" not in html and "过期月饼" not in html
    assert "积分不足" in html  # the 40-point oil
    assert login_as(cast.res1).get("/points/shop/").status_code == 404


def test_redeem_from_the_page_is_idempotent(
    login_as: Any, cast: Any, vol: Volunteer, fund: Any, shelves: dict[str, Any]
) -> None:
    fund(vol, 20)
    client = login_as(cast.vol1)
    url = f"/points/shop/{shelves['soap'].pk}/redeem/"
    first = client.post(url, {"idempotency_key": "form-1"})
    again = client.post(url, {"idempotency_key": "form-1"})
    assert first.status_code == again.status_code == 302
    assert Redemption.objects.count() == 1 and balance(vol) == 12
    elsewhere = client.post(
        f"/points/shop/{shelves['t2_rice'].pk}/redeem/", {"idempotency_key": "form-2"}, follow=True
    )
    assert "兑换商品不存在" in elsewhere.content.decode()
    assert Redemption.objects.count() == 1 and balance(vol) == 12


@pytest.fixture
def pending(cast: Any, vol: Volunteer, fund: Any, shelves: dict[str, Any]) -> Redemption:
    fund(vol, 20)
    r, _ = services.reward_redeem(actor=cast.vol1, reward_id=shelves["soap"].pk)
    return r


def test_handover_list_is_scoped(login_as: Any, cast: Any, pending: Redemption) -> None:
    html = login_as(cast.town1).get("/points/handover/").content.decode()
    assert "兑换领取" in html and "王志愿" in html and "确认领取" in html
    html = login_as(cast.town2).get("/points/handover/").content.decode()
    assert "兑换领取" in html and "王志愿" not in html and "没有符合条件的兑换记录" in html
    assert login_as(cast.vol1).get("/points/handover/").status_code == 404
    assert login_as(cast.res1).get("/points/handover/").status_code == 404


def test_hand_over_from_the_page(login_as: Any, cast: Any, pending: Redemption) -> None:
    login_as(cast.town2).post(f"/points/redemptions/{pending.pk}/hand-over/")
    pending.refresh_from_db()
    assert pending.status == RedemptionStatus.PENDING
    resp = login_as(cast.town1).post(f"/points/redemptions/{pending.pk}/hand-over/", follow=True)
    assert "王志愿 已领取 香皂" in resp.content.decode()
    pending.refresh_from_db()
    assert pending.status == RedemptionStatus.HANDED_OVER


def test_cancel_from_the_page_refunds(
    login_as: Any, cast: Any, vol: Volunteer, pending: Redemption
) -> None:
    client = login_as(cast.vol1)
    confirm = client.get(f"/points/redemptions/{pending.pk}/cancel/")
    assert "确认取消兑换“香皂”" in confirm.content.decode()
    assert login_as(cast.town2).get(f"/points/redemptions/{pending.pk}/cancel/").status_code == 404
    resp = login_as(cast.vol1).post(f"/points/redemptions/{pending.pk}/cancel/", follow=True)
    assert "已取消兑换，8 积分已退回" in resp.content.decode()
    assert balance(vol) == 20


def test_settlements_page_is_for_the_county(
    login_as: Any, cast: Any, tree: Any, vol: Volunteer, item: Any
) -> None:
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "2")],
    )
    for user in (cast.town1, cast.village1, cast.vol1, cast.res1):
        assert login_as(user).get("/points/settlements/").status_code == 404, user
        assert (
            login_as(user)
            .post("/points/settlements/", {"settlement_date": "2024-03-01"})
            .status_code
            == 404
        )
    assert not SettlementRun.objects.exists()

    client = login_as(cast.county)
    html = client.get("/points/settlements/").content.decode()
    assert "积分结算" in html and "还没有结算记录" in html
    resp = client.post("/points/settlements/", {"settlement_date": "2024-03-01"}, follow=True)
    html = resp.content.decode()
    assert "2024-03-01 结算完成：新增流水 1 笔，积分 20" in html
    run = SettlementRun.objects.get()
    assert (run.status, run.triggered_by_id) == (SettlementStatus.SUCCEEDED, cast.county.pk)
    assert "已完成" in html and "2024-03-01" in html
    # A rerun from the page adds nothing.
    resp = client.post("/points/settlements/", {"settlement_date": "2024-03-01"}, follow=True)
    assert "新增流水 0 笔" in resp.content.decode() and balance(vol) == 20
