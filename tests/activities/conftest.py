"""Activity fixtures on top of the named cast (tests/conftest.py): a published
activity at village1 (under town1) with two roles, and approved volunteers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.activities import services
from apps.activities.models import Activity, ActivityStatus
from tests.orders.factories import VolunteerFactory


def soon(hours: float = 48) -> dt.datetime:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0)


def activity_fields(**overrides: Any) -> dict[str, Any]:
    start = overrides.pop("starts_at", soon())
    fields: dict[str, Any] = {
        "title": "东关社区环境整治",
        "category": "environment",
        "description": "清理楼道杂物。",
        "address": "东关社区广场",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3),
        "signup_deadline": start - dt.timedelta(hours=2),
        "points_mode": "per_hour",
        "points_per_hour": 10,
    }
    fields.update(overrides)
    return fields


def make_activity(
    actor: Any, site: Any, *, publish: bool = True, roles: Any = None, **overrides: Any
) -> Activity:
    activity = services.activity_create(
        actor=actor,
        site=site,
        roles=roles or [{"name": "引导员", "slots": 2}, {"name": "清扫", "slots": 5}],
        **activity_fields(**overrides),
    )
    if publish:
        services.activity_publish(actor=actor, activity_id=activity.pk)
        activity.refresh_from_db()
        assert activity.status == ActivityStatus.PUBLISHED
    return activity


@pytest.fixture
def activity(cast: Any, tree: Any) -> Activity:
    return make_activity(cast.village1, tree.village1)


@pytest.fixture
def vol1(cast: Any, tree: Any) -> Any:
    return VolunteerFactory(user=cast.vol1, site=tree.village1, real_name="张丽")


@pytest.fixture
def volunteers(tree: Any) -> list[Any]:
    return [VolunteerFactory(site=tree.village1) for _ in range(4)]
