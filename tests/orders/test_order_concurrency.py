"""Races on PostgreSQL: threads with their own connections hit the same order at once.
Exactly one wins; the loser gets a clear conflict and nothing is written twice.

SQLite serialises whole-database writes and has no row locks, so these tests only
mean something on PostgreSQL: they are skipped (loudly, with the reason in the
summary) anywhere else. Run them with DATABASE_URL=postgres://...
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.errors import ConflictError
from apps.orders import services
from apps.orders.models import OrderAssignment, OrderEvent, ServiceOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "POSTGRESQL ONLY — CONCURRENCY TEST NOT RUN on "
            f"{connection.vendor}: set DATABASE_URL=postgres://... to run it"
        )


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; each thread has (and closes) its
    own database connection. Returns each call's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the result under test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def split(results: list[Any]) -> tuple[list[Any], list[Exception]]:
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    return wins, losses


@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_dispatch_the_same_order_at_once(cast, v, flow, attempt):
    order = flow("submitted")
    results = race(
        lambda: services.order_dispatch(
            order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk]
        ),
        lambda: services.order_dispatch(
            order_id=order.pk, actor=cast.town1, volunteer_ids=[v.volb.pk]
        ),
    )
    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ConflictError) and losses[0].code == "illegal_transition"
    order.refresh_from_db()
    assert order.status == "dispatched"
    assert OrderAssignment.objects.filter(order=order).count() == 1
    assert OrderEvent.objects.filter(order=order, action="dispatch").count() == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_volunteers_accept_at_once(cast, v, flow, attempt):
    order = flow("dispatched", volunteers=[v.vol1, v.vol2])
    results = race(
        lambda: services.order_accept(order_id=order.pk, actor=cast.vol1),
        lambda: services.order_accept(order_id=order.pk, actor=v.vol2.user),
    )
    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ConflictError) and losses[0].code == "illegal_transition"
    order.refresh_from_db()
    assert order.status == "accepted"
    statuses = sorted(OrderAssignment.objects.filter(order=order).values_list("status", flat=True))
    assert statuses == ["accepted", "lapsed"]
    assert OrderEvent.objects.filter(order=order, action="accept").count() == 1


def test_the_same_idempotency_key_twice_at_once_makes_one_order(cast, m):
    start = timezone.now() + dt.timedelta(days=1)

    def place() -> ServiceOrder:
        order, _created = services.order_place(
            actor=cast.res1,
            service=m.village1,
            address="x",
            contact_mobile="13600000001",
            preferred_start=start,
            preferred_end=start + dt.timedelta(hours=1),
            idempotency_key="race-key",
        )
        return order

    results = race(place, place, place)
    assert not any(isinstance(r, Exception) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert ServiceOrder.objects.count() == 1
    assert OrderEvent.objects.filter(action="place").count() == 1


def test_resident_cancels_while_staff_dispatch(cast, v, flow):
    order = flow("submitted")
    results = race(
        lambda: services.order_cancel(order_id=order.pk, actor=cast.res1),
        lambda: services.order_dispatch(
            order_id=order.pk, actor=cast.village1, volunteer_ids=[v.vol1.pk]
        ),
    )
    order.refresh_from_db()
    wins, losses = split(results)
    if isinstance(results[0], Exception):
        # Dispatch went first; cancelling a dispatched order is still allowed, so only
        # a genuine failure would land here.
        pytest.fail(f"cancel failed: {results[0]!r}")
    assert order.status == "cancelled"
    assert not OrderAssignment.objects.filter(order=order, status="assigned").exists()
    assert len(wins) + len(losses) == 2
