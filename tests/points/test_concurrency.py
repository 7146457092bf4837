"""No overselling and no overdraw under concurrent redemptions (PostgreSQL, threads,
one connection each). The losers must be refused by the service under its row locks
(a ConflictError with a stable code), not by a CHECK constraint blowing up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from apps.core.errors import ConflictError
from apps.points import services
from apps.points.models import AccountKind, Redemption, Reward
from apps.points.verification import verify_ledger

from .conftest import balance, require_postgres, site_balance
from .factories import PointsVolunteerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Run ``calls`` in threads released together; ``("ok", result)`` or ``("err", exc)``."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("err", exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a redemption hung (deadlock?)"
    return results


def conflict_codes(results: list[tuple[str, Any]]) -> list[str]:
    codes = []
    for kind, value in results:
        if kind == "err":
            assert isinstance(value, ConflictError), f"unexpected {value!r}"
            codes.append(value.code)
    return codes


@pytest.fixture(autouse=True)
def _postgres_only(db: Any) -> None:
    require_postgres()


def test_last_item_goes_to_exactly_one_of_two_volunteers(
    tree: Any, cast: Any, fund: Any, reward: Any
) -> None:
    for round_ in range(5):
        a = PointsVolunteerFactory(site=tree.village1)
        b = PointsVolunteerFactory(site=tree.village1b)
        fund(a, 50)
        fund(b, 50)
        last = reward(name=f"最后一袋米{round_}", points_cost=30, stock=1)

        results = race(
            lambda a=a, last=last: services.reward_redeem(actor=a.user, reward_id=last.pk),
            lambda b=b, last=last: services.reward_redeem(actor=b.user, reward_id=last.pk),
        )

        assert [k for k, _ in results].count("ok") == 1, results
        assert conflict_codes(results) == ["out_of_stock"]
        assert Reward.objects.get(pk=last.pk).stock == 0
        assert Redemption.objects.filter(reward=last).count() == 1
        assert sorted([balance(a), balance(b)]) == [20, 50]
    assert site_balance(tree.town1, AccountKind.SHOP) == 5 * 30
    assert verify_ledger().ok


def test_ten_points_cannot_pay_for_two_eight_point_rewards(
    tree: Any, cast: Any, fund: Any, reward: Any
) -> None:
    for round_ in range(5):
        v = PointsVolunteerFactory(site=tree.village1)
        fund(v, 10)
        soap = reward(name=f"香皂{round_}", points_cost=8, stock=5)
        towel = reward(site=tree.county, name=f"毛巾{round_}", points_cost=8, stock=5)

        results = race(
            lambda v=v, soap=soap: services.reward_redeem(actor=v.user, reward_id=soap.pk),
            lambda v=v, towel=towel: services.reward_redeem(actor=v.user, reward_id=towel.pk),
        )

        assert [k for k, _ in results].count("ok") == 1, results
        assert conflict_codes(results) == ["insufficient_points"]
        assert balance(v) == 2
        assert Redemption.objects.filter(volunteer=v).count() == 1
        assert Reward.objects.get(pk=soap.pk).stock + Reward.objects.get(pk=towel.pk).stock == 9
    assert verify_ledger().ok


def test_the_same_idempotency_key_twice_at_once_spends_once(
    tree: Any, cast: Any, fund: Any, reward: Any
) -> None:
    v = PointsVolunteerFactory(site=tree.village1)
    fund(v, 100)
    rice = reward(points_cost=30, stock=5)

    results = race(
        *[
            lambda: services.reward_redeem(actor=v.user, reward_id=rice.pk, idempotency_key="dbl")
            for _ in range(2)
        ]
    )

    assert [k for k, _ in results] == ["ok", "ok"], results
    (r1, c1), (r2, c2) = results[0][1], results[1][1]
    assert r1.pk == r2.pk and sorted([c1, c2]) == [False, True]
    assert Redemption.objects.count() == 1
    assert balance(v) == 70 and Reward.objects.get(pk=rice.pk).stock == 4
    assert verify_ledger().ok


def test_concurrent_cancels_refund_once(tree: Any, cast: Any, fund: Any, reward: Any) -> None:
    v = PointsVolunteerFactory(site=tree.village1)
    fund(v, 100)
    rice = reward(points_cost=30, stock=5)
    r, _ = services.reward_redeem(actor=v.user, reward_id=rice.pk)

    results = race(
        lambda: services.redemption_cancel(actor=v.user, redemption_id=r.pk),
        lambda: services.redemption_cancel(actor=cast.town1, redemption_id=r.pk),
    )

    assert [k for k, _ in results].count("ok") == 1, results
    assert conflict_codes(results) == ["illegal_transition"]
    assert balance(v) == 100 and Reward.objects.get(pk=rice.pk).stock == 5
    assert verify_ledger().ok


def test_racing_repeats_of_one_key_all_return_the_first_redemption(
    tree: Any, cast: Any, fund: Any, reward: Any
) -> None:
    # Issue #12 (Stripe's rule): the first request takes the last item and the last
    # points; its concurrent repeats must return it, not 409 out_of_stock or
    # insufficient_points.
    vol = PointsVolunteerFactory(site=tree.village1)
    fund(vol, 30)
    last = reward(name="最后一桶油", points_cost=30, stock=1)
    results = race(
        *[
            lambda: services.reward_redeem(
                actor=vol.user, reward_id=last.pk, idempotency_key="redeem-once"
            )
            for _ in range(8)
        ]
    )
    assert all(kind == "ok" for kind, _ in results), results
    ids = {value[0].pk for _kind, value in results}
    assert len(ids) == 1
    assert sorted(value[1] for _kind, value in results) == [False] * 7 + [True]
    assert Redemption.objects.filter(volunteer=vol).count() == 1
    assert Reward.objects.get(pk=last.pk).stock == 0
    assert balance(vol) == 0
    assert verify_ledger().ok
