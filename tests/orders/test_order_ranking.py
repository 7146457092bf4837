"""Dispatch suggestions: same point, skill/team, fewest open tasks, availability,
past ratings — computed in SQL, identical on the board and on the order page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.orders import selectors, services
from apps.orders.models import OrderAssignment, ServiceOrder
from apps.volunteers.models import Team, TeamMembership, availability_bit

from .factories import VolunteerFactory

pytestmark = pytest.mark.django_db


def next_saturday_9am() -> dt.datetime:
    now = timezone.localtime()
    days = (5 - now.weekday()) % 7 or 7
    return (now + dt.timedelta(days=days)).replace(hour=9, minute=0, second=0, microsecond=0)


def past_order(cast, tree, item, volunteer, *, score=None, open_=False) -> None:
    start = timezone.now() - dt.timedelta(days=3)
    order = ServiceOrder.objects.create(
        service=item,
        site=tree.village1,
        handling_site=tree.village1,
        resident=cast.res1,
        placed_by=cast.res1,
        address="x",
        contact_mobile="13600000001",
        preferred_start=start,
        preferred_end=start + dt.timedelta(hours=1),
        status="dispatched" if open_ else "rated",
        score=score,
    )
    now = timezone.now()
    OrderAssignment.objects.create(
        order=order,
        volunteer=volunteer,
        assigned_at=now,
        status="assigned" if open_ else "accepted",
        checked_in_at=None if open_ else now,
        checked_out_at=None if open_ else now,
    )


def test_ranking_order(cast, tree, m):
    sat_am = availability_bit(5, 0)
    everything = (1 << 21) - 1
    mk = lambda name, site=tree.village1, skills=("elderly",), avail=everything: VolunteerFactory(  # noqa: E731
        site=site, real_name=name, skills=list(skills), availability=avail
    )
    p = mk("P")
    team = Team.objects.create(site=tree.village1, name="助老队", category="elderly")
    TeamMembership.objects.create(team=team, volunteer=p)
    q, r = mk("Q"), mk("R")
    mk("S", avail=everything & ~sat_am)
    t = mk("T")
    mk("U", skills=("legal",))
    w = mk("W", site=tree.village1b)
    TeamMembership.objects.create(
        team=Team.objects.create(site=tree.village1b, name="队2", category="elderly"), volunteer=w
    )
    mk("X", site=tree.village2)  # town2: never suggested to town1
    past_order(cast, tree, m.village1, q, score=5)
    past_order(cast, tree, m.village1, r, score=2)
    past_order(cast, tree, m.village1, t, open_=True)

    start = next_saturday_9am()
    order, _ = services.order_place(
        actor=cast.res1,
        service=m.village1,
        address="x",
        contact_mobile="13600000001",
        preferred_start=start,
        preferred_end=start + dt.timedelta(hours=2),
    )
    order = selectors.access_order(cast.town1, order.pk)
    with CaptureQueriesContext(connection) as ctx:
        ranked = selectors.dispatch_suggestions(order=order, fetched_by=cast.town1)
    names = [x.real_name for x in ranked]
    # S is not free on Saturday morning: behind R (free), whatever their ratings. The
    # candidates are the handling point's volunteers (X, W live elsewhere).
    assert names == ["P", "Q", "R", "S", "T", "U"]
    assert len(ctx.captured_queries) <= 3  # the sites' paths, the ranking, the skills
    top = ranked[0]
    assert (top.same_point, top.skill_match, top.team_match, top.open_tasks, top.available) == (
        1,
        1,
        1,
        0,
        1,
    )
    assert ranked[4].open_tasks == 1 and ranked[1].rating == 5.0 and ranked[2].rating == 2.0
    assert [
        x.real_name for x in selectors.dispatch_suggestions(order=order, fetched_by=cast.village1)
    ] == names

    # The board computes the same top three in its own SQL.
    board = list(selectors.board_orders(fetched_by=cast.town1, filters={"status": "submitted"}))
    selectors.attach_suggestions(board)
    assert [o.pk for o in board] == [order.pk]
    assert [x.real_name for x in board[0].suggested] == ["P", "Q", "R"]

    # Escalated to the township: its other points' volunteers join, after the point's own.
    services.order_escalate(order_id=order.pk, actor=cast.village1)
    order = selectors.access_order(cast.town1, order.pk)
    names = [
        x.real_name for x in selectors.dispatch_suggestions(order=order, fetched_by=cast.town1)
    ]
    assert names == ["P", "Q", "R", "S", "T", "U", "W"]

    # Once P is asked, the board suggests the next ones.
    services.order_dispatch(order_id=order.pk, actor=cast.town1, volunteer_ids=[p.pk])
    services.order_decline(order_id=order.pk, actor=p.user, reason="没空")
    board = list(selectors.board_orders(fetched_by=cast.town1, filters={"status": "submitted"}))
    selectors.attach_suggestions(board)
    assert [x.real_name for x in board[0].suggested] == ["Q", "R", "S"]
