"""Fixtures for the points suite.

Volunteers: ``vol`` is the cast's ``vol1`` at village1 (under town1), ``vol_b`` another
volunteer at village1b (also under town1), ``vol_t2`` one at village2 (under town2).
``item`` is a town1 menu item worth 10 points an hour; ``fund(v, n)`` gives a volunteer
``n`` points through a county adjustment (a real ledger transaction); ``reward(...)``
puts a reward on a shop's shelf (town1 by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from apps.points import services
from apps.points.models import Account, AccountKind, Reward
from apps.volunteers.models import Volunteer

from .factories import PointsVolunteerFactory, ServiceItemFactory


def require_postgres() -> None:
    """Skip, loudly, on anything but PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip(
            f"PostgreSQL only (running on {connection.vendor}): set DATABASE_URL to "
            "postgres://… to run the trigger, locking and concurrency tests"
        )


def balance(volunteer: Volunteer) -> int:
    """The cached balance of ``volunteer``'s account (0 when it has none yet)."""
    acc = Account.objects.filter(kind=AccountKind.VOLUNTEER, volunteer=volunteer).first()
    return acc.balance if acc else 0


def site_balance(site: Any, kind: str) -> int:
    acc = Account.objects.filter(kind=kind, site=site).first()
    return acc.balance if acc else 0


@pytest.fixture
def vol(cast: Any, tree: Any) -> Volunteer:
    return PointsVolunteerFactory(user=cast.vol1, site=tree.village1, real_name="王志愿")


@pytest.fixture
def vol_b(tree: Any) -> Volunteer:
    return PointsVolunteerFactory(site=tree.village1b, real_name="赵志愿")


@pytest.fixture
def vol_t2(tree: Any) -> Volunteer:
    return PointsVolunteerFactory(site=tree.village2, real_name="桃源志愿")


@pytest.fixture
def item(tree: Any) -> Any:
    return ServiceItemFactory(site=tree.town1, title="陪老人就医", points_per_hour=10)


@pytest.fixture
def fund(cast: Any) -> Callable[[Volunteer, int], None]:
    def give(volunteer: Volunteer, amount: int) -> None:
        services.points_adjust(
            actor=cast.county, volunteer=volunteer, amount=amount, reason="测试充值"
        )

    return give


@pytest.fixture
def reward(tree: Any) -> Callable[..., Reward]:
    def make(**kw: Any) -> Reward:
        fields: dict[str, Any] = {"site": tree.town1, "name": "香皂", "points_cost": 8, "stock": 10}
        fields.update(kw)
        return Reward.objects.create(**fields)

    return make
