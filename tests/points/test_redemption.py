"""Rewards and redemption through the API: debit and stock in one transaction, the
Idempotency-Key, every refusal, hand-over by the shop's staff, cancel with refund."""

from __future__ import annotations

from typing import Any

import pytest

from apps.points.models import (
    AccountKind,
    EntryKind,
    LedgerTransaction,
    Redemption,
    RedemptionStatus,
    Reward,
)
from apps.points.verification import verify_ledger
from apps.volunteers.models import Volunteer, VolunteerStatus

from .conftest import balance, site_balance


def redeem(client: Any, reward: Reward, key: str | None = None) -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/rewards/{reward.pk}/redeem/", **headers)


@pytest.fixture
def funded(vol: Volunteer, fund: Any) -> Volunteer:
    fund(vol, 100)
    return vol


def debits(volunteer: Volunteer) -> int:
    return LedgerTransaction.objects.filter(kind=EntryKind.REDEMPTION, volunteer=volunteer).count()


def test_redeem_debits_points_and_decrements_stock(
    api_as: Any, cast: Any, tree: Any, funded: Volunteer, reward: Any
) -> None:
    rice = reward(name="大米", points_cost=30, stock=5)

    resp = redeem(api_as(cast.vol1), rice)

    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["reward"], body["points"], body["status"], body["site"]) == (
        rice.pk,
        30,
        "pending",
        tree.town1.pk,
    )
    r = Redemption.objects.get(pk=body["id"])
    assert (r.volunteer_id, r.site_id, r.points) == (funded.pk, tree.town1.pk, 30)
    rice.refresh_from_db()
    assert rice.stock == 4
    assert balance(funded) == 70
    assert site_balance(tree.town1, AccountKind.SHOP) == 30
    txn = LedgerTransaction.objects.get(source_key=f"redemption:{r.pk}")
    assert (txn.kind, txn.amount, txn.volunteer_id, txn.site_id) == (
        EntryKind.REDEMPTION,
        30,
        funded.pk,
        tree.town1.pk,
    )
    assert sorted(txn.legs.values_list("amount", "account__kind")) == [
        (-30, AccountKind.VOLUNTEER),
        (30, AccountKind.SHOP),
    ]
    assert verify_ledger().ok


def test_idempotency_key_makes_a_repeat_harmless(
    api_as: Any, cast: Any, funded: Volunteer, reward: Any
) -> None:
    rice = reward(points_cost=30, stock=5)
    client = api_as(cast.vol1)

    first = redeem(client, rice, key="tap-1")
    again = redeem(client, rice, key="tap-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert debits(funded) == 1 and Redemption.objects.count() == 1
    assert balance(funded) == 70
    rice.refresh_from_db()
    assert rice.stock == 4
    # A different key is a different redemption.
    assert redeem(client, rice, key="tap-2").status_code == 201
    assert debits(funded) == 2 and balance(funded) == 40


def test_a_key_reused_for_another_reward_is_refused(
    api_as: Any, cast: Any, funded: Volunteer, reward: Any
) -> None:
    rice, soap = reward(points_cost=30, stock=5), reward(points_cost=8, stock=5)
    client = api_as(cast.vol1)
    assert redeem(client, rice, key="tap-1").status_code == 201
    resp = redeem(client, soap, key="tap-1")
    assert resp.status_code == 409 and resp.json()["code"] == "idempotency_key_reused"
    assert debits(funded) == 1 and balance(funded) == 70
    soap.refresh_from_db()
    assert soap.stock == 5


def test_a_bad_idempotency_key_is_refused(
    api_as: Any, cast: Any, funded: Volunteer, reward: Any
) -> None:
    rice = reward(points_cost=30)
    resp = redeem(api_as(cast.vol1), rice, key="x" * 101)
    assert resp.status_code == 400 and "idempotency_key" in resp.json()["errors"]
    assert balance(funded) == 100 and not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"stock": 0}, "out_of_stock"),
        ({"points_cost": 101}, "insufficient_points"),
        ({"is_active": False}, "reward_inactive"),
    ],
)
def test_refusals_change_nothing(
    api_as: Any, cast: Any, funded: Volunteer, reward: Any, fields: dict[str, Any], code: str
) -> None:
    r = reward(**{"points_cost": 30, "stock": 3, **fields})
    resp = redeem(api_as(cast.vol1), r, key="k")
    assert resp.status_code == 409, resp.json()
    assert resp.json()["code"] == code
    assert balance(funded) == 100 and not Redemption.objects.exists()
    stock = Reward.objects.get(pk=r.pk).stock
    assert stock == fields.get("stock", 3)


def test_exact_balance_can_be_spent(api_as: Any, cast: Any, funded: Volunteer, reward: Any) -> None:
    assert redeem(api_as(cast.vol1), reward(points_cost=100)).status_code == 201
    assert balance(funded) == 0
    resp = redeem(api_as(cast.vol1), reward(name="洗衣粉", points_cost=1))
    assert (resp.status_code, resp.json()["code"]) == (409, "insufficient_points")


def test_per_volunteer_limit(api_as: Any, cast: Any, funded: Volunteer, reward: Any) -> None:
    oil = reward(name="食用油", points_cost=10, stock=10, per_volunteer_limit=2)
    client = api_as(cast.vol1)
    first = redeem(client, oil).json()
    assert redeem(client, oil).status_code == 201
    third = redeem(client, oil)
    assert (third.status_code, third.json()["code"]) == (409, "limit_reached")
    assert balance(funded) == 80
    # A cancelled redemption no longer counts against the limit.
    assert client.post(f"/api/v1/redemptions/{first['id']}/cancel/").status_code == 200
    assert redeem(client, oil).status_code == 201
    assert Redemption.objects.exclude(status=RedemptionStatus.CANCELLED).count() == 2
    assert balance(funded) == 80


def test_a_reward_at_another_townships_shop_is_not_found(
    api_as: Any, cast: Any, tree: Any, funded: Volunteer, reward: Any
) -> None:
    elsewhere = reward(site=tree.town2, points_cost=10)
    resp = redeem(api_as(cast.vol1), elsewhere)
    assert (resp.status_code, resp.json()["code"]) == (404, "not_found")
    assert redeem(api_as(cast.vol1), Reward(pk=999_999)).status_code == 404
    assert balance(funded) == 100 and Reward.objects.get(pk=elsewhere.pk).stock == 10
    # The county center's shop is an ancestor's: open to every volunteer of the county.
    assert redeem(api_as(cast.vol1), reward(site=tree.county, points_cost=10)).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rewards/abc/redeem/",
        "/api/v1/redemptions/abc/cancel/",
        "/api/v1/redemptions/1x/hand-over/",
    ],
)
def test_a_non_numeric_id_is_404_not_500(
    api_as: Any, cast: Any, funded: Volunteer, url: str
) -> None:
    resp = api_as(cast.vol1).post(url)
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"


def test_only_approved_volunteers_redeem(
    api_as: Any, cast: Any, funded: Volunteer, reward: Any
) -> None:
    soap = reward()
    resp = redeem(api_as(cast.res1), soap)
    assert (resp.status_code, resp.json()["code"]) == (403, "not_volunteer")
    Volunteer.objects.filter(pk=funded.pk).update(status=VolunteerStatus.SUSPENDED)
    assert redeem(api_as(cast.vol1), soap).status_code == 403
    assert not Redemption.objects.exists()


@pytest.fixture
def pending(api_as: Any, cast: Any, funded: Volunteer, reward: Any) -> Redemption:
    resp = redeem(api_as(cast.vol1), reward(name="土鸡蛋", points_cost=25, stock=2))
    assert resp.status_code == 201
    return Redemption.objects.get(pk=resp.json()["id"])


def test_hand_over_by_staff_of_the_shops_site(api_as: Any, cast: Any, pending: Redemption) -> None:
    url = f"/api/v1/redemptions/{pending.pk}/hand-over/"
    for outsider in (cast.town2, cast.village1, cast.vol1, cast.res9):
        resp = api_as(outsider).post(url)
        assert resp.status_code == 404, outsider
    pending.refresh_from_db()
    assert pending.status == RedemptionStatus.PENDING and pending.handed_over_at is None

    resp = api_as(cast.town1).post(url)

    assert resp.status_code == 200 and resp.json()["status"] == "handed_over"
    pending.refresh_from_db()
    assert (pending.status, pending.handed_over_by_id) == (
        RedemptionStatus.HANDED_OVER,
        cast.town1.pk,
    )
    assert pending.handed_over_at is not None
    # Handed over is final: no second hand-over, no cancel, no refund.
    again = api_as(cast.town1).post(url)
    assert (again.status_code, again.json()["code"]) == (409, "illegal_transition")
    cancel = api_as(cast.vol1).post(f"/api/v1/redemptions/{pending.pk}/cancel/")
    assert cancel.status_code == 409
    assert balance(pending.volunteer) == 75
    assert not LedgerTransaction.objects.filter(kind=EntryKind.REFUND).exists()


@pytest.mark.parametrize("who", ["vol1", "town1", "county"])
def test_cancel_refunds_and_restores_stock(
    api_as: Any, cast: Any, tree: Any, pending: Redemption, who: str
) -> None:
    url = f"/api/v1/redemptions/{pending.pk}/cancel/"
    assert api_as(cast.town2).post(url, {"reason": "x"}).status_code == 404
    assert balance(pending.volunteer) == 75

    resp = api_as(getattr(cast, who)).post(url, {"reason": "不需要了"}, format="json")

    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    pending.refresh_from_db()
    assert (pending.status, pending.cancel_reason, pending.cancelled_by_id) == (
        RedemptionStatus.CANCELLED,
        "不需要了",
        getattr(cast, who).pk,
    )
    assert balance(pending.volunteer) == 100
    assert Reward.objects.get(pk=pending.reward_id).stock == 2
    assert site_balance(tree.town1, AccountKind.SHOP) == 0
    refund = LedgerTransaction.objects.get(source_key=f"refund:{pending.pk}")
    assert (refund.kind, refund.amount) == (EntryKind.REFUND, 25)
    assert sorted(refund.legs.values_list("amount", "account__kind")) == [
        (-25, AccountKind.SHOP),
        (25, AccountKind.VOLUNTEER),
    ]
    # The refund is not earnings.
    assert pending.volunteer.points_account.lifetime_earned == 0

    twice = api_as(getattr(cast, who)).post(url)
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    assert LedgerTransaction.objects.filter(kind=EntryKind.REFUND).count() == 1
    assert balance(pending.volunteer) == 100
    assert (
        api_as(cast.town1).post(f"/api/v1/redemptions/{pending.pk}/hand-over/").status_code == 409
    )
    assert verify_ledger().ok


def test_redemption_list_is_scoped(api_as: Any, cast: Any, pending: Redemption) -> None:
    def ids(user: Any) -> list[int]:
        resp = api_as(user).get("/api/v1/redemptions/")
        assert resp.status_code == 200
        return [r["id"] for r in resp.json()["results"]]

    assert ids(cast.vol1) == [pending.pk]
    assert ids(cast.town1) == [pending.pk]
    assert ids(cast.county) == [pending.pk]
    assert ids(cast.town2) == []
    assert ids(cast.res1) == []


def test_reward_list_for_a_volunteer_shows_only_their_shops(
    api_as: Any, cast: Any, tree: Any, vol: Volunteer, reward: Any
) -> None:
    mine = reward(name="香皂")
    county = reward(site=tree.county, name="毛巾")
    reward(site=tree.town2, name="桃源大米")
    reward(name="下架商品", is_active=False)
    resp = api_as(cast.vol1).get("/api/v1/rewards/")
    assert resp.status_code == 200
    got = {r["id"]: r for r in resp.json()["results"]}
    assert set(got) == {mine.pk, county.pk}
    assert {"id", "name", "points_cost", "stock"} <= set(got[mine.pk])
    assert (got[mine.pk]["name"], got[mine.pk]["points_cost"], got[mine.pk]["stock"]) == (
        "香皂",
        8,
        10,
    )
