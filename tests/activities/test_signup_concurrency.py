"""Races on PostgreSQL: threads with their own connections sign up for the last
places at once, and withdraw while others join the line. The activity row lock makes
them take turns: never more confirmed than places, the waiting list in order.

Skipped (loudly) anywhere but PostgreSQL; run with DATABASE_URL=postgres://...
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from apps.activities import services
from apps.activities.models import Signup
from tests.orders.factories import VolunteerFactory
from tests.orders.test_order_concurrency import race

from .conftest import make_activity

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "POSTGRESQL ONLY — CONCURRENCY TEST NOT RUN on "
            f"{connection.vendor}: set DATABASE_URL=postgres://... to run it"
        )


@pytest.mark.parametrize("attempt", range(3))
def test_concurrent_signups_for_the_last_place_never_exceed_it(
    cast: Any, tree: Any, attempt: int
) -> None:
    activity = make_activity(cast.village1, tree.village1, roles=[{"name": "引导员", "slots": 2}])
    first = VolunteerFactory(site=tree.village1)
    services.signup_create(actor=first.user, activity_id=activity.pk)  # one place left
    racers = [VolunteerFactory(site=tree.village1) for _ in range(6)]
    results = race(
        *[
            (lambda v=v: services.signup_create(actor=v.user, activity_id=activity.pk))
            for v in racers
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [signup.status for signup, _created in results]
    assert statuses.count("confirmed") == 1 and statuses.count("waitlisted") == 5
    assert Signup.objects.filter(activity=activity, status="confirmed").count() == 2


def test_withdrawals_promote_the_line_in_order(cast: Any, tree: Any) -> None:
    activity = make_activity(cast.village1, tree.village1, roles=[{"name": "引导员", "slots": 2}])
    holders = [VolunteerFactory(site=tree.village1) for _ in range(2)]
    for v in holders:
        services.signup_create(actor=v.user, activity_id=activity.pk)
    line = [VolunteerFactory(site=tree.village1) for _ in range(4)]
    for v in line:  # one after another: their order in line is known
        assert (
            services.signup_create(actor=v.user, activity_id=activity.pk)[0].status == "waitlisted"
        )
    late = [VolunteerFactory(site=tree.village1) for _ in range(3)]
    # Both holders withdraw while three more join the end of the line, all at once.
    results = race(
        *[
            (lambda v=v: services.signup_withdraw(actor=v.user, activity_id=activity.pk))
            for v in holders
        ],
        *[
            (lambda v=v: services.signup_create(actor=v.user, activity_id=activity.pk))
            for v in late
        ],
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    confirmed = set(
        Signup.objects.filter(activity=activity, status="confirmed").values_list(
            "volunteer_id", flat=True
        )
    )
    assert confirmed == {line[0].pk, line[1].pk}
    waiting = list(
        Signup.objects.filter(activity=activity, status="waitlisted")
        .order_by("queued_at", "id")
        .values_list("volunteer_id", flat=True)
    )
    assert waiting[:2] == [line[2].pk, line[3].pk] and set(waiting[2:]) == {v.pk for v in late}
