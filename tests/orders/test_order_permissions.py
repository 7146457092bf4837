"""The permission matrix: every action × every role, in and out of scope, through the
API. Each cell starts from an order in a state where the action is legal, so what is
tested is who may do it. A refused cell must leave the order exactly as it was.

Roles: res1 (ordered it), res9 (a resident of another township), vol1 (dispatched
to it), vol2 (a volunteer of the same point, not dispatched), village1 (staff of the
point), town1 (township staff above it), town2 (another township: out of scope),
county (county admin), nobody (signed in, no role).
"""

from __future__ import annotations

import pytest

from apps.orders.models import OrderAssignment, OrderEvent, ServiceOrder

pytestmark = pytest.mark.django_db

ACTORS = ["res1", "res9", "vol1", "vol2", "village1", "town1", "town2", "county", "nobody"]
OK, FORBIDDEN, HIDDEN = 200, 403, 404

# action → (state the order is in, request body, {actor: expected status}); actors not
# listed get HIDDEN (not yours answers like not there).
MATRIX = {
    "dispatch": (
        "submitted",
        "VOLS",
        {"village1": OK, "town1": OK, "county": OK, "res1": FORBIDDEN},
    ),
    "accept": (
        "dispatched",
        {},
        {
            "vol1": OK,
            "res1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "decline": (
        "dispatched",
        {"reason": "有事"},
        {
            "vol1": OK,
            "res1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "start": (
        "accepted",
        {},
        {
            "vol1": OK,
            "res1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "complete": (
        "in_service",
        {"summary": "完成", "hours": "0.5"},  # just checked in: at most half an hour
        {
            "vol1": OK,
            "res1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "rate": (
        "completed",
        {"score": 5},
        {
            "res1": OK,
            "vol1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "dispute": (
        "completed",
        {"comment": "没来"},
        {
            "res1": OK,
            "vol1": FORBIDDEN,
            "village1": FORBIDDEN,
            "town1": FORBIDDEN,
            "county": FORBIDDEN,
        },
    ),
    "nudge": (
        "submitted",
        {},
        {"res1": OK, "village1": FORBIDDEN, "town1": FORBIDDEN, "county": FORBIDDEN},
    ),
    "cancel": (
        "submitted",
        {},
        {"res1": OK, "village1": FORBIDDEN, "town1": FORBIDDEN, "county": FORBIDDEN},
    ),
    "reject": (
        "submitted",
        {"reason": "超出范围"},
        {"village1": OK, "town1": OK, "county": OK, "res1": FORBIDDEN},
    ),
    "escalate": ("submitted", {}, {"village1": OK, "town1": OK, "county": OK, "res1": FORBIDDEN}),
    "assess": (
        "rated",
        {"approved": True},
        {"town1": OK, "county": OK, "village1": FORBIDDEN, "res1": FORBIDDEN, "vol1": FORBIDDEN},
    ),
}
CELLS = [(action, actor) for action in MATRIX for actor in ACTORS]


def snapshot(order: ServiceOrder) -> tuple:
    return (
        ServiceOrder.objects.filter(pk=order.pk).values().get(),
        list(OrderAssignment.objects.filter(order=order).values().order_by("pk")),
        OrderEvent.objects.filter(order=order).count(),
    )


@pytest.mark.parametrize("action,actor", CELLS, ids=[f"{a}-{u}" for a, u in CELLS])
def test_permission_matrix(api_as, cast, v, flow, action, actor):
    state, body, allowed = MATRIX[action]
    order = flow(state)
    user = v.vol2.user if actor == "vol2" else getattr(cast, actor)
    if body == "VOLS":
        body = {"volunteers": [v.vol1.pk]}
    before = snapshot(order)
    r = api_as(user).post(f"/api/v1/orders/{order.pk}/{action}/", body, format="json")
    expected = allowed.get(actor, HIDDEN)
    assert r.status_code == expected, r.content
    if expected == OK:
        assert snapshot(order) != before
        last = OrderEvent.objects.filter(order=order).order_by("created_at", "pk").last()
        assert (last.action, last.actor_id) == (action, user.pk)
    else:
        assert r.json()["code"] in (
            "not_found",
            "not_assigned",
            "not_order_resident",
            "not_handling_staff",
            "not_assessor",
        )
        assert snapshot(order) == before


@pytest.mark.parametrize("actor", ACTORS)
def test_reading_an_order(api_as, cast, v, flow, actor):
    order = flow("dispatched")
    user = v.vol2.user if actor == "vol2" else getattr(cast, actor)
    r = api_as(user).get(f"/api/v1/orders/{order.pk}/")
    visible = actor in ("res1", "vol1", "village1", "town1", "county")
    assert r.status_code == (200 if visible else 404)
    if visible:
        assert [e["action"] for e in r.json()["events"]] == ["place", "dispatch"]


def test_escalated_orders_leave_the_point_read_only(api_as, cast, tree, v, flow):
    order = flow("submitted")
    api_as(cast.village1).post(f"/api/v1/orders/{order.pk}/escalate/", {}, format="json")
    order.refresh_from_db()
    assert order.handling_site == tree.town1
    r = api_as(cast.village1).post(
        f"/api/v1/orders/{order.pk}/dispatch/", {"volunteers": [v.vol1.pk]}, format="json"
    )
    assert r.status_code == 403 and r.json()["code"] == "not_handling_staff"
    assert api_as(cast.village1).get(f"/api/v1/orders/{order.pk}/").status_code == 200
    r = api_as(cast.town1).post(
        f"/api/v1/orders/{order.pk}/dispatch/", {"volunteers": [v.volb.pk]}, format="json"
    )
    assert r.status_code == 200
    assert api_as(cast.town2).get(f"/api/v1/orders/{order.pk}/").status_code == 404


def test_suggestions_only_for_the_handling_staff(api_as, cast, flow):
    order = flow("submitted")
    assert api_as(cast.village1).get(f"/api/v1/orders/{order.pk}/suggestions/").status_code == 200
    assert api_as(cast.res1).get(f"/api/v1/orders/{order.pk}/suggestions/").status_code == 403
    assert api_as(cast.town2).get(f"/api/v1/orders/{order.pk}/suggestions/").status_code == 404
