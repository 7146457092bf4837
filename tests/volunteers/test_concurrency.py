"""Locking on PostgreSQL: concurrent reviews of one application and concurrent service
records for one volunteer, each thread on its own connection. Skipped, loudly, on
SQLite (which has no row locks to test)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.core.errors import ConflictError
from apps.volunteers import services
from apps.volunteers.models import ServiceRecord, Volunteer, VolunteerEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            f"PostgreSQL only (running on {connection.vendor}): set DATABASE_URL to "
            "postgres://… to run the volunteer locking tests"
        )


def _run_together(funcs: list[Callable[[], Any]]) -> list[Any]:
    """Start every func at the same moment, each in its own thread and connection;
    return each one's result or exception."""
    barrier = threading.Barrier(len(funcs))
    results: list[Any] = [None] * len(funcs)

    def run(i: int, func: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = func()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_approve_and_reject_race_one_wins(cast, pending_v1):
    results = _run_together(
        [
            lambda: services.volunteer_approve(volunteer=pending_v1, actor=cast.village1),
            lambda: services.volunteer_reject(
                volunteer=pending_v1, actor=cast.town1, reason="重复"
            ),
        ]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), results
    assert errors[0].code == "illegal_transition"
    fresh = Volunteer.objects.get(pk=pending_v1.pk)
    assert fresh.status in ("approved", "rejected")
    events = list(
        VolunteerEvent.objects.filter(volunteer=pending_v1).values_list("from_status", "to_status")
    )
    assert events == [("", "pending"), ("pending", fresh.status)]


def test_concurrent_records_add_up(cast, tree, approved_v1):
    day = timezone.localdate()

    def add(i: int) -> Callable[[], Any]:
        return lambda: services.service_record_add(
            actor=None,
            volunteer=approved_v1,
            site=tree.village1,
            service_date=day,
            title=f"服务{i}",
            hours=Decimal("12.5"),
            source_key=f"race:{i}",
        )

    # Eight distinct records, plus the first one's key again from a ninth thread.
    funcs = [add(i) for i in range(8)] + [add(0)]
    results = _run_together(funcs)
    assert not [r for r in results if isinstance(r, Exception)], results
    fresh = Volunteer.objects.get(pk=approved_v1.pk)
    assert ServiceRecord.objects.filter(volunteer=approved_v1).count() == 8
    assert fresh.hours == Decimal("100.0")
    assert fresh.star_level == 1
