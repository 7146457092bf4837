"""``VolunteerLoad`` (open tasks, score sum and count per volunteer: what the dispatch
ranking reads) is kept by database triggers. Whatever changes assignments or scores —
the services, a bulk ``update()``, raw SQL, a delete — the rows must equal a
recomputation from the assignments themselves."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.orders import load
from apps.orders.models import OrderAssignment, ServiceOrder, VolunteerLoad

from .conftest import ORDER_PATH

pytestmark = pytest.mark.django_db


def stored() -> dict[int, tuple[int, int, int]]:
    return {
        r.volunteer_id: (r.open_tasks, r.rating_sum, r.rating_count)
        for r in VolunteerLoad.objects.all()
        if (r.open_tasks, r.rating_sum, r.rating_count) != (0, 0, 0)
    }


def recomputed() -> dict[int, tuple[int, int, int]]:
    out: dict[int, list[int]] = {}
    for a in OrderAssignment.objects.select_related("order"):
        row = out.setdefault(a.volunteer_id, [0, 0, 0])
        if a.status == "assigned" or (a.status == "accepted" and a.checked_out_at is None):
            row[0] += 1
        if a.status == "accepted" and a.order.score is not None:
            row[1] += a.order.score
            row[2] += 1
    return {k: tuple(v) for k, v in out.items() if tuple(v) != (0, 0, 0)}  # type: ignore[misc]


def test_the_triggers_are_installed():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'orders_volunteer_load_%'")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {r[0] for r in cur.fetchall()}
    assert set(load.TRIGGER_NAMES) <= names


def test_the_workflow_keeps_the_load(flow, v, cast):
    for state in [*ORDER_PATH, "cancelled", "rejected"]:
        flow(state)
        assert stored() == recomputed(), state
    flow("dispatched", volunteers=[v.vol1, v.vol2], needed=2)
    assert stored() == recomputed()
    assert stored()[v.vol1.pk][0] >= 3  # asked, accepted and not out, …
    assert stored()[v.vol1.pk][1:] == (10, 2)  # the rated and the assessed order: 5 + 5


def test_bulk_updates_raw_sql_and_deletes_keep_the_load(flow, v):
    orders = [flow(state, volunteers=[v.vol1]) for state in ("accepted", "rated", "assessed")]
    ServiceOrder.objects.filter(pk__in=[o.pk for o in orders]).update(score=2)
    assert stored() == recomputed()
    OrderAssignment.objects.filter(volunteer=v.vol1, status="accepted").update(status="lapsed")
    assert stored() == recomputed()
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE orders_orderassignment SET status = 'accepted' WHERE volunteer_id = %s",
            [v.vol1.pk],
        )
    assert stored() == recomputed()
    OrderAssignment.objects.filter(order=orders[0]).update(volunteer=v.vol2)
    assert stored() == recomputed()
    OrderAssignment.objects.filter(order=orders[1]).delete()
    assert stored() == recomputed()
    assert stored()[v.vol2.pk][0] == 1


def test_the_rebuild_gives_what_the_triggers_gave(flow, v):
    for state in ("dispatched", "in_service", "rated"):
        flow(state, volunteers=[v.vol1])
    before = stored()
    VolunteerLoad.objects.all().delete()
    load.rebuild_volunteer_load()
    assert stored() == before == recomputed()
