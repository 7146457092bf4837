"""Property: whatever sequence of settlements, redemptions, cancellations, hand-overs
and adjustments happens, every cached balance equals its ledger sum, the ledger sums
to zero, no volunteer balance is negative, and balances are what a simple model of
the rules predicts.

Each example runs in a savepoint rolled back at its end (the cast, volunteers, items
and rewards are made once per test, outside it).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.errors import ConflictError
from apps.points import services
from apps.points.models import Account, AccountKind, Redemption, Reward
from apps.points.settlement import settle
from apps.points.verification import verify_ledger

from .factories import PointsVolunteerFactory, ServiceItemFactory, assessed_order, local

N_VOLUNTEERS = 3

settle_op = st.tuples(
    st.just("settle"),
    st.integers(0, N_VOLUNTEERS - 1),
    st.integers(0, 1),
    st.integers(1, 80),
    st.integers(1, 3),
)
redeem_op = st.tuples(st.just("redeem"), st.integers(0, N_VOLUNTEERS - 1), st.integers(0, 2))
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 20))
hand_over_op = st.tuples(st.just("hand_over"), st.integers(0, 20))
adjust_op = st.tuples(
    st.just("adjust"), st.integers(0, N_VOLUNTEERS - 1), st.integers(-40, 40).filter(bool)
)
resettle_op = st.tuples(st.just("resettle"), st.integers(1, 3))
operations = st.lists(
    st.one_of(settle_op, redeem_op, cancel_op, hand_over_op, adjust_op, resettle_op),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def setting(tree: Any, cast: Any) -> dict[str, Any]:
    volunteers = [
        PointsVolunteerFactory(site=s) for s in (tree.village1, tree.village1b, tree.village1)
    ]
    items = [
        ServiceItemFactory(site=tree.town1, title="助老", points_per_hour=10),
        ServiceItemFactory(site=tree.county, title="普法", points_per_hour=7),
    ]
    rewards = [
        Reward.objects.create(site=tree.town1, name="香皂", points_cost=8, stock=3),
        Reward.objects.create(
            site=tree.town1, name="大米", points_cost=30, stock=2, per_volunteer_limit=1
        ),
        Reward.objects.create(site=tree.county, name="食用油", points_cost=15, stock=1),
    ]
    return {
        "tree": tree,
        "cast": cast,
        "volunteers": volunteers,
        "items": items,
        "rewards": rewards,
    }


def check_invariants(vols: list[Any], expected: dict[int, int]) -> None:
    report = verify_ledger()
    assert report.ok, report
    accounts = {
        a.volunteer_id: a.balance for a in Account.objects.filter(kind=AccountKind.VOLUNTEER)
    }
    assert all(b >= 0 for b in accounts.values()), accounts
    assert {v.pk: accounts.get(v.pk, 0) for v in vols} == expected
    assert all(r.stock >= 0 for r in Reward.objects.all())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_ledger_stays_consistent(setting: dict[str, Any], ops: list[tuple[Any, ...]]) -> None:
    tree, cast = setting["tree"], setting["cast"]
    vols, items, rewards = setting["volunteers"], setting["items"], setting["rewards"]
    with transaction.atomic():
        expected = {v.pk: 0 for v in vols}
        redemptions: list[Redemption] = []
        settled_days: list[dt.date] = []
        for op in ops:
            kind = op[0]
            if kind == "settle":
                _, vi, ii, tenths, day_n = op
                day = dt.date(2024, 3, day_n)
                hours = Decimal(tenths) / 10
                assessed_order(
                    item=items[ii],
                    site=vols[vi].site,
                    resident=cast.res1,
                    assessed_site=tree.town1 if ii == 0 else tree.county,
                    assessed_at=local(2024, 3, day_n, 23, 59),
                    hours=[(vols[vi], hours)],
                )
                settle(day)
                settled_days.append(day)
                pts = (hours * items[ii].points_per_hour).quantize(Decimal(1), ROUND_HALF_UP)
                expected[vols[vi].pk] += int(pts)
            elif kind == "resettle":
                run = settle(dt.date(2024, 3, op[1]))
                assert run.entries_created == 0  # every order was settled when assessed
            elif kind == "redeem":
                _, vi, ri = op
                try:
                    r, _ = services.reward_redeem(actor=vols[vi].user, reward_id=rewards[ri].pk)
                except ConflictError as exc:
                    assert exc.code in {"out_of_stock", "insufficient_points", "limit_reached"}
                    if exc.code == "insufficient_points":
                        assert expected[vols[vi].pk] < rewards[ri].points_cost
                else:
                    redemptions.append(r)
                    expected[vols[vi].pk] -= r.points
            elif kind in ("cancel", "hand_over") and redemptions:
                r = redemptions[op[1] % len(redemptions)]
                was_pending = Redemption.objects.get(pk=r.pk).status == "pending"
                # Staff of the shop's site: town1's shop by town1, the center's by the county.
                staff = cast.town1 if r.site_id == tree.town1.pk else cast.county
                try:
                    if kind == "cancel":
                        services.redemption_cancel(actor=staff, redemption_id=r.pk)
                    else:
                        services.redemption_hand_over(actor=staff, redemption_id=r.pk)
                except ConflictError as exc:
                    assert exc.code == "illegal_transition" and not was_pending
                else:
                    assert was_pending
                    if kind == "cancel":
                        expected[r.volunteer_id] += r.points
            elif kind == "adjust":
                _, vi, amount = op
                try:
                    services.points_adjust(
                        actor=cast.county, volunteer=vols[vi], amount=amount, reason="核对调整"
                    )
                except ConflictError as exc:
                    assert exc.code == "insufficient_points"
                    assert expected[vols[vi].pk] + amount < 0
                else:
                    expected[vols[vi].pk] += amount
            check_invariants(vols, expected)
        transaction.set_rollback(True)
